//! Coverage of a campaign (覆盖情况): the figures of the viewer's scope or of one of its
//! organisations, with each child's figures to drill down to the village, every quota met
//! or not with its numbers, and the names of who is not yet in a batch; each view exports
//! to Excel. Numbers and names are always the viewer's scope's only.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Html, Redirect, Response};
use xuepei_domain::accounts::Perm;
use xuepei_domain::labels::Labeled;
use xuepei_office::write::{Cell, Column};
use xuepei_store::coverage::{self, Coverage};
use xuepei_store::org::At;
use xuepei_store::targets::{self, ProgressFilter, TargetQuery, TargetRow};

use crate::AppState;
use crate::auth::Ctx;
use crate::error::{AppResult, render};
use crate::exports::{finish, write_in_background};
use crate::layout::Layout;
use crate::params::{self, Params};
use crate::routes::{Access, MenuEntry, MenuGroup, Routes};

pub fn routes(r: Routes) -> Routes {
    let view = Access::Page(Perm::TRAINING_VIEW);
    r.menu(MenuEntry {
        group: MenuGroup::Training,
        order: 20,
        key: "coverage",
        label: "覆盖情况",
        href: "/campaigns",
        visible: |can| can(Perm::TRAINING_VIEW),
    })
    .get("/campaigns/{id}/coverage", view, show)
    .post("/campaigns/{id}/coverage/export", view, export)
    .post("/campaigns/{id}/coverage/refresh", view, refresh)
}

const MISSING_PAGE: u64 = 50;

