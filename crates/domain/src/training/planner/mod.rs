//! The batch planner (分期分批): splits a target list into batches over a date window.
//!
//! **Days.** A batch runs on `batch_days` consecutive calendar days none of which is a rest
//! day (weekends unless made working days, and listed holidays): trainees leave their posts
//! in one stretch and no class is held on a rest day, so a 5-day batch is Monday to Friday.
//! The window is tiled greedily from its start into such runs ("slots"); each venue hosts
//! one batch per slot, so batches at one venue never overlap and at most `venues` run at
//! once. Slot `s`, venue `v` is batch number `s × venues + v` (chronological order).
//!
//! **Hard constraints** (see [`check`]): capacity; batch length within the rule; everyone
//! at most once; inside the window and off rest days; a person's unavailable dates; no
//! secretary and deputy secretary of one organisation in the same batch; at most
//! `max(1, floor(share × n))` of an organisation's `n` target people in one batch — the
//! "at least 1" keeps a one- or two-person organisation plannable at any share.
//!
//! **Soft goals**: priority people first (earliest batches), a township's people together
//! (a group that fits in the current batch stays whole, up to capacity), balanced sizes (the
//! number of batches is the smallest the constraints allow, and each batch aims at the
//! remaining people divided by the remaining batches).
//!
//! **Determinism**: trainees are processed in a total order (priority, group, organisation,
//! duty, id); hash maps are only looked up, never iterated; no randomness. The same set of
//! trainees gives the same plan whatever their input order.
//!
//! **Cost**: sorting plus, per trainee, a few batch probes; full batches are skipped through
//! a path-compressed "next batch with room" forest. O(n log n) in practice.

mod adjust;
mod check;

use std::collections::{BTreeSet, HashMap};

use chrono::{Datelike, Days, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

use super::numbers::Fraction;
use super::rules::BatchLengthRule;
use crate::labeled_enum;

pub use adjust::{AdjustError, merge_batches, move_trainee, split_batch};
pub use check::check;

pub type TraineeId = i64;
pub type OrgId = i64;

/// The longest window the planner accepts, to bound memory (ten years).
pub const MAX_WINDOW_DAYS: i64 = 3660;
/// The most parallel venues the planner accepts.
pub const MAX_VENUES: u32 = 1000;

/// A trainee's duty in their organisation, for the secretary/deputy rule.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Duty {
    Secretary,
    Deputy,
    #[default]
    Member,
}

impl Duty {
    /// From a person's roles: a secretary who is also listed as deputy counts as secretary.
    pub fn from_roles(roles: crate::people::Roles) -> Duty {
        use crate::people::Role;
        if roles.contains(Role::Secretary) {
            Duty::Secretary
        } else if roles.contains(Role::DeputySecretary) {
            Duty::Deputy
        } else {
            Duty::Member
        }
    }
}

/// One person to plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trainee {
    pub id: TraineeId,
    /// Shown in reasons; may be empty (then the id is shown).
    #[serde(default)]
    pub name: String,
    pub org: OrgId,
    /// People with the same key are kept together (a township, for travel).
    pub group: i64,
    #[serde(default)]
    pub duty: Duty,
    /// Planned first (e.g. secretaries of 软弱涣散 organisations, 002 §二(四)).
    #[serde(default)]
    pub priority: bool,
    /// Dates the person cannot attend.
    #[serde(default)]
    pub unavailable: Vec<NaiveDate>,
}

/// Rest days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Calendar {
    pub weekends_off: bool,
    /// Listed holidays (节假日).
    #[serde(default)]
    pub holidays: Vec<NaiveDate>,
    /// Weekend days made working days (调休上班).
    #[serde(default)]
    pub workdays: Vec<NaiveDate>,
}

impl Default for Calendar {
    fn default() -> Self {
        Calendar { weekends_off: true, holidays: Vec::new(), workdays: Vec::new() }
    }
}

impl Calendar {
    pub fn is_rest_day(&self, d: NaiveDate) -> bool {
        if self.holidays.contains(&d) {
            return true;
        }
        self.weekends_off && matches!(d.weekday(), Weekday::Sat | Weekday::Sun) && !self.workdays.contains(&d)
    }

