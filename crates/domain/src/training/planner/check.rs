//! The validator of plans: every hard constraint, independently of how the plan was made.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, Days, NaiveDate, Weekday};

use super::{Constraint, OrgId, Plan, PlanInput, TraineeId, Violation, batch_label, org_limit, who};

/// Every hard constraint `plan` breaks for `input` (empty when the plan is sound). Also
/// reports people in the plan who are not in the input and people of the input who are in
/// neither a batch nor the unplaced list.
pub fn check(input: &PlanInput, plan: &Plan) -> Vec<Violation> {
    let mut out = Vec::new();
    let mut push = |constraint: Constraint, batch: Option<usize>, trainee: Option<TraineeId>, message: String| {
        out.push(Violation { constraint, batch, trainee, message });
    };
    let index: HashMap<TraineeId, usize> = input.trainees.iter().enumerate().map(|(i, t)| (t.id, i)).collect();
    let mut org_size: HashMap<OrgId, usize> = HashMap::new();
    for t in &input.trainees {
        *org_size.entry(t.org).or_default() += 1;
    }
    let mut holidays = input.calendar.holidays.clone();
    holidays.sort_unstable();
    let mut workdays = input.calendar.workdays.clone();
    workdays.sort_unstable();
    let is_rest = |d: NaiveDate| {
        holidays.binary_search(&d).is_ok()
            || input.calendar.weekends_off
                && matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
                && workdays.binary_search(&d).is_err()
    };
    let mut seen = vec![0u32; input.trainees.len()];

    for (i, b) in plan.batches.iter().enumerate() {
        let label = batch_label(i, b);
        let at = Some(i);
        if b.venue >= input.venues {
            push(Constraint::Venue, at, None, format!("{label}的场地超出并行场地数{}，请改到已有场地", input.venues));
        }
        if b.start > b.end {
            push(Constraint::BatchLength, at, None, format!("{label}结束日期早于开始日期，请改正"));
        } else {
            let days = b.days();
            if let Err(msg) = input.length_rule.check(u32::try_from(days).unwrap_or(u32::MAX)) {
                push(Constraint::BatchLength, at, None, format!("{label}：{msg}"));
            }
            if b.start < input.start || b.end > input.end {
                push(
                    Constraint::Window,
                    at,
                    None,
                    format!("{label}超出日期范围{}至{}，请调整到范围内", input.start, input.end),
                );
            }
            // Length is checked above; a runaway range is not walked day by day.
            if days <= 366
                && let Some(d) = (0..days as u64).map(|k| b.start + Days::new(k)).find(|d| is_rest(*d))
            {
                push(Constraint::RestDay, at, None, format!("{label}包含休息日或节假日{d}，请改期"));
            }
        }
        if b.trainees.len() > input.capacity as usize {
            push(
                Constraint::Capacity,
                at,
                None,
                format!(
                    "{label}有{}人，超过每期{}人的上限，请移出{}人或拆分本期",
                    b.trainees.len(),
                    input.capacity,
                    b.trainees.len() - input.capacity as usize
                ),
            );
        }
        // Per organisation: count, first secretary, first deputy.
        let mut orgs: BTreeMap<OrgId, (usize, Option<usize>, Option<usize>)> = BTreeMap::new();
        for id in &b.trainees {
            let Some(&ti) = index.get(id) else {
                push(Constraint::Unknown, at, Some(*id), format!("{label}中的编号{id}不在本次排期名单中，请移出"));
                continue;
            };
            seen[ti] += 1;
            let t = &input.trainees[ti];
            if let Some(d) = t.unavailable.iter().filter(|d| (b.start..=b.end).contains(d)).min() {
                push(
                    Constraint::Unavailable,
                    at,
                    Some(t.id),
                    format!("{}在{d}不能参训，不能安排在{label}，请调到其他期次", who(t)),
                );
            }
            let cell = orgs.entry(t.org).or_default();
            cell.0 += 1;
            match t.duty {
                super::Duty::Secretary => {
                    cell.1.get_or_insert(ti);
                }
                super::Duty::Deputy => {
                    cell.2.get_or_insert(ti);
                }
                super::Duty::Member => {}
            }
        }
        for (org, (count, sec, dep)) in orgs {
            let size = org_size.get(&org).copied().unwrap_or(0);
            let limit = org_limit(input.max_org_share, size);
            if count > limit {
                push(
                    Constraint::OrgShare,
                    at,
                    None,
                    format!(
                        "{label}中同一单位（编号{org}）有{count}人，超过每期上限{limit}人（该单位参训对象{size}人的{}，至少1人），请把多出的人调到其他期次",
                        input.max_org_share
                    ),
                );
            }
            if let (Some(s), Some(d)) = (sec, dep) {
                let (s, d) = (&input.trainees[s], &input.trainees[d]);
                push(
                    Constraint::SecretaryDeputy,
                    at,
                    Some(d.id),
                    format!(
                        "{label}中书记{}与副书记{}同属一个单位，须分期参训以保证有人在岗，请调开其中一人",
                        who(s),
                        who(d)
                    ),
                );
            }
        }
    }

    let mut by_venue: Vec<(u32, NaiveDate, NaiveDate, usize)> =
        plan.batches.iter().enumerate().map(|(i, b)| (b.venue, b.start, b.end, i)).collect();
    by_venue.sort_unstable();
    for w in by_venue.windows(2) {
        let (a, b) = (w[0], w[1]);
        if a.0 == b.0 && b.1 <= a.2 {
            push(
                Constraint::Venue,
                Some(b.3),
                None,
                format!(
                    "{}与{}在同一场地且日期重叠，请改期或换场地",
                    batch_label(a.3, &plan.batches[a.3]),
                    batch_label(b.3, &plan.batches[b.3])
                ),
            );
        }
    }

    for u in &plan.unplaced {
        match index.get(&u.trainee) {
            Some(&ti) => seen[ti] += 1,
            None => push(
                Constraint::Unknown,
                None,
                Some(u.trainee),
                format!("未排入名单中的编号{}不在本次排期名单中，请删去", u.trainee),
            ),
        }
    }
    for (t, &n) in input.trainees.iter().zip(&seen) {
        if n > 1 {
            push(
                Constraint::Once,
                None,
                Some(t.id),
                format!("{}被安排了{n}次（含未排入名单），每人只能参训一次，请删去多余的安排", who(t)),
            );
        } else if n == 0 {
            push(
                Constraint::Missing,
                None,
                Some(t.id),
                format!("{}既未排入任何一期，也不在未排入名单中，请重新排期", who(t)),
            );
        }
    }
    out
}
