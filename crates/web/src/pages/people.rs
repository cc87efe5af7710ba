//! People pages: search and filter, details, and the forms that change them.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
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

use super::send_export;
use crate::AppState;
use crate::auth::Ctx;
use crate::error::{AppResult, form_refusal, render};
use crate::layout::Layout;
use crate::params::{self, Params};
use crate::routes::{Access, Routes};

pub fn routes(r: Routes) -> Routes {
    let view = Access::Page(Perm::PEOPLE_VIEW);
    let edit = Access::Page(Perm::PEOPLE_EDIT);
    r.get("/people", view, list)
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
    PersonFilter {
        q: params::text(p, "q").map(str::to_owned),
        sector: params::labeled(p, "sector"),
        role: params::labeled(p, "role"),
        rank_level: params::labeled(p, "rank"),
        under: params::num(p, "under"),
    }
}

/// The filters a list page carries into its links.
const FILTERS: [&str; 6] = ["q", "sector", "role", "rank", "under", "sort"];

fn filter_query(p: &Params, after: Option<String>) -> String {
    params::keep(p, &FILTERS, after)
}

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
    next_href: Option<String>,
    first_href: Option<String>,
    export_href: String,
}

async fn list(State(st): State<AppState>, ctx: Ctx, Query(p): Query<Params>) -> AppResult<Html<String>> {
    let f = person_filter(&p);
    let under = match f.under {
        Some(id) => Some(org::get(&st.db, &ctx.scope, id).await?),
        None => None,
    };
    let sort = if params::text(&p, "sort") == Some("name") { PersonSort::Name } else { PersonSort::Org };
    let after = params::text(&p, "after");
    let page = people::list(&st.db, &ctx.scope, &f, sort, after, PAGE_SIZE).await?;
    let count = st.stats.people_count(&st.db, &ctx.scope, &f).await?;
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
        next_href: page.next.map(|n| format!("/people{}", filter_query(&p, Some(n)))),
        first_href: after.map(|_| format!("/people{}", filter_query(&p, None))),
        export_href: format!("/people/export.xlsx{}", filter_query(&p, None)),
    })
}

async fn export(State(st): State<AppState>, ctx: Ctx, Query(p): Query<Params>) -> AppResult<Response> {
    let f = person_filter(&p);
    if let Some(id) = f.under {
        org::get(&st.db, &ctx.scope, id).await?;
    }
    let (db, scope) = (st.db.clone(), ctx.scope.clone());
    send_export(&st, &ctx, "人员信息", |path| async move {
        crate::exports::people_xlsx(&db, &scope, &f, &path, "人员信息").await
    })
    .await
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
        Some(m) => org::authority_candidates(&st.db, &ctx.scope)
            .await?
            .into_iter()
            .find(|c| c.id == m)
            .map(|c| c.name)
            .or(org::get(&st.db, &ctx.scope, m).await.ok().map(|c| c.name)),
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
    values: HashMap<String, String>,
    roles_checked: Vec<&'static str>,
    errors: HashMap<&'static str, String>,
    general_error: Option<String>,
    roles: Vec<(&'static str, &'static str)>,
    ranks: Vec<(&'static str, &'static str)>,
    authorities: Vec<Org>,
    ethnic_groups: &'static [&'static str],
    cancel_href: String,
}

impl FormPage {
    fn value(&self, key: &str) -> &str {
        self.values.get(key).map_or("", String::as_str)
    }
    fn error(&self, key: &str) -> &str {
        self.errors.get(key).map_or("", String::as_str)
    }
    fn has_role(&self, code: &str) -> bool {
        self.roles_checked.contains(&code)
    }
}

async fn form_page(
    st: &AppState,
    ctx: &Ctx,
    editing: Option<&Person>,
    values: HashMap<String, String>,
    errors: Vec<FieldError>,
    general_error: Option<String>,
) -> AppResult<Html<String>> {
    let (title, action, cancel) = match editing {
        Some(p) => (format!("编辑：{}", p.name), format!("/people/{}", p.id), format!("/people/{}", p.id)),
        None => ("登记人员".to_owned(), "/people".to_owned(), "/people".to_owned()),
    };
    let roles_checked = values
        .get("roles")
        .map(|r| xuepei_domain::people::Roles::parse(r).unwrap_or_default().iter().map(Role::code).collect())
        .unwrap_or_default();
    let layout = Layout::new(ctx, title.clone(), "people").crumb("人员信息", Some("/people".into())).crumb(title, None);
    render(&FormPage {
        layout,
        action,
        values,
        roles_checked,
        errors: errors.into_iter().map(|e| (e.field, e.message)).collect(),
        general_error,
        roles: params::options::<Role>(),
        ranks: params::options::<RankLevel>(),
        authorities: org::authority_candidates(&st.db, &ctx.scope).await?,
        ethnic_groups: &xuepei_domain::people::ETHNIC_GROUPS,
        cancel_href: cancel,
    })
}

