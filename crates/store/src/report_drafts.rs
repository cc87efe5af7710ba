//! Reports drafted from the data (issue 14 item 2): gathers what xuepei holds about an
//! organiser's part of a campaign — its classes, sessions, attendance, coverage and money —
//! for a progress report or work summary ([`facts`]), and writes the drafted text into the
//! filing with the figures it stated ([`write`]). The text itself is the domain's
//! ([`xuepei_domain::training::report::draft`]).
//!
//! Everything is read over the filer organisation's subtree, within the drafting scope (the
//! filer's: only it drafts); no scope is widened.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use xuepei_domain::labels::Labeled;
use xuepei_domain::training::filing::FilingKind;
use xuepei_domain::training::funding::{FundSource, FundStage};
use xuepei_domain::training::report::{Draft, Facts, QuotaFact};
use xuepei_domain::training::{AttendanceMark, Hours, TeachingMode};

use crate::audit::{Entry, Tx};
use crate::entity::{attendance, class, class_fund, class_session, filing, venue};
use crate::error::{Result, StoreError};
use crate::filings::{self, Drafted, Filing};
use crate::org::now;
use crate::scope::{Scope, subtree_cond};

/// Topics named in the text at most (the rest are in the timetables).
const TOPICS: usize = 6;
/// On-site places named at most.
const SITES: usize = 6;

/// A filing the scope drafts: the filer's, still editable, a progress report or summary.
fn draftable(f: &Filing, scope: &Scope) -> Result<()> {
    if !f.writable_by(scope) {
        return Err(StoreError::Forbidden(format!("{}的材料由该单位起草和报送，接收单位只能退回或备案", f.org.name)));
    }
    if f.kind == FilingKind::Plan {
        return Err(StoreError::Invalid(vec![xuepei_domain::validate::FieldError {
            field: "kind",
            message: "实施方案请按本单位的安排起草；根据系统数据起草适用于进度报告和工作总结".into(),
        }]));
    }
    if !f.state.editable() {
        return Err(StoreError::Conflict(
            "该材料已报送或已备案，不能重新起草；如需调整，请联系接收单位退回或“新建版本”".into(),
        ));
    }
    Ok(())
}

