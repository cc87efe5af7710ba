//! The materials library (学习资料): the scope's speeches, documents, books and videos with
//! filters and a pager, a material's page, the form that adds or changes one, deletion,
//! and the Excel export (the import goes through the wizard, kind `materials`).

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use xuepei_domain::accounts::Perm;
use xuepei_domain::study::materials::{MaterialInput, MaterialKind};
use xuepei_store::materials::{self, Material};
use xuepei_store::{Tx, org};

use crate::AppState;
use crate::auth::Ctx;
use crate::error::{AppResult, render};
use crate::form::save_or_refuse;
use crate::layout::Layout;
use crate::pager::{Pager, Paging};
use crate::params::{self, Params};
use crate::routes::{Access, MenuEntry, MenuGroup, Routes};

pub fn routes(r: Routes) -> Routes {
    let view = Access::Page(Perm::STUDY_VIEW);
    let edit = Access::Page(Perm::STUDY_EDIT);
    r.menu(MenuEntry {
        group: MenuGroup::Study,
        order: 40,
        key: "materials",
        label: "学习资料",
        href: "/materials",
        visible: |can| can(Perm::STUDY_VIEW),
    })
    .audit_labels(&[
        ("material.create", "新增学习资料"),
        ("material.update", "修改学习资料"),
        ("material.delete", "删除学习资料"),
        ("material.import", "导入学习资料"),
    ])
    .audit_fields(
        "material",
        &[
            ("org", "所属单位"),
            ("title", "标题"),
            ("kind", "类别"),
            ("source", "来源"),
            ("date", "发布日期"),
            ("tags", "标签"),
            ("body_chars", "正文字数"),
        ],
    )
    .audit_codes("material", &[("kind", |c| MaterialKind::from_code(c).map(MaterialKind::label))])
    .get("/materials", view, list)
    .post("/materials", edit, create)
    .get("/materials/new", edit, new_form)
    .post("/materials/export.xlsx", view, export)
    .get("/materials/{id}", view, detail)
    .post("/materials/{id}", edit, update)
    .get("/materials/{id}/edit", edit, edit_form)
    .post("/materials/{id}/delete", edit, delete)
}

const PAGE_SIZE: u64 = 20;
const FILTERS: [&str; 4] = ["kind", "tag", "year", "q"];

fn kinds() -> Vec<(&'static str, &'static str)> {
    MaterialKind::ALL.iter().map(|k| (k.code(), k.label())).collect()
}

#[derive(Template)]
#[template(path = "materials/list.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<Material>,
    can_edit: bool,
    kinds: Vec<(&'static str, &'static str)>,
    kind: String,
    tag: String,
    year: String,
    q: String,
    pager: Pager,
    export_href: String,
}

async fn list(State(st): State<AppState>, ctx: Ctx, Query(p): Query<Params>) -> AppResult<Html<String>> {
    let paging = Paging::from(&p, PAGE_SIZE);
    let f = crate::kinds::materials::filter_of(&p);
    let page = materials::list(&st.db, &ctx.scope, &f, paging.at, paging.limit()).await?;
    let layout =
        Layout::new(&ctx, "学习资料", "materials").crumb("理论学习", None).crumb("学习资料", None).notice(notice(&p));
    let text = |k: &str| params::text(&p, k).unwrap_or_default().to_owned();
    render(&ListPage {
        layout,
        rows: page.items,
        can_edit: ctx.session.account.roles.can(Perm::STUDY_EDIT),
        kinds: kinds(),
        kind: f.kind.map(|k| k.code().to_owned()).unwrap_or_default(),
        tag: text("tag"),
        year: f.year.map(|y| y.to_string()).unwrap_or_default(),
        q: text("q"),
        pager: Pager::new("/materials", &p, &FILTERS, &paging, (page.prev, page.next), None),
        export_href: format!("/materials/export.xlsx{}", params::keep(&p, &FILTERS)),
    })
}

async fn export(State(st): State<AppState>, ctx: Ctx, Query(p): Query<Params>) -> AppResult<Response> {
    super::send_kind_export(&st, &ctx, crate::kinds::materials::KIND, &p).await
}

fn notice(p: &Params) -> Option<String> {
    Some(
        match params::text(p, "done")? {
            "created" => "学习资料已保存",
            "updated" => "学习资料已修改",
            "deleted" => "学习资料已删除",
            _ => return None,
        }
        .to_owned(),
    )
}

