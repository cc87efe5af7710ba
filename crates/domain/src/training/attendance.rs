//! Leave accounting (请假): which hours of a class a trainee was away on leave.
//!
//! A leave request names sessions of the class (their hours count) or only a number of
//! hours. A session marked 'leave' in the roll is the same leave as a request that covers
//! it, never counted twice: a trainee's leave is the hours of the union of the sessions
//! covered by requests and the sessions marked 'leave', each once, plus the hours of the
//! requests that name no session.

use std::collections::{BTreeMap, BTreeSet};

use super::numbers::Hours;

/// A leave request as the rule sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaveRequest {
    /// Hours asked for when no session is named (ignored otherwise).
    pub hours: Hours,
    /// Session ids covered.
    pub sessions: Vec<i64>,
}

/// The trainee's leave in a class. `sessions` are the class's sessions with their hours;
/// covered or marked sessions that are not in it are ignored.
pub fn leave_hours(sessions: &BTreeMap<i64, Hours>, requests: &[LeaveRequest], leave_marks: &[i64]) -> Hours {
    let mut covered: BTreeSet<i64> = leave_marks.iter().copied().collect();
    let mut loose = Hours::ZERO;
    for r in requests {
        if r.sessions.is_empty() {
            loose += r.hours;
        } else {
            covered.extend(r.sessions.iter().copied());
        }
    }
    covered.iter().filter_map(|id| sessions.get(id)).copied().sum::<Hours>() + loose
}

/// The sessions covered by requests (for automatic 'leave' marks).
pub fn covered_sessions(requests: &[LeaveRequest]) -> BTreeSet<i64> {
    requests.iter().flat_map(|r| r.sessions.iter().copied()).collect()
}

/// Checks a new request against the class's sessions: named sessions must belong to the
/// class, hours given alone must be positive. Returns the request as it will be stored
/// (the hours of named sessions are their sum), or every problem at once.
pub fn check_request(
    sessions: &BTreeMap<i64, Hours>,
    hours: Option<Hours>,
    named: &[i64],
) -> Result<LeaveRequest, Vec<String>> {
    let mut errs = Vec::new();
    let mut ids: Vec<i64> = Vec::new();
    for id in named {
        if !sessions.contains_key(id) {
            errs.push(format!("课程（编号{id}）不属于本班，请只选择本班课程表中的课程"));
        } else if !ids.contains(id) {
            ids.push(*id);
        }
    }
    let stored = if named.is_empty() {
        match hours {
            None => {
                errs.push("请填写请假学时或选择请假的课程".to_owned());
                Hours::ZERO
            }
            Some(h) if h.is_negative() => {
                errs.push(format!("请假学时不能为负数（现为{h}），请填写正数"));
                h
            }
            Some(h) if h == Hours::ZERO => {
                errs.push("请假学时应大于0，请填写请假的学时数".to_owned());
                h
            }
            Some(h) => h,
        }
    } else {
        if let Some(h) = hours
            && h.is_negative()
        {
            errs.push(format!("请假学时不能为负数（现为{h}），请填写正数"));
        }
        ids.iter().filter_map(|id| sessions.get(id)).copied().sum()
    };
    if errs.is_empty() { Ok(LeaveRequest { hours: stored, sessions: ids }) } else { Err(errs) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::training::Fraction;
    use crate::training::rules::{LeaveOutcome, assess_leave};

    fn class() -> BTreeMap<i64, Hours> {
        // Seven sessions of 3 hours: 21 hours, 1/7 is exactly 3 hours.
        (1..=7).map(|i| (i, Hours::whole(3))).collect()
    }

    #[test]
    fn a_leave_mark_on_a_covered_session_counts_once() {
        let s = class();
        let req = [LeaveRequest { hours: Hours::whole(3), sessions: vec![2] }];
        assert_eq!(leave_hours(&s, &req, &[]), Hours::whole(3));
        assert_eq!(leave_hours(&s, &req, &[2]), Hours::whole(3));
        assert_eq!(leave_hours(&s, &req, &[2, 3]), Hours::whole(6));
        assert_eq!(leave_hours(&s, &[], &[4, 4]), Hours::whole(3));
        // Hours-only requests add up; unknown sessions are ignored.
        let loose = [LeaveRequest { hours: Hours::from_hundredths(150), sessions: vec![] }];
        assert_eq!(leave_hours(&s, &loose, &[99]), Hours::from_hundredths(150));
        assert_eq!(covered_sessions(&req), BTreeSet::from([2]));
    }

    #[test]
    fn exactly_one_seventh_is_allowed_and_more_withdraws() {
        let s = class();
        let max = Fraction::new(1, 7).expect("valid");
        let total: Hours = s.values().copied().sum();
        let one = leave_hours(&s, &[LeaveRequest { hours: Hours::ZERO, sessions: vec![1] }], &[1]);
        assert_eq!(assess_leave(max, total, one), Ok(LeaveOutcome::Allowed));
        let more = one + Hours::from_hundredths(1);
        assert!(matches!(assess_leave(max, total, more), Ok(LeaveOutcome::Withdrawn { .. })));
    }

    #[test]
    fn requests_are_checked_against_the_class() {
        let s = class();
        assert_eq!(
            check_request(&s, None, &[1, 2, 2]),
            Ok(LeaveRequest { hours: Hours::whole(6), sessions: vec![1, 2] })
        );
        assert_eq!(
            check_request(&s, Some(Hours::from_hundredths(150)), &[]),
            Ok(LeaveRequest { hours: Hours::from_hundredths(150), sessions: vec![] })
        );
        let e = check_request(&s, Some(Hours::from_hundredths(-100)), &[]).unwrap_err();
        assert!(e[0].contains("负数"));
        assert!(check_request(&s, Some(Hours::ZERO), &[]).unwrap_err()[0].contains("大于0"));
        assert!(check_request(&s, None, &[]).is_err());
        let e = check_request(&s, None, &[1, 42]).unwrap_err();
        assert!(e[0].contains("42") && e[0].contains("不属于本班"));
    }
}