/// What xuepei holds about the filer's part of the filing's campaign, as of `as_of` (a
/// progress report: its period's due day, when earlier).
pub async fn facts(db: &DatabaseConnection, scope: &Scope, filing_id: i64, as_of: NaiveDate) -> Result<Facts> {
    let f = filings::get(db, scope, filing_id).await?;
    draftable(&f, scope)?;
    let c = filings::campaign_for(db, scope, f.campaign_id).await?;
    // A progress report covers up to its period's due day.
    let drafted_on = as_of;
    let as_of = match f.kind {
        FilingKind::Progress => {
            let terms = filings::terms_of(db, &c).await?;
            terms.interval.due(c.start_on, c.end_on, f.period).map_or(as_of, |due| due.min(as_of))
        }
        _ => as_of,
    };

    let classes: Vec<(i64, NaiveDate, NaiveDate, String)> = class::Entity::find()
        .select_only()
        .columns([class::Column::Id, class::Column::StartOn, class::Column::EndOn, class::Column::Status])
        .filter(class::Column::CampaignId.eq(c.id))
        .filter(subtree_cond(class::Column::OrgPath, &f.org_path))
        .filter(scope.cond(class::Column::OrgPath))
        .into_tuple()
        .all(db)
        .await?;
    let completed = |s: &str| s == crate::classes::ClassStatus::Completed.code();
    let class_ids: Vec<i64> = classes.iter().map(|c| c.0).collect();

    let mut sessions: Vec<(i64, String, String, Option<i64>, i64)> = Vec::new();
    for chunk in class_ids.chunks(500) {
        sessions.extend(
            class_session::Entity::find()
                .select_only()
                .columns([class_session::Column::Id, class_session::Column::Mode, class_session::Column::Topic])
                .columns([class_session::Column::VenueId, class_session::Column::Hours])
                .filter(class_session::Column::ClassId.is_in(chunk.to_vec()))
                .filter(class_session::Column::OnDate.lte(as_of))
                .order_by_asc(class_session::Column::OnDate)
                .order_by_asc(class_session::Column::Id)
                .into_tuple::<(i64, String, String, Option<i64>, i64)>()
                .all(db)
                .await?,
        );
    }
    let mut modes: BTreeMap<&'static str, u64> = BTreeMap::new();
    let mut topics: Vec<String> = Vec::new();
    let mut site_counts: Vec<(i64, u64)> = Vec::new();
    for (_, mode, topic, venue_id, _) in &sessions {
        let m = TeachingMode::from_code(mode);
        *modes.entry(m.map_or("其他", TeachingMode::label)).or_default() += 1;
        let t = topic.trim();
        if !t.is_empty() && topics.len() < TOPICS && !topics.iter().any(|x| x == t) {
            topics.push(t.to_owned());
        }
        // Places are named by their venue; a site visit without one names none.
        if m == Some(TeachingMode::SiteVisit)
            && let Some(v) = venue_id
        {
            match site_counts.iter_mut().find(|s| s.0 == *v) {
                Some(s) => s.1 += 1,
                None => site_counts.push((*v, 1)),
            }
        }
    }
    site_counts.sort_by_key(|s| std::cmp::Reverse(s.1));
    site_counts.truncate(SITES);
    let venue_names: HashMap<i64, String> = if site_counts.is_empty() {
        HashMap::new()
    } else {
        venue::Entity::find()
            .filter(venue::Column::Id.is_in(site_counts.iter().map(|s| s.0)))
            .all(db)
            .await?
            .into_iter()
            .map(|v| (v.id, v.name))
            .collect()
    };
    let sites = site_counts.into_iter().filter_map(|(v, n)| Some((venue_names.get(&v)?.clone(), n))).collect();
    let mut modes: Vec<(String, u64)> = modes.into_iter().map(|(m, n)| (m.to_owned(), n)).collect();
    modes.sort_by_key(|m| std::cmp::Reverse(m.1));

    let mut marks: HashMap<String, u64> = HashMap::new();
    let session_ids: Vec<i64> = sessions.iter().map(|s| s.0).collect();
    for chunk in session_ids.chunks(500) {
        let rows: Vec<(String, i64)> = attendance::Entity::find()
            .select_only()
            .column(attendance::Column::Mark)
            .column_as(attendance::Column::Id.count(), "n")
            .filter(attendance::Column::SessionId.is_in(chunk.to_vec()))
            .group_by(attendance::Column::Mark)
            .into_tuple()
            .all(db)
            .await?;
        for (m, n) in rows {
            *marks.entry(m).or_default() += u64::try_from(n).unwrap_or(0);
        }
    }
    let mark = |m: AttendanceMark| marks.get(m.code()).copied().unwrap_or(0);

    let cov = crate::coverage::summary(db, scope, c.id, Some(f.org.id)).await;
    let (figures, quotas) = match cov {
        Ok(cov) => (
            cov.figures,
            cov.quotas
                .iter()
                .map(|q| QuotaFact {
                    name: q.name.clone(),
                    required: format!("不低于{}", q.result.required_percent),
                    actual: q.result.actual_percent.map(|p| p.to_string()),
                    met: q.result.met,
                })
                .collect(),
        ),
        // A filer routed to the campaign without being among its targets: no coverage.
        Err(StoreError::NotFound(_)) => (Default::default(), Vec::new()),
        Err(e) => return Err(e),
    };

    let (mut budget_fen, mut expense_fen) = (0, 0);
    let mut by_source: BTreeMap<String, i64> = BTreeMap::new();
    let mut funded = std::collections::BTreeSet::new();
    for chunk in class_ids.chunks(500) {
        let rows: Vec<(i64, String, String, i64)> = class_fund::Entity::find()
            .select_only()
            .column(class_fund::Column::ClassId)
            .column(class_fund::Column::Stage)
            .column(class_fund::Column::Source)
            .column_as(crate::sql::sum_i64(db.get_database_backend(), "amount_fen"), "total")
            .filter(class_fund::Column::ClassId.is_in(chunk.to_vec()))
            .group_by(class_fund::Column::ClassId)
            .group_by(class_fund::Column::Stage)
            .group_by(class_fund::Column::Source)
            .into_tuple()
            .all(db)
            .await?;
        for (class_id, stage, source, total) in rows {
            funded.insert(class_id);
            match FundStage::from_code(&stage) {
                Some(FundStage::Budget) => budget_fen += total,
                Some(FundStage::Expense) => {
                    expense_fen += total;
                    let s = FundSource::from_code(&source).map_or("其他", FundSource::label);
                    *by_source.entry(s.to_owned()).or_default() += total;
                }
                None => {}
            }
        }
    }
    let mut over_cap = 0;
    for id in funded {
        over_cap += u64::from(!crate::funds::of_class(db, scope, id).await?.flags.is_empty());
    }
    let mut expense_by_source: Vec<(String, i64)> = by_source.into_iter().filter(|s| s.1 != 0).collect();
    expense_by_source.sort_by_key(|s| std::cmp::Reverse(s.1));

    let facts = Facts {
        kind: f.kind,
        period: f.period,
        organiser: f.org.name.clone(),
        campaign: c.title.clone(),
        campaign_start: c.start_on,
        campaign_end: c.end_on,
        as_of,
        drafted_on,
        classes: classes.len() as u64,
        classes_begun: classes.iter().filter(|c| c.1 <= as_of).count() as u64,
        classes_completed: classes.iter().filter(|c| completed(&c.3)).count() as u64,
        classes_overdue: classes.iter().filter(|c| c.2 < as_of && !completed(&c.3)).count() as u64,
        sessions: sessions.len() as u64,
        hours: sessions.iter().map(|s| Hours::from_hundredths(s.4)).sum(),
        modes,
        topics,
        sites,
        target: figures.target,
        planned: figures.planned,
        enrolled: figures.enrolled,
        trained: figures.trained,
        quotas,
        present: mark(AttendanceMark::Present),
        late: mark(AttendanceMark::Late),
        leave: mark(AttendanceMark::Leave),
        absent: mark(AttendanceMark::Absent),
        budget_fen,
        expense_fen,
        expense_by_source,
        over_cap,
    };
    Ok(facts)
}

