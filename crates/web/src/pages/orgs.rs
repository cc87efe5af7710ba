//! Organisation pages: the tree, the list, details and the forms that change them.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use xuepei_domain::accounts::Perm;
use xuepei_domain::labels::Labeled;
use xuepei_domain::org::{OrgKind, Sector, ref_text, validate_org};
use xuepei_domain::validate::FieldError;
use xuepei_store::org::{self, At, Org, OrgFilter, OrgInput, OrgNode};
use xuepei_store::people::{self as people_repo, PersonFilter, PersonRow, PersonSort};
use xuepei_store::{StoreError, Tx};

use crate::AppState;
use crate::auth::Ctx;
use crate::error::{AppError, AppResult, render};
use crate::form::save_or_refuse;
use crate::layout::Layout;
use crate::pager::{Pager, Paging};
use crate::params::{self, Params};
use crate::routes::{Access, MenuEntry, MenuGroup, Routes};

pub fn routes(r: Routes) -> Routes {
    let view = Access::Page(Perm::ORGS_VIEW);
    let edit = Access::Page(Perm::ORGS_EDIT);
    r.menu(MenuEntry {
        group: MenuGroup::Registry,
        order: 0,
        key: "orgs",
        label: "组织机构",
        href: "/orgs",
        visible: |can| can(Perm::ORGS_VIEW),
    })
    .menu(MenuEntry {
        group: MenuGroup::Registry,
        order: 1,
        key: "orgs-list",
        label: "组织列表",
        href: "/orgs/list",
        visible: |can| can(Perm::ORGS_VIEW),
    })
    .audit_labels(&[
        ("org.create", "新增组织"),
        ("org.update", "修改组织"),
        ("org.move", "移动组织"),
        ("org.deactivate", "撤销组织"),
        ("org.reactivate", "恢复组织"),
        ("org.import", "导入组织"),
    ])
    .get("/orgs", view, tree)
    .post("/orgs", edit, create)
    .get("/orgs/list", view, list)
    .get("/orgs/pick", view, pick)
    .post("/orgs/export.xlsx", edit, export)
    .get("/orgs/new", edit, new_form)
    .get("/orgs/{id}", view, detail)
    .post("/orgs/{id}", edit, update)
    .get("/orgs/{id}/children", view, children)
    .get("/orgs/{id}/edit", edit, edit_form)
    .post("/orgs/{id}/move", edit, move_org)
    .post("/orgs/{id}/deactivate", edit, deactivate)
    .post("/orgs/{id}/reactivate", edit, reactivate)
}

/// A tree node as the templates show it.
#[derive(Debug, Clone)]
pub struct NodeView {
    pub id: i64,
    pub name: String,
    pub full_name: String,
    pub code: String,
    pub kind: &'static str,
    pub active: bool,
    pub descendants: i64,
    pub people: i64,
    pub children: Vec<NodeView>,
}

impl From<OrgNode> for NodeView {
    fn from(n: OrgNode) -> Self {
        NodeView {
            id: n.org.id,
            name: n.org.display_name().to_owned(),
            full_name: n.org.name.clone(),
            code: n.org.code.clone(),
            kind: n.org.kind.label(),
            active: n.org.active,
            descendants: n.descendants,
            people: n.people,
            children: Vec::new(),
        }
    }
}

#[derive(Template)]
#[template(path = "orgs/tree.html")]
struct TreePage {
    layout: Layout,
    roots: Vec<NodeView>,
    inactive: bool,
}

#[derive(Template)]
#[template(path = "orgs/children.html")]
struct ChildrenFragment {
    nodes: Vec<NodeView>,
    inactive: bool,
}

async fn tree(State(st): State<AppState>, ctx: Ctx, Query(p): Query<Params>) -> AppResult<Html<String>> {
    let inactive = params::flag(&p, "inactive");
    let mut roots: Vec<NodeView> = Vec::new();
    for n in org::children(&st.db, &ctx.scope, None, inactive).await? {
        let id = n.org.id;
        let mut v = NodeView::from(n);
        v.children =
            org::children(&st.db, &ctx.scope, Some(id), inactive).await?.into_iter().map(NodeView::from).collect();
        roots.push(v);
    }
    let layout = Layout::new(&ctx, "组织机构", "orgs").crumb("基础数据", None).crumb("组织机构", None);
    render(&TreePage { layout, roots, inactive })
}

