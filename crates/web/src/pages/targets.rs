//! The target list of a campaign (参训对象名单): who an organising body of the viewer's scope
//! must train (see `xuepei_store::targets` for the rule), with filters and an Excel export.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Html, Response};
use xuepei_domain::accounts::Perm;
use xuepei_domain::labels::Labeled;
use xuepei_domain::org::Sector;
use xuepei_domain::people::{RankLevel, Role};
use xuepei_office::write::{Cell, Column};
use xuepei_store::campaigns::{self, Campaign};
use xuepei_store::org::{At, Org};
use xuepei_store::people::PeopleCount;
use xuepei_store::targets::{self, ProgressFilter, TargetQuery, TargetRow};

use crate::AppState;
use crate::auth::Ctx;
use crate::error::{AppResult, render};
use crate::exports::{finish, write_in_background};
use crate::layout::Layout;
use crate::params::{self, Params};
use crate::routes::{Access, Routes};

pub fn routes(r: Routes) -> Routes {
    let view = Access::Page(Perm::TRAINING_VIEW);
    r.get("/campaigns/{id}/targets", view, list).post("/campaigns/{id}/targets/export", view, export)
}

const PAGE: u64 = 50;

fn query_of(id: i64, p: &Params) -> TargetQuery {
    TargetQuery {
        campaign_id: id,
        organiser: params::num(p, "organiser"),
        under: params::num(p, "under"),
        sector: params::labeled(p, "sector"),
        role: params::labeled(p, "role"),
        rank_level: params::labeled(p, "rank"),
        progress: params::text(p, "progress").and_then(ProgressFilter::from_code),
    }
}

/// The filters as a query string (to keep them in links and the export).
fn filter_query(p: &Params) -> String {
    let keys = ["organiser", "under", "sector", "role", "rank", "progress"];
    let pairs: Vec<(&str, Option<String>)> = keys.iter().map(|k| (*k, params::text(p, k).map(str::to_owned))).collect();
    params::query(&pairs)
}

#[derive(Template)]
#[template(path = "coverage/targets.html")]
struct ListPage {
    layout: Layout,
    c: Campaign,
    rows: Vec<TargetRow>,
    count: PeopleCount,
    next: Option<String>,
    organisers: Vec<Org>,
    organiser: String,
    sectors: Vec<(&'static str, &'static str)>,
    roles: Vec<(&'static str, &'static str)>,
    ranks: Vec<(&'static str, &'static str)>,
    progresses: Vec<(&'static str, &'static str)>,
    sector: String,
    role: String,
    rank: String,
    progress: String,
    under: String,
    filters: String,
}

async fn list(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(p): Query<Params>,
) -> AppResult<Html<String>> {
    let id = params::id(&id, "轮训工作")?;
    let c = campaigns::get(&st.db, &ctx.scope, id).await?;
    let q = query_of(id, &p);
    let page = targets::list(&st.db, &ctx.scope, &q, At::after(params::text(&p, "after")), PAGE).await?;
    let count = targets::count(&st.db, &ctx.scope, &q).await?;
    let organisers = targets::organisers(&st.db, &ctx.scope).await?;
    let layout = Layout::new(&ctx, format!("参训对象：{}", c.title), "campaigns")
        .crumb("轮训工作", Some("/campaigns".into()))
        .crumb(c.title.clone(), Some(format!("/campaigns/{id}")))
        .crumb("参训对象名单", None);
    let text = |k: &str| params::text(&p, k).unwrap_or_default().to_owned();
    render(&ListPage {
        layout,
        c,
        rows: page.items,
        count,
        next: page.next,
        organisers,
        organiser: text("organiser"),
        sectors: params::options::<Sector>(),
        roles: params::options::<Role>(),
        ranks: params::options::<RankLevel>(),
        progresses: ProgressFilter::ALL.iter().map(|f| (f.code(), f.label())).collect(),
        sector: text("sector"),
        role: text("role"),
        rank: text("rank"),
        progress: text("progress"),
        under: text("under"),
        filters: filter_query(&p),
    })
}

const COLUMNS: [Column; 8] = [
    Column { header: "姓名", width: 10.0 },
    Column { header: "身份证号", width: 22.0 },
    Column { header: "职务", width: 30.0 },
    Column { header: "职级", width: 9.0 },
    Column { header: "班子职务", width: 16.0 },
    Column { header: "所在组织", width: 44.0 },
    Column { header: "组织代码", width: 16.0 },
    Column { header: "培训进度", width: 12.0 },
];

async fn export(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(p): Query<Params>,
) -> AppResult<Response> {
    let id = params::id(&id, "轮训工作")?;
    let c = campaigns::get(&st.db, &ctx.scope, id).await?;
    let q = query_of(id, &p);
    // Refused before the file is made when a filter names something outside the scope.
    targets::count(&st.db, &ctx.scope, &q).await?;
    let (db, scope) = (st.db.clone(), ctx.scope.clone());
    super::send_export(&st, &ctx, "参训对象名单", |path| async move {
        let (tx, handle) = write_in_background(path, "参训对象", format!("{}：参训对象名单", c.title), &COLUMNS).await;
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
                        r.person.rank_level.map(|x| x.label()).unwrap_or_default().into(),
                        r.person.roles.labels().into(),
                        r.org_name.into(),
                        r.org_code.into(),
                        r.progress.label().into(),
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
    .await
}
