//! People pages: search and filter, details, and the forms that change them.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use xuepei_domain::accounts::Perm;
use xuepei_domain::labels::Labeled;
use xuepei_domain::org::{Sector, ref_text};
use xuepei_domain::people::{RankLevel, Role, validate_person};
use xuepei_domain::phone;
use xuepei_domain::validate::FieldError;
use xuepei_store::org::{self, Org};
use xuepei_store::people::{self, PeopleCount, Person, PersonFilter, PersonInput, PersonRow, PersonSort};
use xuepei_store::{StoreError, Tx};

use crate::AppState;
use crate::auth::Ctx;
use crate::error::{AppResult, render};
use crate::form::save_or_refuse;
use crate::layout::Layout;
use crate::pager::{Pager, Paging};
use crate::params::{self, Params};
use crate::routes::{Access, MenuEntry, MenuGroup, Routes};

pub fn routes(r: Routes) -> Routes {
    let view = Access::Page(Perm::PEOPLE_VIEW);
    let edit = Access::Page(Perm::PEOPLE_EDIT);
    r.menu(MenuEntry {
        group: MenuGroup::Registry,
        order: 10,
        key: "people",
        label: "人员信息",
        href: "/people",
        visible: |can| can(Perm::PEOPLE_VIEW),
    })
    .audit_labels(&[
        ("person.create", "登记人员"),
        ("person.update", "修改人员"),
        ("person.delete", "删除人员"),
        ("person.import", "导入人员"),
    ])
    .get("/people", view, list)
    .post("/people", edit, create)
    .post("/people/export.xlsx", edit, export)
    .get("/people/new", edit, new_form)
    .get("/people/{id}", view, detail)
    .post("/people/{id}", edit, update)
    .get("/people/{id}/edit", edit, edit_form)
    .post("/people/{id}/delete", edit, delete)
}

const PAGE_SIZE: u64 = 20;

fn person_filter(p: &Params) -> PersonFilter {
    crate::kinds::people::filter(p)
}

/// The filters a list page carries into its links.
const FILTERS: [&str; 7] = ["q", "sector", "role", "rank", "under", "direct", "sort"];

#[derive(Template)]
#[template(path = "people/list.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<PersonRow>,
    count: PeopleCount,
    q: String,
    sector: String,
    role: String,
    rank: String,
    sort: String,
    under: Option<Org>,
    sectors: Vec<(&'static str, &'static str)>,
    roles: Vec<(&'static str, &'static str)>,
    ranks: Vec<(&'static str, &'static str)>,
    pager: Pager,
    export_href: String,
}

async fn list(State(st): State<AppState>, ctx: Ctx, Query(p): Query<Params>) -> AppResult<Html<String>> {
    let f = person_filter(&p);
    let under = match f.under {
        Some(id) => Some(org::get(&st.db, &ctx.scope, id).await?),
        None => None,
    };
    let sort = if params::text(&p, "sort") == Some("name") { PersonSort::Name } else { PersonSort::Org };
    let count = st.stats.people_count(&st.db, &ctx.scope, &f).await?;
    let total = (!count.capped).then_some(count.value);
    let paging = Paging::from(&p, PAGE_SIZE).within(total);
    let page = people::list(&st.db, &ctx.scope, &f, sort, paging.at, paging.limit()).await?;
    let layout =
        Layout::new(&ctx, "人员信息", "people").crumb("基础数据", None).crumb("人员信息", None).notice(notice(&p));
    render(&ListPage {
        layout,
        rows: page.items,
        count,
        q: params::text(&p, "q").unwrap_or_default().to_owned(),
        sector: f.sector.map(|s| s.code()).unwrap_or_default().to_owned(),
        role: f.role.map(|s| s.code()).unwrap_or_default().to_owned(),
        rank: f.rank_level.map(|s| s.code()).unwrap_or_default().to_owned(),
        sort: if sort == PersonSort::Name { "name" } else { "" }.to_owned(),
        under,
        sectors: params::options::<Sector>(),
        roles: params::options::<Role>(),
        ranks: params::options::<RankLevel>(),
        pager: Pager::new("/people", &p, &FILTERS, &paging, (page.prev, page.next), total),
        export_href: format!("/people/export.xlsx{}", params::keep(&p, &FILTERS)),
    })
}