async fn children(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(p): Query<Params>,
) -> AppResult<Html<String>> {
    let id = params::id(&id, "组织")?;
    let inactive = params::flag(&p, "inactive");
    org::get(&st.db, &ctx.scope, id).await?;
    let nodes = org::children(&st.db, &ctx.scope, Some(id), inactive).await?.into_iter().map(NodeView::from).collect();
    render(&ChildrenFragment { nodes, inactive })
}

/// An organisation in a list row.
#[derive(Debug, Clone)]
pub struct OrgRowView {
    pub org: Org,
    pub parent: String,
}

#[derive(Template)]
#[template(path = "orgs/list.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<OrgRowView>,
    total: u64,
    q: String,
    sector: String,
    kind: String,
    under: Option<Org>,
    inactive: bool,
    sectors: Vec<(&'static str, &'static str)>,
    kinds: Vec<(&'static str, &'static str)>,
    pager: Pager,
    export_href: String,
}

fn org_filter(p: &Params) -> OrgFilter {
    crate::kinds::orgs::filter(p)
}

/// The filters a list page carries into its links.
const FILTERS: [&str; 5] = ["q", "sector", "kind", "under", "inactive"];

async fn list(State(st): State<AppState>, ctx: Ctx, Query(p): Query<Params>) -> AppResult<Html<String>> {
    let f = org_filter(&p);
    let under = match f.under {
        Some(id) => Some(org::get(&st.db, &ctx.scope, id).await?),
        None => None,
    };
    let total = org::count(&st.db, &ctx.scope, &f).await?;
    let paging = Paging::from(&p, 50).within(Some(total));
    let page = org::list(&st.db, &ctx.scope, &f, paging.at, paging.limit()).await?;
    let pager = Pager::new("/orgs/list", &p, &FILTERS, &paging, (page.prev.clone(), page.next.clone()), Some(total));
    let parent_ids: Vec<i64> = page.items.iter().filter_map(|o| o.parent_id).collect();
    let parents = org::get_many(&st.db, &ctx.scope, &parent_ids).await?;
    let rows = page
        .items
        .into_iter()
        .map(|o| {
            let parent =
                o.parent_id.and_then(|id| parents.get(&id)).map(|p| p.display_name().to_owned()).unwrap_or_default();
            OrgRowView { org: o, parent }
        })
        .collect();
    let layout = Layout::new(&ctx, "组织列表", "orgs-list").crumb("基础数据", None).crumb("组织列表", None);
    render(&ListPage {
        layout,
        rows,
        total,
        q: params::text(&p, "q").unwrap_or_default().to_owned(),
        sector: f.sector.map(|s| s.code()).unwrap_or_default().to_owned(),
        kind: f.kind.map(|k| k.code()).unwrap_or_default().to_owned(),
        under,
        inactive: f.include_inactive,
        sectors: params::options::<Sector>(),
        kinds: params::options::<OrgKind>(),
        pager,
        export_href: format!("/orgs/export.xlsx{}", params::keep(&p, &FILTERS)),
    })
}

async fn export(State(st): State<AppState>, ctx: Ctx, Query(p): Query<Params>) -> AppResult<Response> {
    super::send_kind_export(&st, &ctx, crate::kinds::orgs::KIND, &p).await
}

#[derive(Template)]
#[template(path = "orgs/detail.html")]
struct DetailPage {
    layout: Layout,
    org: Org,
    parent: Option<Org>,
    authority: Option<Org>,
    children: Vec<NodeView>,
    people: Vec<PersonRow>,
    subtree_people: i64,
    subtree_orgs: i64,
    is_scope_root: bool,
}