    /// Rest-day flags for every day of `start..=end` (sorted lookups: holiday lists can be long).
    fn rest_days(&self, start: NaiveDate, days: usize) -> Vec<bool> {
        let mut holidays = self.holidays.clone();
        holidays.sort_unstable();
        let mut workdays = self.workdays.clone();
        workdays.sort_unstable();
        (0..days)
            .map(|i| {
                let d = start + Days::new(i as u64);
                holidays.binary_search(&d).is_ok()
                    || self.weekends_off
                        && matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
                        && workdays.binary_search(&d).is_err()
            })
            .collect()
    }
}

/// Everything the planner needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanInput {
    pub trainees: Vec<Trainee>,
    /// The window, both ends included.
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub batch_days: u32,
    /// The campaign's rule for this target group; `batch_days` must satisfy it.
    pub length_rule: BatchLengthRule,
    pub capacity: u32,
    /// Batches that may run at the same time (classrooms, venues).
    pub venues: u32,
    #[serde(default)]
    pub calendar: Calendar,
    /// Largest share of one organisation's target people in one batch (e.g. 1/2).
    pub max_org_share: Fraction,
}

/// One proposed batch (期).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Batch {
    pub start: NaiveDate,
    pub end: NaiveDate,
    /// 0-based venue index.
    pub venue: u32,
    pub trainees: Vec<TraineeId>,
}

impl Batch {
    pub fn days(&self) -> i64 {
        (self.end - self.start).num_days() + 1
    }
}

labeled_enum! {
    /// The hard constraints of a plan.
    pub enum Constraint {
        Capacity => ("capacity", "每期人数上限", []),
        BatchLength => ("batch_length", "每期天数", []),
        Once => ("once", "每人只参训一次", []),
        Window => ("window", "日期范围", []),
        RestDay => ("rest_day", "休息日和节假日", []),
        Unavailable => ("unavailable", "本人不能参训的日期", []),
        SecretaryDeputy => ("secretary_deputy", "书记、副书记不同期", []),
        OrgShare => ("org_share", "同一单位每期参训比例", []),
        Venue => ("venue", "场地", []),
        Unknown => ("unknown", "排期名单", []),
        Missing => ("missing", "遗漏人员", []),
    }
}

/// A trainee the planner could not place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unplaced {
    pub trainee: TraineeId,
    /// The constraint that stopped it.
    pub constraint: Constraint,
    pub reason: String,
}

/// A broken hard constraint (a correct plan has none).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    pub constraint: Constraint,
    /// Index into `Plan::batches`.
    pub batch: Option<usize>,
    pub trainee: Option<TraineeId>,
    pub message: String,
}

/// The planner's proposal.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// Non-empty batches in chronological order, then by venue.
    pub batches: Vec<Batch>,
    pub unplaced: Vec<Unplaced>,
    /// `check(input, plan)`; always empty for plans the planner or the adjustments return.
    pub violations: Vec<Violation>,
}

/// Input the planner cannot work with at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("日期范围有误：开始日期{start}晚于结束日期{end}，请改正")]
    WindowReversed { start: NaiveDate, end: NaiveDate },
    #[error("日期范围为{days}天，超过上限{MAX_WINDOW_DAYS}天，请缩短日期范围")]
    WindowTooLong { days: i64 },
    #[error("{0}")]
    BatchLength(String),
    #[error("每期天数规则有误（最少{min}天、最多{max}天），请先改正轮训规则")]
    BadRule { min: u32, max: u32 },
    #[error("每期人数须大于0，请填写每期人数")]
    ZeroCapacity,
    #[error("并行场地数应为1至{MAX_VENUES}，现为{0}，请改正")]
    Venues(u32),
    #[error("同一单位每期参训比例须大于0，请填写如1/2")]
    ZeroShare,
    #[error("排期名单中{0}重复出现，请去掉重复人员后再排")]
    DuplicateTrainee(String),
}

/// How a trainee is named in messages.
pub(crate) fn who(t: &Trainee) -> String {
    if t.name.is_empty() { format!("学员（编号{}）", t.id) } else { format!("{}（编号{}）", t.name, t.id) }
}

/// How a batch is named in messages: "第3期（2015-03-09至2015-03-11，第1场地）".
pub(crate) fn batch_label(i: usize, b: &Batch) -> String {
    format!("第{}期（{}至{}，第{}场地）", i + 1, b.start, b.end, b.venue + 1)
}

/// The most people of an organisation with `org_size` target people allowed in one batch.
pub fn org_limit(share: Fraction, org_size: usize) -> usize {
    (share.floor_of(org_size as u64) as usize).max(1)
}

