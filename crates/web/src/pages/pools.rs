//! The instructor pool (师资库) and the venue list (教学场地) of the scope's organisations:
//! lists, forms, and taking one out of (or back into) use.

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use xuepei_domain::accounts::Perm;
use xuepei_domain::labels::Labeled;
use xuepei_store::classes::instructors::{self, Instructor, InstructorInput, InstructorKind};
use xuepei_store::classes::venues::{self, Venue, VenueInput, VenueKind};
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
    let view = Access::Page(Perm::TRAINING_VIEW);
    let edit = Access::Page(Perm::TRAINING_EDIT);
    r.menu(MenuEntry {
        group: MenuGroup::Training,
        order: 30,
        key: "instructors",
        label: "师资库",
        href: "/instructors",
        visible: |can| can(Perm::TRAINING_VIEW),
    })
    .menu(MenuEntry {
        group: MenuGroup::Training,
        order: 31,
        key: "venues",
        label: "教学场地",
        href: "/venues",
        visible: |can| can(Perm::TRAINING_VIEW),
    })
    .audit_labels(&[
        ("instructor.create", "师资库新增教师"),
        ("instructor.update", "修改师资库教师"),
        ("instructor.activate", "启用师资库教师"),
        ("instructor.deactivate", "停用师资库教师"),
        ("venue.create", "新增教学场地"),
        ("venue.update", "修改教学场地"),
        ("venue.activate", "启用教学场地"),
        ("venue.deactivate", "停用教学场地"),
    ])
    .get("/instructors", view, list_instructors)
    .post("/instructors", edit, create_instructor)
    .get("/instructors/new", edit, new_instructor)
    .get("/instructors/{id}/edit", edit, edit_instructor)
    .post("/instructors/{id}", edit, update_instructor)
    .post("/instructors/{id}/active", edit, toggle_instructor)
    .get("/venues", view, list_venues)
    .post("/venues", edit, create_venue)
    .get("/venues/new", edit, new_venue)
    .get("/venues/{id}/edit", edit, edit_venue)
    .post("/venues/{id}", edit, update_venue)
    .post("/venues/{id}/active", edit, toggle_venue)
}

const PAGE_SIZE: u64 = 50;

fn notice(p: &Params) -> Option<String> {
    Some(
        match params::text(p, "done")? {
            "saved" => "已保存",
            "on" => "已启用",
            "off" => "已停用，不再出现在课程安排的选项中",
            _ => return None,
        }
        .to_owned(),
    )
}

async fn own_code(st: &AppState, ctx: &Ctx) -> AppResult<String> {
    Ok(match ctx.scope.root_org_id() {
        Some(root) => org::get(&st.db, &ctx.scope, root).await?.code,
        None => String::new(),
    })
}

fn active_flag(form: &[(String, String)]) -> bool {
    form.iter().any(|(k, v)| k == "active" && v == "1")
}

// ---- Instructors ----

#[derive(Template)]
#[template(path = "classes/instructors.html")]
struct InstructorList {
    layout: Layout,
    rows: Vec<Instructor>,
    can_edit: bool,
    pager: Pager,
}

async fn list_instructors(State(st): State<AppState>, ctx: Ctx, Query(p): Query<Params>) -> AppResult<Html<String>> {
    let paging = Paging::from(&p, PAGE_SIZE);
    let page = instructors::list(&st.db, &ctx.scope, paging.at, paging.limit()).await?;
    let layout =
        Layout::new(&ctx, "师资库", "instructors").crumb("教育培训", None).crumb("师资库", None).notice(notice(&p));
    render(&InstructorList {
        layout,
        rows: page.items,
        can_edit: ctx.session.account.roles.can(Perm::TRAINING_EDIT),
        pager: Pager::new("/instructors", &p, &[], &paging, (page.prev, page.next), None),
    })
}

#[derive(Template)]
#[template(path = "classes/instructor_form.html")]
struct InstructorForm {
    layout: Layout,
    action: String,
    form: crate::form::Form,
    kinds: Vec<(&'static str, &'static str)>,
}

