//! The study ledger (学习台账) of a group and year: the plans, every session with its
//! attendance and speeches, the research and annual study reports, and the year against
//! the rules — the book an inspector asks for, printed or exported from the same data.

use serde::Serialize;
use xuepei_domain::study::groups::{GroupRules, YearTally};
use xuepei_domain::study::meetings::Period;

use super::plans::{self, Plan};
use super::reports::{self, Report};
use super::sessions::{self, Session};
use super::{Group, YearTallyView, rules};
use crate::Result;
use crate::StoreError;
use crate::scope::Scope;

#[derive(Debug, Clone, Serialize)]
pub struct Ledger {
    pub group: Group,
    pub year: i32,
    pub rules: GroupRules,
    pub plans: Vec<Plan>,
    pub sessions: Vec<Session>,
    pub reports: Vec<Report>,
    pub tally: YearTallyView,
}

/// A group's ledger of a year (the group in the scope).
pub async fn ledger(db: &impl sea_orm::ConnectionTrait, scope: &Scope, group_id: i64, year: i32) -> Result<Ledger> {
    let period = Period::new(year, None).map_err(|m| StoreError::invalid("year", m))?;
    let group = super::get(db, scope, group_id).await?;
    let rules = rules::for_path(db, &group.org_path).await?;
    let plans = plans::of_group(db, scope, group.id, Some(year)).await?;
    let sessions = sessions::of_group(db, scope, group.id, period).await?;
    let reports = reports::of_group(db, scope, group.id, year).await?;
    let mut t = YearTally::default();
    for s in &sessions {
        t.add(s.thematic, s.present, s.expected);
    }
    // The current year is judged at its pace so far; a past year as a whole.
    let today = xuepei_domain::time::today();
    let month = (year == chrono::Datelike::year(&today)).then(|| chrono::Datelike::month(&today));
    Ok(Ledger { tally: YearTallyView::of(&t, rules, month), group, year, rules, plans, sessions, reports })
}