async fn detail(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(p): Query<Params>,
) -> AppResult<Html<String>> {
    let id = params::id(&id, "组织")?;
    let o = org::get(&st.db, &ctx.scope, id).await?;
    let chain = org::ancestors(&st.db, &ctx.scope, id).await?;
    let parent = match o.parent_id {
        Some(pid) => org::get(&st.db, &ctx.scope, pid).await.ok(),
        None => None,
    };
    let authority = match o.authority_org_id {
        Some(aid) => org::authority(&st.db, &ctx.scope, aid).await?,
        None => None,
    };
    let children = org::children(&st.db, &ctx.scope, Some(id), true).await?.into_iter().map(NodeView::from).collect();
    let filter = PersonFilter { direct: Some(id), ..Default::default() };
    let people = people_repo::list(&st.db, &ctx.scope, &filter, PersonSort::Org, At::First, 20).await?.items;
    let totals = org::subtree_totals(&st.db, &ctx.scope, o.id).await?;
    let mut layout = Layout::new(&ctx, o.display_name().to_owned(), "orgs").crumb("组织机构", Some("/orgs".into()));
    for a in &chain[..chain.len().saturating_sub(1)] {
        layout = layout.crumb(a.display_name().to_owned(), Some(format!("/orgs/{}", a.id)));
    }
    layout = layout.crumb(o.display_name().to_owned(), None).notice(notice(&p));
    render(&DetailPage {
        layout,
        is_scope_root: ctx.scope.root_org_id() == Some(o.id),
        subtree_people: totals.people,
        subtree_orgs: totals.orgs - 1,
        org: o,
        parent,
        authority,
        children,
        people,
    })
}

/// Messages after a redirect, by code (never echoing user text).
fn notice(p: &Params) -> Option<String> {
    let n = params::text(p, "done")?;
    Some(
        match n {
            "created" => "组织已新增",
            "updated" => "组织信息已保存",
            "moved" => "组织已移动到新的上级组织之下",
            "deactivated" => "组织及其下级组织已撤销",
            "reactivated" => "组织已恢复",
            _ => return None,
        }
        .to_owned(),
    )
}

#[derive(Template)]
#[template(path = "orgs/form.html")]
struct FormPage {
    layout: Layout,
    action: String,
    parent: Option<Org>,
    form: crate::form::Form,
    kinds: Vec<(&'static str, &'static str)>,
    sectors: Vec<(&'static str, &'static str)>,
    authorities: Vec<(i64, String)>,
}

async fn form_page(
    st: &AppState,
    ctx: &Ctx,
    editing: Option<&Org>,
    parent: Option<Org>,
    form: crate::form::Form,
) -> AppResult<Html<String>> {
    let (title, action) = match editing {
        Some(o) => (format!("编辑：{}", o.display_name()), format!("/orgs/{}", o.id)),
        None => ("新增组织".to_owned(), "/orgs".to_owned()),
    };
    let layout = Layout::new(ctx, title.clone(), "orgs").crumb("组织机构", Some("/orgs".into())).crumb(title, None);
    render(&FormPage {
        layout,
        action,
        parent,
        form,
        kinds: params::options::<OrgKind>(),
        sectors: params::options::<Sector>(),
        authorities: org::authority_candidates(&st.db, &ctx.scope).await?.into_iter().map(|a| (a.id, a.name)).collect(),
    })
}

async fn new_form(State(st): State<AppState>, ctx: Ctx, Query(p): Query<Params>) -> AppResult<Html<String>> {
    let parent = match params::num(&p, "parent") {
        Some(pid) => Some(org::get(&st.db, &ctx.scope, pid).await?),
        None if ctx.scope.is_system() => None,
        None => match ctx.scope.root_org_id() {
            Some(root) => Some(org::get(&st.db, &ctx.scope, root).await?),
            None => None,
        },
    };
    let mut form = crate::form::Form::new();
    if let Some(par) = &parent {
        form.set("parent", par.id.to_string());
        form.set("sector", par.sector.code());
        if let Some(a) = par.authority_org_id {
            form.set("authority", a.to_string());
        }
    }
    form_page(&st, &ctx, None, parent, form).await
}

