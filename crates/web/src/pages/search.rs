//! Full-text search (全文检索) over the study texts of the scope: materials, meeting
//! minutes, discussion notes, speeches, reflections and study reports, ranked, with the
//! matched words highlighted; a kind filter and a pager.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use xuepei_domain::accounts::Perm;
use xuepei_store::StoreError;
use xuepei_store::search::{self, Hit};

use crate::AppState;
use crate::auth::Ctx;
use crate::error::{AppResult, render};
use crate::layout::Layout;
use crate::params::{self, Params};
use crate::routes::{Access, MenuEntry, MenuGroup, Routes};

pub fn routes(r: Routes) -> Routes {
    r.menu(MenuEntry {
        group: MenuGroup::Study,
        order: 50,
        key: "search",
        label: "全文检索",
        href: "/search",
        visible: |can| can(Perm::STUDY_VIEW),
    })
    .get("/search", Access::Page(Perm::STUDY_VIEW), page)
}

const PER_PAGE: u64 = 20;

#[derive(Template)]
#[template(path = "search/page.html")]
struct SearchPage {
    layout: Layout,
    q: String,
    kind: String,
    kinds: Vec<(&'static str, &'static str)>,
    /// Why the query was refused.
    problem: Option<String>,
    searched: bool,
    hits: Vec<Hit>,
    page: u64,
    prev_href: Option<String>,
    next_href: Option<String>,
}

async fn page(State(st): State<AppState>, ctx: Ctx, Query(p): Query<Params>) -> AppResult<Response> {
    // The query as typed (control characters dropped); the store checks and reads it.
    let q: String = p.get("q").map(|s| s.chars().filter(|c| !c.is_control()).collect()).unwrap_or_default();
    let kind = params::text(&p, "kind").filter(|k| search::KINDS.iter().any(|x| x.0 == *k)).map(str::to_owned);
    let number = params::num(&p, "page").and_then(|n| u64::try_from(n).ok()).unwrap_or(1).max(1);
    let layout = Layout::new(&ctx, "全文检索", "search").crumb("理论学习", None).crumb("全文检索", None);
    let kinds = search::KINDS.iter().map(|k| (k.0, k.1)).collect();
    let searched = p.contains_key("q");
    let (mut hits, mut problem, mut page, mut has_next) = (Vec::new(), None, 1, false);
    if searched {
        match search::search(&st.db, &ctx.scope, &q, kind.as_deref(), number, PER_PAGE).await {
            Ok(r) => {
                hits = r.items;
                page = r.page;
                has_next = r.has_next;
            }
            Err(StoreError::Invalid(errs)) => {
                problem = Some(errs.into_iter().map(|e| e.message).collect::<Vec<_>>().join("；"));
            }
            Err(e) => return Err(e.into()),
        }
    }
    let href = |n: u64| {
        format!(
            "/search{}",
            params::query(&[("q", Some(q.clone())), ("kind", kind.clone()), ("page", Some(n.to_string()))])
        )
    };
    let page_view = SearchPage {
        layout,
        q: q.clone(),
        kind: kind.clone().unwrap_or_default(),
        kinds,
        searched: searched && problem.is_none(),
        problem: problem.clone(),
        hits,
        page,
        prev_href: (page > 1).then(|| href(page - 1)),
        next_href: has_next.then(|| href(page + 1)),
    };
    let html = render(&page_view)?;
    Ok(if problem.is_some() { (StatusCode::UNPROCESSABLE_ENTITY, html).into_response() } else { html.into_response() })
}
