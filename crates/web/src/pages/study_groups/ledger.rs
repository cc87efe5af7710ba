//! The study ledger (学习台账) of a group and year: a printable A4 page and an Excel book
//! of five sheets, both from `study_groups::ledger`.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Html, Response};
use xuepei_domain::labels::Labeled;
use xuepei_domain::study::groups::{Presence, below_threshold};
use xuepei_office::write::{Cell, Export, WriteError};
use xuepei_store::study_groups::ledger::{self as store, Ledger};
use xuepei_store::study_groups::sessions::Session;

use super::this_year;
use crate::AppState;
use crate::auth::Ctx;
use crate::error::{AppResult, render};
use crate::layout::Layout;
use crate::params::{self, Params};

#[derive(Template)]
#[template(path = "study_groups/ledger.html")]
struct LedgerPage {
    layout: Layout,
    l: Ledger,
    export_action: String,
    printed: String,
}

/// Names of those of a session with a presence, with the reason of a leave or absence.
pub(super) fn names(s: &Session, p: Presence) -> String {
    let v: Vec<String> = s
        .with(p)
        .map(|a| if a.reason.is_empty() { a.person.name.clone() } else { format!("{}（{}）", a.person.name, a.reason) })
        .collect();
    if v.is_empty() { "无".to_owned() } else { v.join("、") }
}

/// Text for a cell: Excel holds at most 32,767 characters in one.
fn long(s: &str) -> Cell {
    const MAX: usize = 32_000;
    match s.char_indices().nth(MAX) {
        Some((i, _)) => Cell::Text(format!("{}……（以下略，全文见系统）", &s[..i])),
        None => Cell::Text(s.to_owned()),
    }
}

fn rate_text(r: Option<f64>) -> String {
    r.map(|v| format!("{v}%")).unwrap_or_else(|| "—".into())
}

async fn load(st: &AppState, ctx: &Ctx, id: &str, p: &Params) -> AppResult<Ledger> {
    let id = params::id(id, "理论学习中心组")?;
    // A year not begun (or implausible) is refused: it has nothing to fall short of yet.
    let year = crate::pages::meetings::view_year(p)?.unwrap_or_else(this_year);
    Ok(store::ledger(&st.db, &ctx.scope, id, year).await?)
}

pub(super) async fn page(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(p): Query<Params>,
) -> AppResult<Html<String>> {
    let l = load(&st, &ctx, &id, &p).await?;
    let title = format!("{}{}年度学习台账", l.group.name, l.year);
    let layout = Layout::new(&ctx, title.clone(), "study_groups")
        .crumb("理论学习中心组", Some("/study/groups".into()))
        .crumb(l.group.name.clone(), Some(format!("/study/groups/{}?year={}", l.group.id, l.year)))
        .crumb(title, None);
    render(&LedgerPage {
        layout,
        export_action: format!("/study/groups/{}/ledger/export?year={}", l.group.id, l.year),
        printed: xuepei_domain::time::today().to_string(),
        l,
    })
}