async fn new_form(State(st): State<AppState>, ctx: Ctx, Query(p): Query<Params>) -> AppResult<Html<String>> {
    let mut values = HashMap::new();
    if let Some(oid) = params::num(&p, "org") {
        let o = org::get(&st.db, &ctx.scope, oid).await?;
        values.insert("org".to_owned(), ref_text(&o.name, &o.code));
        if let Some(a) = o.authority_org_id {
            values.insert("managing_org".to_owned(), a.to_string());
        }
    }
    form_page(&st, &ctx, None, values, Vec::new(), None).await
}

async fn edit_form(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> AppResult<Html<String>> {
    let id = params::id(&id, "人员")?;
    let person = people::get(&st.db, &ctx.scope, id).await?;
    let o = org::get(&st.db, &ctx.scope, person.org_id).await?;
    let values = HashMap::from([
        ("name".to_owned(), person.name.clone()),
        ("id_number".to_owned(), person.id_number.clone()),
        ("gender".to_owned(), person.gender.label().to_owned()),
        ("birth_date".to_owned(), person.birth_date.to_string()),
        ("phone".to_owned(), person.phone.clone().unwrap_or_default()),
        ("party_joined_on".to_owned(), person.party_joined_on.map(|d| d.to_string()).unwrap_or_default()),
        ("position".to_owned(), person.position.clone().unwrap_or_default()),
        ("rank_level".to_owned(), person.rank_level.map(|r| r.label()).unwrap_or_default().to_owned()),
        ("roles".to_owned(), person.roles.labels()),
        ("ethnicity".to_owned(), person.profile.ethnicity.clone().unwrap_or_default()),
        ("native_place".to_owned(), person.profile.native_place.clone().unwrap_or_default()),
        ("education".to_owned(), person.profile.education.clone().unwrap_or_default()),
        ("degree".to_owned(), person.profile.degree.clone().unwrap_or_default()),
        ("work_started_on".to_owned(), person.profile.work_started_on.map(|d| d.to_string()).unwrap_or_default()),
        ("position_since".to_owned(), person.profile.position_since.map(|d| d.to_string()).unwrap_or_default()),
        ("org".to_owned(), ref_text(&o.name, &o.code)),
        ("managing_org".to_owned(), person.managing_org_id.map(|m| m.to_string()).unwrap_or_default()),
    ]);
    form_page(&st, &ctx, Some(&person), values, Vec::new(), None).await
}

/// Collects a submitted form; the role checkboxes repeat one key.
fn collect(fields: Vec<(String, String)>) -> HashMap<String, String> {
    let mut values: HashMap<String, String> = HashMap::new();
    let mut roles: Vec<String> = Vec::new();
    for (k, v) in fields {
        if k == "roles" {
            if let Some(r) = Role::from_code(&v) {
                roles.push(r.label().to_owned());
            }
        } else {
            values.insert(k, v);
        }
    }
    values.insert("roles".into(), roles.join("、"));
    values
}

/// Validates the form and resolves its organisations within the scope.
async fn input_of(st: &AppState, ctx: &Ctx, values: &HashMap<String, String>) -> Result<PersonInput, StoreError> {
    // The managing department is chosen by id from a list; validation sees text.
    let mut fields = values.clone();
    fields.remove("managing_org");
    let today = xuepei_store::imports::people::today_in_china();
    let (draft, managing_id) =
        params::with_choice(validate_person(&fields, today), params::chosen_id(values, "managing_org", "干部管理单位"))
            .map_err(StoreError::Invalid)?;
    let o = org::resolve_ref(&st.db, &ctx.scope, &draft.org_ref, false).await?;
    Ok(PersonInput::from_draft(&draft, o.id, managing_id))
}

async fn create(
    State(st): State<AppState>,
    ctx: Ctx,
    Form(fields): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let values = collect(fields);
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    let result = match input_of(&st, &ctx, &values).await {
        Ok(input) => people::create(&tx, &input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(p) => {
            tx.commit().await?;
            Ok(Redirect::to(&format!("/people/{}?done=created", p.id)).into_response())
        }
        Err(e) => {
            let (errs, general) = form_refusal(e)?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, form_page(&st, &ctx, None, values, errs, general).await?)
                .into_response())
        }
    }
}

async fn update(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let id = params::id(&id, "人员")?;
    let current = people::get(&st.db, &ctx.scope, id).await?;
    let values = collect(fields);
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    let result = match input_of(&st, &ctx, &values).await {
        Ok(input) => people::update(&tx, id, &input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => {
            tx.commit().await?;
            Ok(Redirect::to(&format!("/people/{id}?done=updated")).into_response())
        }
        Err(e) => {
            let (errs, general) = form_refusal(e)?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, form_page(&st, &ctx, Some(&current), values, errs, general).await?)
                .into_response())
        }
    }
}

async fn delete(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    let id = params::id(&id, "人员")?;
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    people::delete(&tx, id).await?;
    tx.commit().await?;
    Ok(Redirect::to("/people?done=deleted").into_response())
}