/// The slots of the window: runs of `batch_days` consecutive non-rest days, tiled from the start.
pub fn slots(input: &PlanInput) -> Vec<(NaiveDate, NaiveDate)> {
    let days = (input.end - input.start).num_days() + 1;
    if days <= 0 || days > MAX_WINDOW_DAYS || input.batch_days == 0 {
        return Vec::new();
    }
    let rest = input.calendar.rest_days(input.start, days as usize);
    let len = input.batch_days as usize;
    let mut out = Vec::new();
    let mut run = 0usize;
    for (i, &r) in rest.iter().enumerate() {
        run = if r { 0 } else { run + 1 };
        if run == len {
            let start = input.start + Days::new((i + 1 - len) as u64);
            out.push((start, start + Days::new(len as u64 - 1)));
            run = 0;
        }
    }
    out
}

fn validate(input: &PlanInput) -> Result<(), PlanError> {
    if input.start > input.end {
        return Err(PlanError::WindowReversed { start: input.start, end: input.end });
    }
    let days = (input.end - input.start).num_days() + 1;
    if days > MAX_WINDOW_DAYS {
        return Err(PlanError::WindowTooLong { days });
    }
    let rule = &input.length_rule;
    if rule.min_days == 0 || rule.min_days > rule.max_days {
        return Err(PlanError::BadRule { min: rule.min_days, max: rule.max_days });
    }
    rule.check(input.batch_days).map_err(PlanError::BatchLength)?;
    if input.capacity == 0 {
        return Err(PlanError::ZeroCapacity);
    }
    if input.venues == 0 || input.venues > MAX_VENUES {
        return Err(PlanError::Venues(input.venues));
    }
    if input.max_org_share.num() == 0 {
        return Err(PlanError::ZeroShare);
    }
    let mut ids: Vec<TraineeId> = input.trainees.iter().map(|t| t.id).collect();
    ids.sort_unstable();
    if let Some(w) = ids.windows(2).find(|w| w[0] == w[1]) {
        let t = input.trainees.iter().find(|t| t.id == w[0]).map(who).unwrap_or_default();
        return Err(PlanError::DuplicateTrainee(t));
    }
    Ok(())
}

const NONE: u32 = u32::MAX;
/// How far past the current batch the first pass looks for a constrained trainee before
/// leaving them to the exhaustive second pass.
const FORWARD_SCAN: usize = 64;

/// Per (batch, organisation): how many, and whether a secretary / deputy is among them.
#[derive(Debug, Clone, Copy, Default)]
struct OrgCell {
    count: u32,
    secretaries: u32,
    deputies: u32,
}

/// Why a trainee cannot join a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Block {
    Full,
    Dates,
    Share,
    Duty,
}

struct State<'a> {
    input: &'a PlanInput,
    venues: usize,
    slots: Vec<(NaiveDate, NaiveDate)>,
    /// Day offset in the window → slot index (NONE on days no slot covers).
    slot_of_day: Vec<u32>,
    cap: u32,
    size: Vec<u32>,
    /// Path-compressed pointer to the first batch ≥ i with room (len = batches + 1).
    next_room: Vec<u32>,
    org_of: Vec<u32>,
    org_limit: Vec<u32>,
    cells: HashMap<(u32, u32), OrgCell>,
    assigned: Vec<u32>,
    /// The batches the first pass fills (the earliest `active`).
    active: usize,
    /// Second pass only: active batches with room by (size, batch).
    by_load: BTreeSet<(u32, u32)>,
    tracking: bool,
}