pub(super) async fn export(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(p): Query<Params>,
) -> AppResult<Response> {
    let l = load(&st, &ctx, &id, &p).await?;
    let what = format!("学习台账_{}{}年", l.group.name, l.year);
    crate::pages::send_export(&st, &ctx, &what, |path| async move {
        let w = |e: WriteError| crate::exports::ExportError::Write(e.to_string());
        let head = format!("{}{}年度", l.group.name, l.year);
        let mut book: Option<Export> = None;

        let mut rows = Vec::new();
        for plan in &l.plans {
            let base = |month: Cell, topic: Cell| {
                vec![
                    Cell::Text(plan.title.clone()),
                    Cell::Text(plan.kind.label().to_owned()),
                    Cell::Text(plan.state.label().to_owned()),
                    month,
                    topic,
                ]
            };
            if plan.topics.is_empty() {
                rows.push(base(Cell::Empty, long(&plan.body)));
            }
            for t in &plan.topics {
                rows.push(base(Cell::from(i64::from(t.month)), Cell::Text(t.topic.clone())));
            }
        }
        let cols = [("计划", 36.0), ("类别", 14.0), ("状态", 14.0), ("月份", 8.0), ("学习专题", 60.0)];
        sheet(&mut book, "学习计划", &format!("{head}学习计划"), &cols, &rows).map_err(w)?;

        let rows: Vec<Vec<Cell>> = l
            .sessions
            .iter()
            .map(|s| {
                vec![
                    Cell::Date(s.held_on),
                    Cell::Text(s.topic.clone()),
                    Cell::Text(if s.thematic { "是" } else { "否" }.into()),
                    Cell::Text(s.lead.name.clone()),
                    Cell::from(i64::from(s.present)),
                    Cell::from(i64::from(s.expected)),
                    Cell::Text(rate_text(s.rate)),
                    Cell::Text(if below_threshold(s.rate, l.rules) { "低于要求" } else { "" }.into()),
                    long(&s.notes),
                ]
            })
            .collect();
        let cols = [
            ("学习日期", 12.0),
            ("学习主题", 36.0),
            ("专题研讨", 10.0),
            ("领学人", 10.0),
            ("出席人数", 10.0),
            ("应到人数", 10.0),
            ("出勤率", 10.0),
            ("出勤情况", 10.0),
            ("学习研讨记录", 60.0),
        ];
        sheet(&mut book, "集中学习", &format!("{head}集中学习研讨"), &cols, &rows).map_err(w)?;

        let mut rows = Vec::new();
        for s in &l.sessions {
            for a in &s.attendance {
                rows.push(vec![
                    Cell::Date(s.held_on),
                    Cell::Text(s.topic.clone()),
                    Cell::Text(a.person.name.clone()),
                    Cell::Text(a.role.map(|r| r.label()).unwrap_or("已不在组").to_owned()),
                    Cell::Text(a.presence.label().to_owned()),
                    Cell::Text(a.reason.clone()),
                ]);
            }
        }
        let cols =
            [("学习日期", 12.0), ("学习主题", 36.0), ("姓名", 10.0), ("身份", 10.0), ("考勤", 8.0), ("事由", 30.0)];
        sheet(&mut book, "考勤", &format!("{head}集中学习考勤"), &cols, &rows).map_err(w)?;

        let mut rows = Vec::new();
        for s in &l.sessions {
            for x in &s.speeches {
                rows.push(vec![
                    Cell::Date(s.held_on),
                    Cell::Text(s.topic.clone()),
                    Cell::Text(x.person.name.clone()),
                    Cell::Text(x.summary.clone()),
                ]);
            }
        }
        let cols = [("学习日期", 12.0), ("学习主题", 36.0), ("发言人", 10.0), ("发言摘要", 70.0)];
        sheet(&mut book, "发言", &format!("{head}研讨发言"), &cols, &rows).map_err(w)?;

        let rows: Vec<Vec<Cell>> = l
            .reports
            .iter()
            .map(|r| {
                vec![
                    Cell::Text(r.kind.label().to_owned()),
                    Cell::Text(r.title.clone()),
                    Cell::Text(r.person.name.clone()),
                    Cell::from(r.done_on),
                    long(&r.body),
                ]
            })
            .collect();
        let cols = [("类别", 14.0), ("标题", 36.0), ("报告人", 10.0), ("完成日期", 12.0), ("正文", 70.0)];
        sheet(&mut book, "调研与述学", &format!("{head}专题调研和述学报告"), &cols, &rows).map_err(w)?;

        let book = book.ok_or_else(|| crate::exports::ExportError::Write("台账没有工作表".into()))?;
        let n = book.rows_written();
        book.save(&path).map_err(w)?;
        Ok(n)
    })
    .await
}

/// Writes one table of the ledger: the book's first sheet, or one more.
fn sheet(
    book: &mut Option<Export>,
    name: &str,
    title: &str,
    columns: &[(&str, f64)],
    rows: &[Vec<Cell>],
) -> Result<(), WriteError> {
    match book {
        Some(b) => b.add_sheet(name, title, columns)?,
        None => *book = Some(Export::with_headers(name, title, columns)?),
    }
    let Some(b) = book.as_mut() else { return Ok(()) };
    for r in rows {
        b.row(r)?;
    }
    Ok(())
}