#[derive(Template)]
#[template(path = "materials/detail.html")]
struct DetailPage {
    layout: Layout,
    m: Material,
    paragraphs: Vec<String>,
    can_edit: bool,
}

async fn detail(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(p): Query<Params>,
) -> AppResult<Html<String>> {
    let id = params::id(&id, "学习资料")?;
    let m = materials::read(&st.db, &ctx.scope, id).await?;
    let layout = Layout::new(&ctx, m.title.clone(), "materials")
        .crumb("学习资料", Some("/materials".into()))
        .crumb(m.title.clone(), None)
        .notice(notice(&p));
    let paragraphs = m.body.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect();
    // Those published above the scope are read here, changed only by their publisher.
    let can_edit = ctx.session.account.roles.can(Perm::STUDY_EDIT) && ctx.scope.contains_path(&m.org_path);
    render(&DetailPage { layout, m, paragraphs, can_edit })
}

#[derive(Template)]
#[template(path = "materials/form.html")]
struct FormPage {
    layout: Layout,
    action: String,
    form: crate::form::Form,
    kinds: Vec<(&'static str, &'static str)>,
    cancel_href: String,
}

async fn form_page(ctx: &Ctx, editing: Option<&Material>, form: crate::form::Form) -> AppResult<Html<String>> {
    let (title, action, cancel) = match editing {
        Some(m) => (format!("修改：{}", m.title), format!("/materials/{}", m.id), format!("/materials/{}", m.id)),
        None => ("新增学习资料".to_owned(), "/materials".to_owned(), "/materials".to_owned()),
    };
    let layout =
        Layout::new(ctx, title.clone(), "materials").crumb("学习资料", Some("/materials".into())).crumb(title, None);
    render(&FormPage { layout, action, form, kinds: kinds(), cancel_href: cancel })
}

async fn new_form(State(st): State<AppState>, ctx: Ctx) -> AppResult<Html<String>> {
    let mut form = crate::form::Form::new()
        .with("kind", MaterialKind::Speech.code())
        .with("date", xuepei_domain::time::today().to_string());
    if let Some(root) = ctx.scope.root_org_id() {
        form.set("org", org::get(&st.db, &ctx.scope, root).await?.code);
    }
    form_page(&ctx, None, form).await
}

fn form_of(m: &Material) -> crate::form::Form {
    crate::form::Form::new()
        .with("org", m.org_code.clone())
        .with("title", m.title.clone())
        .with("kind", m.kind.code())
        .with("source", m.source.clone())
        .with("date", m.date.to_string())
        .with("body", m.body.clone())
        .with("tags", m.tags_text())
}

fn input_of(form: &crate::form::Form) -> MaterialInput {
    MaterialInput {
        org: form.value("org").to_owned(),
        title: form.value("title").to_owned(),
        kind: form.value("kind").to_owned(),
        source: form.value("source").to_owned(),
        date: xuepei_domain::text::to_halfwidth(form.value("date").trim()),
        body: form.value("body").to_owned(),
        tags: vec![form.value("tags").to_owned()],
    }
}

async fn edit_form(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    let id = params::id(&id, "学习资料")?;
    let m = materials::get(&st.db, &ctx.scope, id).await?;
    Ok(form_page(&ctx, Some(&m), form_of(&m)).await?.into_response())
}

async fn create(
    State(st): State<AppState>,
    ctx: Ctx,
    Form(fields): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let form = crate::form::Form::submitted(fields);
    let input = input_of(&form);
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    let result = materials::create(&tx, &input).await;
    save_or_refuse(
        tx,
        result,
        form,
        |m| format!("/materials/{}?done=created", m.id),
        async |f| form_page(&ctx, None, f).await,
    )
    .await
}

async fn update(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let id = params::id(&id, "学习资料")?;
    let current = materials::get(&st.db, &ctx.scope, id).await?;
    let form = crate::form::Form::submitted(fields);
    let input = input_of(&form);
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    let result = materials::update(&tx, id, &input).await;
    save_or_refuse(
        tx,
        result,
        form,
        |_| format!("/materials/{id}?done=updated"),
        async |f| form_page(&ctx, Some(&current), f).await,
    )
    .await
}

async fn delete(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    let id = params::id(&id, "学习资料")?;
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    match materials::delete(&tx, id).await {
        Ok(()) => {
            tx.commit().await?;
            Ok(Redirect::to("/materials?done=deleted").into_response())
        }
        Err(e) => {
            tx.rollback().await?;
            Err(e.into())
        }
    }
}