impl State<'_> {
    fn batches(&self) -> usize {
        self.size.len()
    }

    fn find_room(&mut self, from: usize) -> usize {
        let mut root = from;
        while (self.next_room[root] as usize) != root {
            root = self.next_room[root] as usize;
        }
        let mut i = from;
        while (self.next_room[i] as usize) != root {
            let next = self.next_room[i] as usize;
            self.next_room[i] = root as u32;
            i = next;
        }
        root
    }

    /// Sorted slot indices the trainee cannot attend.
    fn blocked_slots(&self, t: usize) -> Vec<u32> {
        let start = self.input.start;
        let mut out: Vec<u32> = self.input.trainees[t]
            .unavailable
            .iter()
            .filter_map(|d| {
                let off = (*d - start).num_days();
                if off < 0 {
                    return None;
                }
                self.slot_of_day.get(off as usize).copied().filter(|&s| s != NONE)
            })
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    fn block(&self, t: usize, b: usize, blocked: &[u32]) -> Option<Block> {
        if self.size[b] >= self.cap {
            return Some(Block::Full);
        }
        if !blocked.is_empty() && blocked.binary_search(&((b / self.venues) as u32)).is_ok() {
            return Some(Block::Dates);
        }
        let org = self.org_of[t];
        if let Some(cell) = self.cells.get(&(b as u32, org)) {
            if cell.count >= self.org_limit[org as usize] {
                return Some(Block::Share);
            }
            match self.input.trainees[t].duty {
                Duty::Secretary if cell.deputies > 0 => return Some(Block::Duty),
                Duty::Deputy if cell.secretaries > 0 => return Some(Block::Duty),
                _ => {}
            }
        }
        None
    }

    fn place(&mut self, t: usize, b: usize) {
        self.assigned[t] = b as u32;
        if b < self.active && self.tracking {
            self.by_load.remove(&(self.size[b], b as u32));
            if self.size[b] + 1 < self.cap {
                self.by_load.insert((self.size[b] + 1, b as u32));
            }
        }
        self.size[b] += 1;
        if self.size[b] >= self.cap {
            self.next_room[b] = (b + 1) as u32;
        }
        let cell = self.cells.entry((b as u32, self.org_of[t])).or_default();
        cell.count += 1;
        match self.input.trainees[t].duty {
            Duty::Secretary => cell.secretaries += 1,
            Duty::Deputy => cell.deputies += 1,
            Duty::Member => {}
        }
    }
}

/// Proposes batches for `input`. Everyone is either in exactly one batch or in `unplaced`
/// with the constraint and a reason; `violations` is always empty.
pub fn plan(input: &PlanInput) -> Result<Plan, PlanError> {
    validate(input)?;
    let n = input.trainees.len();
    let slots = slots(input);
    let venues = input.venues as usize;
    let total_batches = slots.len() * venues;

    let window_days = ((input.end - input.start).num_days() + 1) as usize;
    let mut slot_of_day = vec![NONE; window_days];
    for (s, (a, b)) in slots.iter().enumerate() {
        for off in (*a - input.start).num_days()..=(*b - input.start).num_days() {
            slot_of_day[off as usize] = s as u32;
        }
    }

    // Dense organisation indices in id order.
    let mut org_ids: Vec<OrgId> = input.trainees.iter().map(|t| t.org).collect();
    org_ids.sort_unstable();
    org_ids.dedup();
    let org_of: Vec<u32> = input.trainees.iter().map(|t| org_ids.binary_search(&t.org).unwrap_or(0) as u32).collect();
    let mut org_size = vec![0usize; org_ids.len()];
    let mut has_sec = vec![false; org_ids.len()];
    let mut has_dep = vec![false; org_ids.len()];
    for (t, &o) in input.trainees.iter().zip(&org_of) {
        org_size[o as usize] += 1;
        match t.duty {
            Duty::Secretary => has_sec[o as usize] = true,
            Duty::Deputy => has_dep[o as usize] = true,
            Duty::Member => {}
        }
    }
    let limits: Vec<u32> = org_size.iter().map(|&s| org_limit(input.max_org_share, s) as u32).collect();

    let mut st = State {
        input,
        venues,
        slots,
        slot_of_day,
        cap: input.capacity,
        size: vec![0; total_batches],
        next_room: (0..=total_batches as u32).collect(),
        org_of,
        org_limit: limits,
        cells: HashMap::with_capacity(n),
        assigned: vec![NONE; n],
        active: 0,
        by_load: BTreeSet::new(),
        tracking: false,
    };

    // The processing order: priority first, then township, organisation, duty, id.
    let mut order: Vec<u32> = (0..n as u32).collect();
    let trainees = &input.trainees;
    order.sort_unstable_by_key(|&i| {
        let t = &trainees[i as usize];
        (!t.priority, t.group, t.org, t.duty, t.id)
    });

    let mut unplaced: Vec<(u32, Constraint, String)> = Vec::new();
    if total_batches == 0 {
        let reason = format!(
            "日期范围{}至{}内，扣除休息日和节假日后没有连续{}天的时段，无法安排任何一期；请延长日期范围、减少每期天数或核对节假日",
            input.start, input.end, input.batch_days
        );
        unplaced.extend(order.iter().map(|&t| (t, Constraint::Window, reason.clone())));
        return Ok(finish(input, &st, unplaced));
    }

    // The fewest batches the constraints allow: by capacity, by the largest organisation's
    // share, and two when some organisation sends both a secretary and a deputy.
    let cap = input.capacity as usize;
    let by_share = org_size.iter().zip(&st.org_limit).map(|(&s, &l)| s.div_ceil(l as usize)).max().unwrap_or(1);
    let by_duty = if has_sec.iter().zip(&has_dep).any(|(s, d)| *s && *d) { 2 } else { 1 };
    let active = n.div_ceil(cap).max(by_share).max(by_duty).clamp(1, total_batches);

    st.active = active;
    let deferred = first_pass(&mut st, &order, active);
    st.by_load = (0..active).filter(|&b| st.size[b] < st.cap).map(|b| (st.size[b], b as u32)).collect();
    st.tracking = true;
    for t in deferred {
        if let Some((c, reason)) = second_pass(&mut st, t as usize) {
            unplaced.push((t, c, reason));
        }
    }
    Ok(finish(input, &st, unplaced))
}