async fn export(State(st): State<AppState>, ctx: Ctx, Query(p): Query<Params>) -> AppResult<Response> {
    super::send_kind_export(&st, &ctx, crate::kinds::people::KIND, &p).await
}

fn notice(p: &Params) -> Option<String> {
    let n = params::text(p, "done")?;
    Some(
        match n {
            "created" => "人员已登记",
            "updated" => "人员信息已保存",
            "deleted" => "人员已从名册中删除",
            _ => return None,
        }
        .to_owned(),
    )
}

#[derive(Template)]
#[template(path = "people/detail.html")]
struct DetailPage {
    layout: Layout,
    person: Person,
    org: Org,
    managing: Option<String>,
    phone: String,
}

async fn detail(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(p): Query<Params>,
) -> AppResult<Html<String>> {
    let id = params::id(&id, "人员")?;
    let person = people::get(&st.db, &ctx.scope, id).await?;
    let o = org::get(&st.db, &ctx.scope, person.org_id).await?;
    let managing = match person.managing_org_id {
        Some(m) => org::authority(&st.db, &ctx.scope, m).await?.map(|c| c.name),
        None => None,
    };
    let layout = Layout::new(&ctx, person.name.clone(), "people")
        .crumb("人员信息", Some("/people".into()))
        .crumb(o.display_name().to_owned(), Some(format!("/orgs/{}", o.id)))
        .crumb(person.name.clone(), None)
        .notice(notice(&p));
    let phone = person.phone.as_deref().map(phone::display).unwrap_or_default();
    render(&DetailPage { layout, person, org: o, managing, phone })
}

#[derive(Template)]
#[template(path = "people/form.html")]
struct FormPage {
    layout: Layout,
    action: String,
    form: crate::form::Form,
    genders: [(&'static str, &'static str); 2],
    roles: Vec<(&'static str, &'static str)>,
    ranks: Vec<(&'static str, &'static str)>,
    authorities: Vec<(i64, String)>,
    ethnic_groups: &'static [&'static str],
    cancel_href: String,
}

async fn form_page(
    st: &AppState,
    ctx: &Ctx,
    editing: Option<&Person>,
    form: crate::form::Form,
) -> AppResult<Html<String>> {
    let (title, action, cancel) = match editing {
        Some(p) => (format!("编辑：{}", p.name), format!("/people/{}", p.id), format!("/people/{}", p.id)),
        None => ("登记人员".to_owned(), "/people".to_owned(), "/people".to_owned()),
    };
    let layout = Layout::new(ctx, title.clone(), "people").crumb("人员信息", Some("/people".into())).crumb(title, None);
    render(&FormPage {
        layout,
        action,
        form,
        genders: [("男", "男"), ("女", "女")],
        roles: params::options::<Role>(),
        // The rank is posted by its label, which validation reads.
        ranks: RankLevel::ALL.iter().map(|r| (r.label(), r.label())).collect(),
        authorities: org::authority_candidates(&st.db, &ctx.scope).await?.into_iter().map(|a| (a.id, a.name)).collect(),
        ethnic_groups: &xuepei_domain::people::ETHNIC_GROUPS,
        cancel_href: cancel,
    })
}

async fn new_form(State(st): State<AppState>, ctx: Ctx, Query(p): Query<Params>) -> AppResult<Html<String>> {
    let mut form = crate::form::Form::new();
    if let Some(oid) = params::num(&p, "org") {
        let o = org::get(&st.db, &ctx.scope, oid).await?;
        form.set("org", ref_text(&o.name, &o.code));
        if let Some(a) = o.authority_org_id {
            form.set("managing_org", a.to_string());
        }
    }
    form_page(&st, &ctx, None, form).await
}