fn instructor_page(ctx: &Ctx, id: Option<i64>, form: crate::form::Form) -> AppResult<Html<String>> {
    let (title, action) = match id {
        Some(id) => ("修改师资信息", format!("/instructors/{id}")),
        None => ("登记授课教师", "/instructors".to_owned()),
    };
    let layout = Layout::new(ctx, title, "instructors").crumb("师资库", Some("/instructors".into())).crumb(title, None);
    render(&InstructorForm { layout, action, form, kinds: params::options::<InstructorKind>() })
}

fn instructor_input(form: &crate::form::Form) -> InstructorInput {
    InstructorInput {
        org: form.value("org").to_owned(),
        name: form.value("name").to_owned(),
        kind: form.value("kind").to_owned(),
        title: form.value("title").to_owned(),
        unit: form.value("unit").to_owned(),
        phone: form.value("phone").to_owned(),
        topics: form.value("topics").to_owned(),
        id_number: form.value("id_number").to_owned(),
    }
}

async fn new_instructor(State(st): State<AppState>, ctx: Ctx) -> AppResult<Html<String>> {
    let form = crate::form::Form::new().with("org", own_code(&st, &ctx).await?);
    instructor_page(&ctx, None, form)
}

async fn edit_instructor(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> AppResult<Html<String>> {
    let id = params::id(&id, "授课教师")?;
    let i = instructors::get(&st.db, &ctx.scope, id).await?;
    let form = crate::form::Form::new()
        .with("org", i.org.code.clone())
        .with("name", i.name.clone())
        .with("kind", i.kind.code())
        .with("title", i.title.clone().unwrap_or_default())
        .with("unit", i.unit.clone().unwrap_or_default())
        .with("phone", i.phone.clone().unwrap_or_default())
        .with("topics", i.topics.clone().unwrap_or_default());
    instructor_page(&ctx, Some(id), form)
}

async fn create_instructor(
    State(st): State<AppState>,
    ctx: Ctx,
    Form(fields): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let form = crate::form::Form::submitted(fields);
    let input = instructor_input(&form);
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    let result = instructors::create(&tx, &input).await;
    save_or_refuse(tx, result, form, |_| "/instructors?done=saved".to_owned(), async |f| instructor_page(&ctx, None, f))
        .await
}

async fn update_instructor(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let id = params::id(&id, "授课教师")?;
    instructors::get(&st.db, &ctx.scope, id).await?;
    let form = crate::form::Form::submitted(fields);
    let input = instructor_input(&form);
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    let result = instructors::update(&tx, id, &input).await;
    save_or_refuse(
        tx,
        result,
        form,
        |_| "/instructors?done=saved".to_owned(),
        async |f| instructor_page(&ctx, Some(id), f),
    )
    .await
}

async fn toggle_instructor(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let id = params::id(&id, "授课教师")?;
    let on = active_flag(&fields);
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    match instructors::set_active(&tx, id, on).await {
        Ok(_) => {
            tx.commit().await?;
            Ok(Redirect::to(if on { "/instructors?done=on" } else { "/instructors?done=off" }).into_response())
        }
        Err(e) => {
            tx.rollback().await?;
            Err(e.into())
        }
    }
}

// ---- Venues ----

#[derive(Template)]
#[template(path = "classes/venues.html")]
struct VenueList {
    layout: Layout,
    rows: Vec<Venue>,
    can_edit: bool,
    pager: Pager,
}

async fn list_venues(State(st): State<AppState>, ctx: Ctx, Query(p): Query<Params>) -> AppResult<Html<String>> {
    let paging = Paging::from(&p, PAGE_SIZE);
    let page = venues::list(&st.db, &ctx.scope, paging.at, paging.limit()).await?;
    let layout =
        Layout::new(&ctx, "教学场地", "venues").crumb("教育培训", None).crumb("教学场地", None).notice(notice(&p));
    render(&VenueList {
        layout,
        rows: page.items,
        can_edit: ctx.session.account.roles.can(Perm::TRAINING_EDIT),
        pager: Pager::new("/venues", &p, &[], &paging, (page.prev, page.next), None),
    })
}

#[derive(Template)]
#[template(path = "classes/venue_form.html")]
struct VenueForm {
    layout: Layout,
    action: String,
    form: crate::form::Form,
    kinds: Vec<(&'static str, &'static str)>,
}

fn venue_page(ctx: &Ctx, id: Option<i64>, form: crate::form::Form) -> AppResult<Html<String>> {
    let (title, action) = match id {
        Some(id) => ("修改教学场地", format!("/venues/{id}")),
        None => ("登记教学场地", "/venues".to_owned()),
    };
    let layout = Layout::new(ctx, title, "venues").crumb("教学场地", Some("/venues".into())).crumb(title, None);
    render(&VenueForm { layout, action, form, kinds: params::options::<VenueKind>() })
}

fn venue_input(form: &crate::form::Form) -> (VenueInput, Vec<xuepei_domain::validate::FieldError>) {
    let mut errs = Vec::new();
    let t = xuepei_domain::text::to_halfwidth(form.value("capacity").trim());
    let capacity = if t.is_empty() {
        None
    } else {
        t.parse().ok().or_else(|| {
            errs.push(xuepei_domain::validate::FieldError {
                field: "capacity",
                message: format!("容纳人数“{t}”应为整数"),
            });
            None
        })
    };
    let input = VenueInput {
        org: form.value("org").to_owned(),
        name: form.value("name").to_owned(),
        kind: form.value("kind").to_owned(),
        address: form.value("address").to_owned(),
        capacity,
        note: form.value("note").to_owned(),
    };
    (input, errs)
}

async fn new_venue(State(st): State<AppState>, ctx: Ctx) -> AppResult<Html<String>> {
    let form =
        crate::form::Form::new().with("org", own_code(&st, &ctx).await?).with("kind", VenueKind::Classroom.code());
    venue_page(&ctx, None, form)
}

async fn edit_venue(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> AppResult<Html<String>> {
    let id = params::id(&id, "教学场地")?;
    let v = venues::get(&st.db, &ctx.scope, id).await?;
    let form = crate::form::Form::new()
        .with("org", v.org.code.clone())
        .with("name", v.name.clone())
        .with("kind", v.kind.code())
        .with("address", v.address.clone().unwrap_or_default())
        .with("capacity", v.capacity.map(|c| c.to_string()).unwrap_or_default())
        .with("note", v.note.clone().unwrap_or_default());
    venue_page(&ctx, Some(id), form)
}

/// Saves a venue: the form's own errors and the store's are shown together.
async fn save_venue(st: &AppState, ctx: &Ctx, id: Option<i64>, fields: Vec<(String, String)>) -> AppResult<Response> {
    let form = crate::form::Form::submitted(fields);
    let (input, errs) = venue_input(&form);
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    let result = match (id, errs.is_empty()) {
        (Some(id), true) => venues::update(&tx, id, &input).await,
        (None, true) => venues::create(&tx, &input).await,
        (_, false) => {
            let mut input = input.clone();
            input.capacity = None;
            let store = venues::check(tx.conn(), tx.scope(), &input).await;
            let mut all = errs;
            if let Err(xuepei_store::StoreError::Invalid(more)) = store {
                all.extend(more);
            }
            Err(xuepei_store::StoreError::Invalid(all))
        }
    };
    save_or_refuse(tx, result, form, |_| "/venues?done=saved".to_owned(), async |f| venue_page(ctx, id, f)).await
}

async fn create_venue(
    State(st): State<AppState>,
    ctx: Ctx,
    Form(fields): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    save_venue(&st, &ctx, None, fields).await
}

async fn update_venue(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let id = params::id(&id, "教学场地")?;
    venues::get(&st.db, &ctx.scope, id).await?;
    save_venue(&st, &ctx, Some(id), fields).await
}

async fn toggle_venue(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let id = params::id(&id, "教学场地")?;
    let on = active_flag(&fields);
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    match venues::set_active(&tx, id, on).await {
        Ok(_) => {
            tx.commit().await?;
            Ok(Redirect::to(if on { "/venues?done=on" } else { "/venues?done=off" }).into_response())
        }
        Err(e) => {
            tx.rollback().await?;
            Err(e.into())
        }
    }
}