/// Fills the `active` earliest batches in order, one township run at a time; returns the
/// trainees it could not place cheaply.
fn first_pass(st: &mut State<'_>, order: &[u32], active: usize) -> Vec<u32> {
    let cap = st.cap;
    let input = st.input;
    let trainees = &input.trainees;
    let run_key = |i: u32| {
        let t = &trainees[i as usize];
        (t.priority, t.group)
    };
    let mut deferred = Vec::new();
    let mut cursor = 0usize;
    let mut spill = 0usize;
    let mut placed_before_cursor = 0u64;
    let mut placed_active = 0u64;
    let target_at = |cursor: usize, remaining: usize, placed_from_cursor: u64| -> u32 {
        let rest = remaining as u64 + placed_from_cursor;
        let left = (active - cursor) as u64;
        (rest.div_ceil(left).max(1)).min(u64::from(cap)) as u32
    };
    let mut target = target_at(0, order.len(), 0);
    let mut allow;
    let mut k = 0usize;
    while k < order.len() {
        // One run of the same (priority, township).
        let key = run_key(order[k]);
        let run_end = k + order[k..].iter().take_while(|&&i| run_key(i) == key).count();
        let run_len = (run_end - k) as u32;
        if cursor < active && st.size[cursor] >= target {
            placed_before_cursor += u64::from(st.size[cursor]);
            cursor += 1;
            if cursor < active {
                target = target_at(cursor, order.len() - k, placed_active - placed_before_cursor);
            }
        }
        // A township that fits in the current batch stays whole, even past the target.
        allow = if cursor < active && st.size[cursor] + run_len <= cap { cap } else { target };
        for (j, &t) in order[k..run_end].iter().enumerate() {
            let t = t as usize;
            let blocked = if trainees[t].unavailable.is_empty() { Vec::new() } else { st.blocked_slots(t) };
            let mut placed = false;
            while cursor < active {
                if st.size[cursor] >= allow {
                    placed_before_cursor += u64::from(st.size[cursor]);
                    cursor += 1;
                    if cursor < active {
                        target = target_at(cursor, order.len() - (k + j), placed_active - placed_before_cursor);
                    }
                    allow = target;
                    continue;
                }
                if st.block(t, cursor, &blocked).is_none() {
                    st.place(t, cursor);
                    placed_active += 1;
                    placed = true;
                }
                break;
            }
            if !placed && cursor + 1 < active {
                // Spill (share, duty or dates) goes round the later batches in turn, so that
                // an organisation split over batches does not crowd only the next one and
                // leave the last with no one it may take.
                let span = active - cursor - 1;
                let first = cursor + 1 + spill % span;
                let mut b = st.find_room(first);
                let mut probes = 0;
                let mut wrapped = false;
                while probes < FORWARD_SCAN.min(span) {
                    if b >= active {
                        if wrapped {
                            break;
                        }
                        wrapped = true;
                        b = st.find_room(cursor + 1);
                        continue;
                    }
                    if wrapped && b >= first {
                        break;
                    }
                    if st.block(t, b, &blocked).is_none() {
                        st.place(t, b);
                        placed_active += 1;
                        placed = true;
                        spill += 1;
                        break;
                    }
                    probes += 1;
                    b = st.find_room(b + 1);
                }
            }
            if !placed {
                deferred.push(t as u32);
            }
        }
        k = run_end;
    }
    deferred
}