async fn edit_form(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> AppResult<Html<String>> {
    let id = params::id(&id, "组织")?;
    let o = org::get(&st.db, &ctx.scope, id).await?;
    let form = crate::form::Form::new()
        .with("code", o.code.clone())
        .with("name", o.name.clone())
        .with("short_name", o.short_name.clone().unwrap_or_default())
        .with("kind", o.kind.code())
        .with("sector", o.sector.code())
        .with("authority", o.authority_org_id.map(|a| a.to_string()).unwrap_or_default());
    form_page(&st, &ctx, Some(&o), None, form).await
}

/// Reads an organisation form: `parent` and `authority` are ids from the page.
fn form_input(form: &crate::form::Form, parent_id: Option<i64>) -> Result<OrgInput, Vec<FieldError>> {
    // The form posts ids for references; validation wants text, so ids pass as codes
    // and are checked by the store against the scope.
    let mut text = form.clone();
    text.set("parent", "");
    text.set("authority", "");
    let chosen: HashMap<String, String> = [("authority".to_owned(), form.value("authority").to_owned())].into();
    let (d, authority) =
        params::with_choice(validate_org(&text), params::chosen_id(&chosen, "authority", "干部管理单位"))?;
    Ok(OrgInput {
        code: d.code,
        name: d.name,
        short_name: d.short_name,
        kind: d.kind,
        sector: d.sector,
        parent_id,
        authority_org_id: authority,
    })
}

async fn create(
    State(st): State<AppState>,
    ctx: Ctx,
    Form(fields): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let form = crate::form::Form::submitted(fields);
    let parent = match form.value("parent").trim().parse::<i64>().ok() {
        Some(pid) => Some(org::get(&st.db, &ctx.scope, pid).await?),
        None => None,
    };
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    let result = match form_input(&form, parent.as_ref().map(|p| p.id)) {
        Ok(input) => org::create(&tx, &input).await,
        Err(errs) => Err(StoreError::Invalid(errs)),
    };
    save_or_refuse(
        tx,
        result,
        form,
        |o| format!("/orgs/{}?done=created", o.id),
        async |f| form_page(&st, &ctx, None, parent, f).await,
    )
    .await
}

async fn update(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let form = crate::form::Form::submitted(fields);
    let id = params::id(&id, "组织")?;
    let current = org::get(&st.db, &ctx.scope, id).await?;
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    let result = match form_input(&form, current.parent_id) {
        Ok(input) => org::update(&tx, id, &input).await,
        Err(errs) => Err(StoreError::Invalid(errs)),
    };
    save_or_refuse(
        tx,
        result,
        form,
        |_| format!("/orgs/{id}?done=updated"),
        async |f| form_page(&st, &ctx, Some(&current), None, f).await,
    )
    .await
}

async fn move_org(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(values): Form<HashMap<String, String>>,
) -> AppResult<Response> {
    let id = params::id(&id, "组织")?;
    let target = values.get("parent").map(String::as_str).unwrap_or_default();
    if target.trim().is_empty() {
        return Err(AppError::BadRequest("请填写新的上级组织（代码或名称）".into()));
    }
    let parent = org::resolve_ref(&st.db, &ctx.scope, target, false).await?;
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    org::move_subtree(&tx, id, parent.id).await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/orgs/{id}?done=moved")).into_response())
}

async fn deactivate(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    let id = params::id(&id, "组织")?;
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    org::deactivate(&tx, id).await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/orgs/{id}?done=deactivated")).into_response())
}

async fn reactivate(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(values): Form<HashMap<String, String>>,
) -> AppResult<Response> {
    let id = params::id(&id, "组织")?;
    let subtree = values.get("subtree").is_some_and(|v| v == "1");
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    org::reactivate(&tx, id, subtree).await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/orgs/{id}?done=reactivated")).into_response())
}

/// The organisation picker: organisations of the scope whose code, name or short name
/// begins with what was typed (as `名称（代码）`, the form that every reference field reads).
async fn pick(State(st): State<AppState>, ctx: Ctx, Query(p): Query<Params>) -> AppResult<Response> {
    let q = params::text(&p, "q").map(str::to_owned);
    let f = OrgFilter { q: q.clone(), ..Default::default() };
    let items = match q {
        Some(_) => org::list(&st.db, &ctx.scope, &f, At::First, 20).await?.items,
        None => Vec::new(),
    };
    let options: Vec<serde_json::Value> = items
        .iter()
        .map(|o| serde_json::json!({ "value": ref_text(&o.name, &o.code), "label": o.display_name() }))
        .collect();
    Ok(axum::Json(options).into_response())
}
