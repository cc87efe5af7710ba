//! Notifications (issue 14 item 6): the bell in the top bar with the unread count, the list
//! of what asks for the user's attention, and marking read. The notifications are derived
//! from the records for the account's scope (see `xuepei_store::notifications`); the
//! bell's count is kept in [`crate::bells`].

use askama::Template;
use axum::extract::{Form as AxForm, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use xuepei_domain::labels::Labeled;
use xuepei_domain::notifications::{self as rules, KEY_MAX, NoticeKind, Notification};
use xuepei_store::notifications;

use crate::AppState;
use crate::auth::Ctx;
use crate::bells::viewer;
use crate::error::{AppError, AppResult, render};
use crate::layout::Layout;
use crate::params::{self, Params};
use crate::routes::{Access, MenuEntry, MenuGroup, Routes};

pub fn routes(r: Routes) -> Routes {
    r.menu(MenuEntry {
        group: MenuGroup::Desk,
        order: 1,
        key: "notifications",
        label: "通知提醒",
        href: "/notifications",
        visible: |_| true,
    })
    .get("/notifications", Access::SignedIn, list)
    .post("/notifications/read", Access::SignedIn, mark_read)
}

#[derive(Template)]
#[template(path = "notifications/list.html")]
struct ListPage {
    layout: Layout,
    items: Vec<Notification>,
    unread: usize,
    total: usize,
    /// Only the unread are shown.
    only_unread: bool,
    kind: String,
    kinds: Vec<(&'static str, &'static str)>,
}

async fn list(State(st): State<AppState>, ctx: Ctx, Query(p): Query<Params>) -> AppResult<Html<String>> {
    let today = xuepei_domain::time::today();
    let all = notifications::list(&st.db, &ctx.scope, &viewer(&ctx.session), today).await?;
    let unread = all.iter().filter(|n| !n.read).count();
    let total = all.len();
    let only_unread = params::text(&p, "show") == Some("unread");
    let kind = params::labeled::<NoticeKind>(&p, "kind");
    let kinds = rules::kinds_of(&all);
    let items =
        all.into_iter().filter(|n| !only_unread || !n.read).filter(|n| kind.is_none_or(|k| n.kind == k)).collect();
    let notice = match params::text(&p, "done") {
        Some("all") => Some("已将全部通知标记为已读".to_owned()),
        Some("one") => Some("已标记为已读".to_owned()),
        _ => None,
    };
    let layout = Layout::new(&ctx, "通知提醒", "notifications").crumb("通知提醒", None).notice(notice);
    render(&ListPage {
        layout,
        items,
        unread,
        total,
        only_unread,
        kind: kind.map(|k| k.code().to_owned()).unwrap_or_default(),
        kinds,
    })
}

/// Marks one notification (`key`) or all (`all=1`) read, then goes to `next` — the matter's
/// page when the user opened it, else back to the list.
async fn mark_read(State(st): State<AppState>, ctx: Ctx, AxForm(p): AxForm<Params>) -> AppResult<Response> {
    let today = xuepei_domain::time::today();
    let v = viewer(&ctx.session);
    let all = params::flag(&p, "all");
    let key = params::text(&p, "key").map(str::to_owned);
    let keys = match (&key, all) {
        (_, true) => None,
        (Some(k), false) if k.len() <= KEY_MAX => Some(vec![k.clone()]),
        _ => return Err(AppError::BadRequest("请选择要标记为已读的通知".into())),
    };
    notifications::mark_read(&st.db, &ctx.scope, &v, today, keys.as_deref()).await?;
    let next = params::text(&p, "next").filter(|h| rules::local_href(h));
    // Back to the list as it was filtered.
    let mut back = format!("/notifications?done={}", if all { "all" } else { "one" });
    if params::text(&p, "show") == Some("unread") {
        back.push_str("&show=unread");
    }
    if let Some(k) = params::labeled::<NoticeKind>(&p, "kind") {
        back.push_str("&kind=");
        back.push_str(k.code());
    }
    let to = next.map_or(back, str::to_owned);
    Ok(Redirect::to(&to).into_response())
}