/// Tries every batch with room, earliest first; returns the reason when none will do.
fn second_pass(st: &mut State<'_>, t: usize) -> Option<(Constraint, String)> {
    let input = st.input;
    let blocked = st.blocked_slots(t);
    let nslots = st.slots.len();
    let trainee = &input.trainees[t];
    if blocked.len() >= nslots {
        return Some((
            Constraint::Unavailable,
            format!(
                "{}在全部{}个可安排时段内均有不能参训的日期；请核实其不能参训日期，或延长日期范围",
                who(trainee),
                nslots
            ),
        ));
    }
    let (mut share, mut duty, mut room) = (false, false, false);
    let mut note = |b: Option<Block>| match b {
        Some(Block::Share) => {
            share = true;
            room = true;
        }
        Some(Block::Duty) => {
            duty = true;
            room = true;
        }
        _ => {}
    };
    // The least-loaded active batch first, for balance.
    let mut chosen = None;
    for &(_, b) in &st.by_load {
        match st.block(t, b as usize, &blocked) {
            None => {
                chosen = Some(b as usize);
                break;
            }
            other => note(other),
        }
    }
    // Then the later slots, earliest first.
    let total = st.batches();
    if chosen.is_none() {
        let mut b = st.find_room(st.active);
        while b < total {
            let slot = (b / st.venues) as u32;
            if blocked.binary_search(&slot).is_ok() {
                b = st.find_room((slot as usize + 1) * st.venues);
                continue;
            }
            match st.block(t, b, &blocked) {
                None => {
                    chosen = Some(b);
                    break;
                }
                other => note(other),
            }
            b = st.find_room(b + 1);
        }
    }
    if let Some(b) = chosen {
        st.place(t, b);
        return None;
    }
    let org = st.org_of[t] as usize;
    Some(if !room {
        (
            Constraint::Capacity,
            format!(
                "{}能参训的各期均已满员（每期{}人，{}个场地并行，共可安排{}期）；请增加每期人数或场地，或延长日期范围",
                who(trainee),
                input.capacity,
                input.venues,
                total
            ),
        )
    } else if share {
        (
            Constraint::OrgShare,
            format!(
                "{}所在单位在其余有空位的各期已达每期上限{}人（本单位参训对象的{}）；请调高同一单位每期参训比例，或增加期次",
                who(trainee),
                st.org_limit[org],
                input.max_org_share
            ),
        )
    } else {
        debug_assert!(duty);
        let other = if trainee.duty == Duty::Secretary { "副书记" } else { "书记" };
        (
            Constraint::SecretaryDeputy,
            format!(
                "{}与本单位{other}只能分期参训，其余有空位的各期都已有本单位{other}；请增加期次或场地",
                who(trainee)
            ),
        )
    })
}

fn finish(input: &PlanInput, st: &State<'_>, mut unplaced: Vec<(u32, Constraint, String)>) -> Plan {
    let total = st.batches();
    // Bucket trainees by batch, in the processing order (township by township).
    let mut order: Vec<u32> = (0..input.trainees.len() as u32).filter(|&t| st.assigned[t as usize] != NONE).collect();
    let trainees = &input.trainees;
    order.sort_unstable_by_key(|&i| {
        let t = &trainees[i as usize];
        (st.assigned[i as usize], !t.priority, t.group, t.org, t.duty, t.id)
    });
    let mut batches = Vec::new();
    let mut i = 0;
    while i < order.len() {
        let b = st.assigned[order[i] as usize] as usize;
        let j = i + order[i..].iter().take_while(|&&t| st.assigned[t as usize] as usize == b).count();
        let (start, end) = st.slots[b / st.venues];
        batches.push(Batch {
            start,
            end,
            venue: (b % st.venues) as u32,
            trainees: order[i..j].iter().map(|&t| trainees[t as usize].id).collect(),
        });
        i = j;
    }
    debug_assert!(total == 0 || batches.len() <= total);
    unplaced.sort_by_key(|(t, ..)| {
        let t = &trainees[*t as usize];
        (!t.priority, t.group, t.org, t.duty, t.id)
    });
    let mut plan = Plan {
        batches,
        unplaced: unplaced
            .into_iter()
            .map(|(t, constraint, reason)| Unplaced { trainee: trainees[t as usize].id, constraint, reason })
            .collect(),
        violations: Vec::new(),
    };
    plan.violations = check(input, &plan);
    plan
}

#[cfg(test)]
mod tests;
