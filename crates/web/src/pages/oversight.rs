//! Theory-study oversight (学习督查统计, issue 13 item 6): for an organisation and a year or
//! month, the organisation's own records and each direct child's subtree — first-item
//! compliance, study-group sessions against plan and attendance, leaders' quota
//! completion — with links down to the child's view and to the records, and the Excel
//! export of the same table.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{Html, Response};
use chrono::Datelike;
use xuepei_domain::accounts::Perm;
use xuepei_domain::study::meetings::Period;
use xuepei_office::write::{Cell, Export};
use xuepei_store::org;
use xuepei_store::study_oversight::{self, Overview, OverviewRow, RowKind};

use crate::AppState;
use crate::auth::Ctx;
use crate::error::{AppError, AppResult, render};
use crate::layout::Layout;
use crate::params::{self, Params};
use crate::routes::{Access, MenuEntry, MenuGroup, Routes};

pub fn routes(r: Routes) -> Routes {
    let view = Access::Page(Perm::STUDY_VIEW);
    r.menu(MenuEntry {
        group: MenuGroup::Study,
        order: 12,
        key: "study_oversight",
        label: "学习督查统计",
        href: "/study/oversight",
        visible: |can| can(Perm::STUDY_VIEW),
    })
    .get("/study/oversight", view, page)
    .post("/study/oversight/export", view, export)
}

/// What the view asks for: an organisation (default: the scope's own) and a period
/// (default: this year).
struct Ask {
    org: String,
    year: i32,
    month: Option<u32>,
}

async fn ask(st: &AppState, ctx: &Ctx, p: &Params) -> AppResult<Ask> {
    let org = match params::text(p, "org") {
        Some(c) => c.to_owned(),
        None => match ctx.scope.root_org_id() {
            Some(id) => org::get(&st.db, &ctx.scope, id).await?.code,
            None => return Err(AppError::BadRequest("请填写要查看的单位（组织代码）".into())),
        },
    };
    let year = match params::text(p, "year") {
        None => xuepei_domain::time::today().year(),
        Some(_) => params::num(p, "year")
            .and_then(|y| i32::try_from(y).ok())
            .filter(|y| Period::new(*y, None).is_ok())
            .ok_or_else(|| AppError::BadRequest("年份有误，请填写四位年份，如2026".into()))?,
    };
    let month = match params::text(p, "month") {
        None => None,
        Some(_) => Some(
            params::num(p, "month")
                .and_then(|m| u32::try_from(m).ok())
                .filter(|m| (1..=12).contains(m))
                .ok_or_else(|| AppError::BadRequest("月份有误，应为1至12".into()))?,
        ),
    };
    Ok(Ask { org, year, month })
}

/// A row as the page shows it, with its links.
struct RowView {
    name: String,
    /// "本级", "下级（含所属单位）" or "合计".
    what: &'static str,
    /// The same view for the child (drill-down).
    down: Option<String>,
    meetings_href: String,
    exceptions_href: String,
    sessions_href: String,
    leaders_href: String,
    row: OverviewRow,
    total: bool,
}

fn pct(v: Option<f64>) -> String {
    v.map(|v| format!("{v}%")).unwrap_or_else(|| "—".into())
}

impl RowView {
    fn compliance(&self) -> String {
        pct(self.row.figures.compliance_rate())
    }
    fn attendance(&self) -> String {
        pct(self.row.figures.attendance_rate())
    }
    fn quota(&self) -> String {
        pct(self.row.figures.quota_rate())
    }
}

fn views(o: &Overview) -> Vec<RowView> {
    let period = match o.month {
        Some(m) => format!("&year={}&month={m}", o.year),
        None => format!("&year={}", o.year),
    };
    let enc = |s: &str| url_enc(s);
    o.rows
        .iter()
        .chain(std::iter::once(&o.total))
        .map(|r| {
            let code = enc(&r.org.code);
            // Meetings and sessions lists show one organisation's own records: a child's
            // subtree is seen by drilling down.
            let own = r.kind == RowKind::Own;
            RowView {
                name: r.org.name.clone(),
                what: match r.kind {
                    RowKind::Own => "本级",
                    RowKind::Child => "下级（含所属单位）",
                    RowKind::Total => "合计",
                },
                down: (r.kind == RowKind::Child).then(|| format!("/study/oversight?org={code}{period}")),
                meetings_href: if own {
                    format!("/study/meetings?org={code}{period}")
                } else {
                    format!("/study/oversight?org={code}{period}")
                },
                exceptions_href: if own {
                    format!("/study/meetings?org={code}{period}&compliant=0")
                } else {
                    format!("/study/oversight?org={code}{period}")
                },
                sessions_href: if own {
                    format!("/study/groups?org={code}&year={}", o.year)
                } else {
                    format!("/study/oversight?org={code}{period}")
                },
                leaders_href: format!("/study/leaders?under={}", r.org.id),
                total: r.kind == RowKind::Total,
                row: r.clone(),
            }
        })
        .collect()
}