#[derive(Template)]
#[template(path = "coverage/show.html")]
struct ShowPage {
    layout: Layout,
    c: Coverage,
    org_param: String,
    refreshed: String,
    missing: Vec<TargetRow>,
    missing_next: Option<String>,
    quota_rows: Vec<(String, String, String, String, String, &'static str, bool)>,
}

/// The quota table as text: name, level, required, group/reached, actual, verdict, met.
fn quota_rows(c: &Coverage) -> Vec<(String, String, String, String, String, &'static str, bool)> {
    c.quotas
        .iter()
        .map(|q| {
            (
                q.name.clone(),
                format!("{}及以上", q.level.label()),
                q.result.required_percent.to_string(),
                format!("{} / {}", q.reached, q.group),
                q.result.actual_percent.map_or_else(|| "—".to_owned(), |p| p.to_string()),
                q.result.status_label(),
                q.result.met == Some(true),
            )
        })
        .collect()
}

async fn show(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(p): Query<Params>,
) -> AppResult<Html<String>> {
    let id = params::id(&id, "轮训工作")?;
    let org = params::num(&p, "org");
    let c = coverage::summary(&st.db, &ctx.scope, id, org).await?;
    let q = TargetQuery {
        campaign_id: id,
        under: c.org.as_ref().map(|o| o.id),
        progress: Some(ProgressFilter::NotPlanned),
        ..Default::default()
    };
    let missing = targets::list(&st.db, &ctx.scope, &q, At::after(params::text(&p, "after")), MISSING_PAGE).await?;
    let mut layout = Layout::new(&ctx, format!("覆盖情况：{}", c.campaign.title), "coverage")
        .crumb("轮训工作", Some("/campaigns".into()))
        .crumb(c.campaign.title.clone(), Some(format!("/campaigns/{id}")))
        .crumb("覆盖情况", Some(format!("/campaigns/{id}/coverage")));
    if let Some(o) = &c.org {
        // Every level between the scope's root and the organisation, each a step back up.
        for a in xuepei_store::org::ancestors(&st.db, &ctx.scope, o.id).await? {
            let href = (a.id != o.id).then(|| format!("/campaigns/{id}/coverage?org={}", a.id));
            layout = layout.crumb(a.display_name().to_owned(), href);
        }
    }
    if params::text(&p, "done") == Some("refreshed") {
        layout = layout.notice(Some("已按最新花名册重新统计".into()));
    }
    let org_param = c.org.as_ref().map(|o| o.id.to_string()).unwrap_or_default();
    render(&ShowPage {
        quota_rows: quota_rows(&c),
        refreshed: xuepei_domain::time::second(c.refreshed_at),
        layout,
        org_param,
        missing: missing.items,
        missing_next: missing.next,
        c,
    })
}

async fn refresh(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(p): Query<Params>,
) -> AppResult<Redirect> {
    let id = params::id(&id, "轮训工作")?;
    coverage::refresh(&st.db, &ctx.scope, id).await?;
    let org = params::num(&p, "org").map(|o| format!("&org={o}")).unwrap_or_default();
    Ok(Redirect::to(&format!("/campaigns/{id}/coverage?done=refreshed{org}")))
}

const FIGURE_COLUMNS: [Column; 7] = [
    Column { header: "组织", width: 36.0 },
    Column { header: "参训对象", width: 10.0 },
    Column { header: "已安排", width: 10.0 },
    Column { header: "已报名", width: 10.0 },
    Column { header: "已结业", width: 10.0 },
    Column { header: "尚未安排", width: 10.0 },
    Column { header: "覆盖率", width: 10.0 },
];

const MISSING_COLUMNS: [Column; 5] = [
    Column { header: "姓名", width: 10.0 },
    Column { header: "身份证号", width: 22.0 },
    Column { header: "职务", width: 30.0 },
    Column { header: "所在组织", width: 44.0 },
    Column { header: "组织代码", width: 16.0 },
];

/// `view=missing` exports the missing names, otherwise the figures by organisation and
/// the quotas.
async fn export(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(p): Query<Params>,
) -> AppResult<Response> {
    let id = params::id(&id, "轮训工作")?;
    let org = params::num(&p, "org");
    let c = coverage::summary(&st.db, &ctx.scope, id, org).await?;
    let (db, scope) = (st.db.clone(), ctx.scope.clone());
    if params::text(&p, "view") == Some("missing") {
        let under = c.org.as_ref().map(|o| o.id);
        return super::send_export(&st, &ctx, "尚未安排人员名单", |path| async move {
            let (tx, handle) =
                write_in_background(path, "尚未安排", format!("{}：尚未安排人员", c.campaign.title), &MISSING_COLUMNS)
                    .await;
            let q = TargetQuery {
                campaign_id: id,
                under,
                progress: Some(ProgressFilter::NotPlanned),
                ..Default::default()
            };
            let mut after: Option<String> = None;
            loop {
                let page = targets::list(&db, &scope, &q, At::after(after.as_deref()), 2000).await?;
                let batch: Vec<Vec<Cell>> = page
                    .items
                    .into_iter()
                    .map(|r| {
                        vec![
                            r.person.name.into(),
                            r.person.id_number.into(),
                            r.person.position.unwrap_or_default().into(),
                            r.org_name.into(),
                            r.org_code.into(),
                        ]
                    })
                    .collect();
                if tx.send(batch).await.is_err() {
                    break;
                }
                match page.next {
                    Some(n) => after = Some(n),
                    None => break,
                }
            }
            finish(tx, handle).await
        })
        .await;
    }
    super::send_export(&st, &ctx, "覆盖情况", |path| async move {
        let (tx, handle) =
            write_in_background(path, "覆盖情况", format!("{}：覆盖情况", c.campaign.title), &FIGURE_COLUMNS).await;
        let line = |name: String, f: &coverage::Figures| -> Vec<Cell> {
            vec![
                name.into(),
                f.target.into(),
                f.planned.into(),
                f.enrolled.into(),
                f.trained.into(),
                f.not_planned().into(),
                f.percent(f.planned).into(),
            ]
        };
        let mut rows =
            vec![line(c.org.as_ref().map_or_else(|| "合计".to_owned(), |o| format!("{}（合计）", o.name)), &c.figures)];
        for k in &c.children {
            rows.push(line(k.org.name.clone(), &k.figures));
        }
        rows.push(vec![Cell::Empty]);
        rows.push(vec![
            "比例要求".into(),
            "对象人数".into(),
            "达到人数".into(),
            "要求".into(),
            "实际".into(),
            "结论".into(),
        ]);
        for q in &c.quotas {
            rows.push(vec![
                format!("{}（{}及以上）", q.name, q.level.label()).into(),
                q.group.into(),
                q.reached.into(),
                q.result.required_percent.to_string().into(),
                q.result.actual_percent.map_or_else(|| "—".to_owned(), |p| p.to_string()).into(),
                q.result.status_label().into(),
            ]);
        }
        let _ = tx.send(rows).await;
        finish(tx, handle).await
    })
    .await
}