async fn edit_form(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> AppResult<Html<String>> {
    let id = params::id(&id, "人员")?;
    let person = people::get(&st.db, &ctx.scope, id).await?;
    let o = org::get(&st.db, &ctx.scope, person.org_id).await?;
    let date = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    let text = |t: &Option<String>| t.clone().unwrap_or_default();
    let mut form = crate::form::Form::new()
        .with("name", person.name.clone())
        .with("id_number", person.id_number.clone())
        .with("gender", person.gender.label())
        .with("birth_date", person.birth_date.to_string())
        .with("phone", text(&person.phone))
        .with("party_joined_on", date(person.party_joined_on))
        .with("position", text(&person.position))
        .with("rank_level", person.rank_level.map(|r| r.label()).unwrap_or_default())
        .with("ethnicity", text(&person.profile.ethnicity))
        .with("native_place", text(&person.profile.native_place))
        .with("education", text(&person.profile.education))
        .with("degree", text(&person.profile.degree))
        .with("work_started_on", date(person.profile.work_started_on))
        .with("position_since", date(person.profile.position_since))
        .with("org", ref_text(&o.name, &o.code))
        .with("managing_org", person.managing_org_id.map(|m| m.to_string()).unwrap_or_default());
    form.set_list("roles", person.roles.iter().map(|r| r.code().to_owned()).collect());
    form_page(&st, &ctx, Some(&person), form).await
}

/// Validates the form and resolves its organisations within the scope; every problem is
/// reported at once, the organisation's beside the fields'.
async fn input_of(st: &AppState, ctx: &Ctx, form: &crate::form::Form) -> Result<PersonInput, StoreError> {
    // Role checkboxes post codes, validation reads labels; the managing department is
    // chosen by id from a list.
    let mut fields = form.clone();
    let roles: Vec<&str> = form.list("roles").iter().filter_map(|c| Role::from_code(c)).map(Role::label).collect();
    fields.set("roles", roles.join("、"));
    fields.set("managing_org", "");
    let chosen: HashMap<String, String> = [("managing_org".to_owned(), form.value("managing_org").to_owned())].into();
    let today = xuepei_store::imports::people::today_in_china();
    let checked = params::with_choice(
        validate_person(&fields, today),
        params::chosen_id(&chosen, "managing_org", "干部管理单位"),
    );
    let org_text = form.value("org").trim();
    let org = match org_text {
        "" => None,
        t => Some(org::resolve_ref(&st.db, &ctx.scope, t, false).await),
    };
    match (checked, org) {
        (Ok((draft, managing_id)), Some(Ok(o))) => Ok(PersonInput::from_draft(&draft, o.id, managing_id)),
        (checked, org) => {
            let mut errs = checked.err().unwrap_or_default();
            match org {
                Some(Err(StoreError::NotFound(_))) => errs.push(FieldError {
                    field: "org",
                    message: format!("在您的管理范围内未找到组织“{org_text}”，请填写组织代码、全称或唯一的简称"),
                }),
                Some(Err(StoreError::Invalid(more))) => errs.extend(more),
                Some(Err(other)) => return Err(other),
                _ => {}
            }
            Err(StoreError::Invalid(errs))
        }
    }
}

async fn create(
    State(st): State<AppState>,
    ctx: Ctx,
    Form(fields): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let form = crate::form::Form::submitted(fields);
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    let result = match input_of(&st, &ctx, &form).await {
        Ok(input) => people::create(&tx, &input).await,
        Err(e) => Err(e),
    };
    save_or_refuse(
        tx,
        result,
        form,
        |p| format!("/people/{}?done=created", p.id),
        async |f| form_page(&st, &ctx, None, f).await,
    )
    .await
}

async fn update(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let id = params::id(&id, "人员")?;
    let current = people::get(&st.db, &ctx.scope, id).await?;
    let form = crate::form::Form::submitted(fields);
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    let result = match input_of(&st, &ctx, &form).await {
        Ok(input) => people::update(&tx, id, &input).await,
        Err(e) => Err(e),
    };
    save_or_refuse(
        tx,
        result,
        form,
        |_| format!("/people/{id}?done=updated"),
        async |f| form_page(&st, &ctx, Some(&current), f).await,
    )
    .await
}

async fn delete(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    let id = params::id(&id, "人员")?;
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    people::delete(&tx, id).await?;
    tx.commit().await?;
    Ok(Redirect::to("/people?done=deleted").into_response())
}