fn url_enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[derive(Template)]
#[template(path = "oversight/overview.html")]
struct Page {
    layout: Layout,
    title: String,
    rows: Vec<RowView>,
    org: String,
    year: String,
    month: String,
    up: Option<(String, String)>,
    export_action: String,
}

async fn page(State(st): State<AppState>, ctx: Ctx, Query(p): Query<Params>) -> AppResult<Html<String>> {
    let a = ask(&st, &ctx, &p).await?;
    let o = study_oversight::overview(&st.db, &ctx.scope, &a.org, a.year, a.month).await?;
    let month = o.month.map(|m| m.to_string()).unwrap_or_default();
    let period_q =
        if month.is_empty() { format!("&year={}", o.year) } else { format!("&year={}&month={month}", o.year) };
    let up =
        o.parent.as_ref().map(|p| (p.name.clone(), format!("/study/oversight?org={}{period_q}", url_enc(&p.code))));
    let layout =
        Layout::new(&ctx, "学习督查统计", "study_oversight").crumb("理论学习", None).crumb("学习督查统计", None);
    let query = params::query(&[
        ("org", Some(o.org.code.clone())),
        ("year", Some(o.year.to_string())),
        ("month", Some(month.clone())),
    ]);
    render(&Page {
        layout,
        title: format!("{}{}", o.org.name, o.period_label()),
        rows: views(&o),
        org: o.org.code.clone(),
        year: o.year.to_string(),
        month,
        up,
        export_action: format!("/study/oversight/export{query}"),
    })
}

async fn export(State(st): State<AppState>, ctx: Ctx, Query(p): Query<Params>) -> AppResult<Response> {
    let a = ask(&st, &ctx, &p).await?;
    let o = study_oversight::overview(&st.db, &ctx.scope, &a.org, a.year, a.month).await?;
    let what = format!("学习督查统计_{}{}", o.org.name, o.period_label());
    let title = format!("{}{}理论学习督查统计", o.org.name, o.period_label());
    crate::pages::send_export(&st, &ctx, &what, |path| async move {
        let w = |e: xuepei_office::write::WriteError| crate::exports::ExportError::Write(e.to_string());
        let columns: Vec<(&str, f64)> = vec![
            ("单位", 24.0),
            ("组织代码", 14.0),
            ("范围", 16.0),
            ("会议次数", 10.0),
            ("第一议题合规", 12.0),
            ("合规率", 10.0),
            ("中心组数", 10.0),
            ("集中学习次数", 12.0),
            ("其中专题研讨", 12.0),
            ("计划次数", 10.0),
            ("计划专题研讨", 12.0),
            ("出勤率", 10.0),
            ("出勤率低于要求", 14.0),
            ("适用学习任务人数", 16.0),
            ("任务完成项", 12.0),
            ("任务总项", 10.0),
            ("完成率", 10.0),
            ("未完成人数", 12.0),
        ];
        let mut x = Export::with_headers("学习督查统计", &title, &columns).map_err(w)?;
        for v in views(&o) {
            let f = &v.row.figures;
            let n = |n: u32| Cell::from(i64::from(n));
            x.row(&[
                Cell::Text(v.name.clone()),
                Cell::Text(v.row.org.code.clone()),
                Cell::Text(v.what.to_owned()),
                n(f.meetings),
                n(f.compliant),
                Cell::Text(v.compliance()),
                n(f.groups),
                n(f.sessions),
                n(f.thematic),
                n(f.planned),
                n(f.thematic_planned),
                Cell::Text(v.attendance()),
                Cell::Text(if v.row.attendance_below() {
                    format!("是（要求{}%）", v.row.attendance_min)
                } else {
                    "否".into()
                }),
                n(f.leaders),
                n(f.lines_met),
                n(f.lines),
                Cell::Text(v.quota()),
                n(f.behind),
            ])
            .map_err(w)?;
        }
        let n = x.rows_written();
        x.save(&path).map_err(w)?;
        Ok(n)
    })
    .await
}