/// Replaces an editable filing's title and text with a draft, keeping the figures it
/// states and the day they were read.
pub async fn write(tx: &Tx, id: i64, as_of: NaiveDate, d: &Draft) -> Result<Filing> {
    let before = filings::editable(tx, id).await?;
    draftable(&before, tx.scope())?;
    let (title, body) = filings::checked_text(&d.title, &d.body)?;
    let drafted = Drafted { as_of, figures: d.figures.clone() };
    let done = filing::Entity::update_many()
        .col_expr(filing::Column::Title, Expr::value(title))
        .col_expr(filing::Column::Body, Expr::value(body))
        .col_expr(filing::Column::DraftedFrom, Expr::value(serde_json::to_string(&drafted).ok()))
        .col_expr(filing::Column::UpdatedAt, Expr::value(now()))
        .filter(filing::Column::Id.eq(id))
        // The state read above: a submission committed meanwhile is not overwritten.
        .filter(filing::Column::State.eq(before.state.code()))
        .exec(tx.conn())
        .await?;
    if done.rows_affected != 1 {
        return Err(StoreError::Conflict("该材料刚被报送或修改，请刷新页面后再起草".into()));
    }
    let after = filings::get(tx.conn(), tx.scope(), id).await?;
    tx.record(Entry {
        action: "filing.draft",
        target_type: "filing",
        target_id: Some(id.to_string()),
        scope_path: after.org_path.clone(),
        summary: format!("{}根据系统数据起草{}（数据截至{}）：{}", after.org.name, after.what(), as_of, after.title),
        before: crate::audit::json(&before),
        after: crate::audit::json(&after),
    });
    Ok(after)
}
