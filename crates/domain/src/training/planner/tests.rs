use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, Days, NaiveDate, Weekday};
use proptest::prelude::*;

use super::*;
use crate::training::numbers::Fraction;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
}

fn t(id: i64, org: i64, group: i64) -> Trainee {
    Trainee { id, name: String::new(), org, group, duty: Duty::Member, priority: false, unavailable: Vec::new() }
}

fn frac(n: u32, den: u32) -> Fraction {
    Fraction::new(n, den).expect("valid fraction")
}

/// 2015-03-02 is a Monday; the campaign ran to the end of June [002 §一].
fn input(trainees: Vec<Trainee>) -> PlanInput {
    PlanInput {
        trainees,
        start: d(2015, 3, 2),
        end: d(2015, 6, 30),
        batch_days: 3,
        length_rule: BatchLengthRule::any(3, 5),
        capacity: 50,
        venues: 1,
        calendar: Calendar::default(),
        max_org_share: frac(1, 2),
    }
}

fn sound(input: &PlanInput) -> Plan {
    let p = plan(input).expect("valid input");
    assert!(p.violations.is_empty(), "{:?}", p.violations);
    assert!(check(input, &p).is_empty());
    let placed: usize = p.batches.iter().map(|b| b.trainees.len()).sum();
    assert_eq!(placed + p.unplaced.len(), input.trainees.len());
    p
}

fn batch_of(p: &Plan, id: TraineeId) -> Option<usize> {
    p.batches.iter().position(|b| b.trainees.contains(&id))
}

#[test]
fn everyone_placed_in_balanced_weekday_batches() {
    // 12 villages of 10 people in 4 townships.
    let trainees = (0..120).map(|i| t(i, i / 10, i / 30)).collect();
    let p = sound(&input(trainees));
    assert!(p.unplaced.is_empty());
    let sizes: Vec<usize> = p.batches.iter().map(|b| b.trainees.len()).collect();
    assert_eq!(sizes.len(), 3, "{sizes:?}");
    assert!(sizes.iter().max().copied().unwrap_or(0) - sizes.iter().min().copied().unwrap_or(0) <= 20, "{sizes:?}");
    for b in &p.batches {
        assert_eq!(b.days(), 3);
        let mut day = b.start;
        while day <= b.end {
            assert!(!matches!(day.weekday(), Weekday::Sat | Weekday::Sun));
            day = day + Days::new(1);
        }
    }
    assert_eq!(p.batches[0].start, d(2015, 3, 2));
}

#[test]
fn secretary_and_deputy_go_to_different_batches() {
    let mut a = t(1, 7, 1);
    a.duty = Duty::Secretary;
    let mut b = t(2, 7, 1);
    b.duty = Duty::Deputy;
    let mut i = input(vec![a, b, t(3, 8, 1)]);
    i.max_org_share = Fraction::ONE;
    let p = sound(&i);
    assert!(p.unplaced.is_empty());
    assert_ne!(batch_of(&p, 1), batch_of(&p, 2));
}

#[test]
fn organisation_share_is_capped_and_small_orgs_still_get_one() {
    let mut trainees: Vec<Trainee> = (0..10).map(|i| t(i, 1, 1)).collect();
    trainees.push(t(100, 2, 1));
    let p = sound(&input(trainees));
    assert!(p.unplaced.is_empty());
    for b in &p.batches {
        assert!(b.trainees.iter().filter(|&&id| id < 10).count() <= 5);
    }
    assert_eq!(org_limit(frac(1, 2), 1), 1);
    assert_eq!(org_limit(frac(1, 2), 3), 1);
    assert_eq!(org_limit(frac(1, 2), 10), 5);
}

#[test]
fn unavailable_dates_are_respected_and_reported() {
    let mut busy = t(1, 1, 1);
    busy.unavailable = vec![d(2015, 3, 3)];
    let mut never = t(2, 2, 1);
    never.name = "张三".to_owned();
    let mut i = input(vec![busy, never, t(3, 3, 1)]);
    i.end = d(2015, 3, 13); // two weeks: one Monday-to-Wednesday slot in each
    let all_slots = slots(&i);
    i.trainees[1].unavailable = all_slots.iter().map(|s| s.0).collect();
    let p = sound(&i);
    let b = batch_of(&p, 1).expect("placed");
    assert!(!(p.batches[b].start..=p.batches[b].end).contains(&d(2015, 3, 3)));
    assert_eq!(p.unplaced.len(), 1);
    assert_eq!(p.unplaced[0].trainee, 2);
    assert_eq!(p.unplaced[0].constraint, Constraint::Unavailable);
    assert!(p.unplaced[0].reason.starts_with("张三（编号2）"), "{}", p.unplaced[0].reason);
}

#[test]
fn a_window_without_room_for_a_batch_says_so() {
    let mut i = input((0..3).map(|k| t(k, k, 1)).collect());
    i.start = d(2015, 3, 6); // Friday to Monday: no three working days in a row
    i.end = d(2015, 3, 9);
    let p = sound(&i);
    assert!(p.batches.is_empty());
    assert!(p.unplaced.iter().all(|u| u.constraint == Constraint::Window && u.reason.contains("延长日期范围")));
}

#[test]
fn capacity_exhausted_reports_the_numbers() {
    let mut i = input((0..10).map(|k| t(k, k, 1)).collect());
    i.end = d(2015, 3, 4);
    i.capacity = 2;
    let p = sound(&i);
    assert_eq!(p.batches.len(), 1);
    assert_eq!(p.unplaced.len(), 8);
    assert!(p.unplaced.iter().all(|u| u.constraint == Constraint::Capacity));
    assert!(p.unplaced[0].reason.contains("每期2人"), "{}", p.unplaced[0].reason);
}

#[test]
fn priority_people_come_first() {
    let mut trainees: Vec<Trainee> = (0..20).map(|k| t(k, k, k % 3)).collect();
    for x in trainees.iter_mut().filter(|x| x.id >= 15) {
        x.priority = true;
    }
    let mut i = input(trainees);
    i.capacity = 5;
    let p = sound(&i);
    let mut first: Vec<i64> = p.batches[0].trainees.clone();
    first.sort_unstable();
    assert_eq!(first, vec![15, 16, 17, 18, 19]);
}

#[test]
fn townships_are_kept_together_when_they_fit() {
    // 6 townships of 10, capacity 30: each township in one batch.
    let trainees = (0..60).map(|k| t(k, k, k / 10)).collect();
    let mut i = input(trainees);
    i.capacity = 30;
    let p = sound(&i);
    for g in 0..6 {
        let batches: BTreeSet<usize> = (g * 10..g * 10 + 10).filter_map(|id| batch_of(&p, id)).collect();
        assert_eq!(batches.len(), 1, "township {g} split: {batches:?}");
    }
}

#[test]
fn parallel_venues_share_a_slot_and_holidays_and_make_up_days_count() {
    let mut i = input((0..40).map(|k| t(k, k, 1)).collect());
    i.capacity = 10;
    i.venues = 2;
    i.end = d(2015, 3, 13);
    i.calendar.holidays = vec![d(2015, 3, 4)];
    i.calendar.workdays = vec![d(2015, 3, 7)]; // a Saturday worked (调休)
    assert_eq!(slots(&i), vec![(d(2015, 3, 5), d(2015, 3, 7)), (d(2015, 3, 9), d(2015, 3, 11))]);
    let p = sound(&i);
    assert!(p.unplaced.is_empty());
    assert_eq!(p.batches.len(), 4);
    assert_eq!((p.batches[0].venue, p.batches[1].venue), (0, 1));
    assert_eq!(p.batches[0].start, p.batches[1].start);
}

#[test]
fn unusable_input_is_refused_with_what_to_fix() {
    let mut i = input(vec![t(1, 1, 1), t(1, 2, 1)]);
    assert!(matches!(plan(&i), Err(PlanError::DuplicateTrainee(_))));
    i.trainees.pop();
    i.batch_days = 2;
    let e = plan(&i).unwrap_err();
    assert!(e.to_string().contains("3至5天"), "{e}");
    i.batch_days = 3;
    i.end = d(2015, 3, 1);
    assert!(plan(&i).unwrap_err().to_string().contains("晚于结束日期"));
    i.end = d(2015, 6, 30);
    i.capacity = 0;
    assert_eq!(plan(&i), Err(PlanError::ZeroCapacity));
    i.capacity = 1;
    i.venues = 0;
    assert!(plan(&i).is_err());
    i.venues = 1;
    i.max_org_share = frac(0, 1);
    assert_eq!(plan(&i), Err(PlanError::ZeroShare));
}

#[test]
fn check_catches_every_kind_of_broken_plan() {
    let mut a = t(1, 1, 1);
    a.duty = Duty::Secretary;
    let mut b = t(2, 1, 1);
    b.duty = Duty::Deputy;
    b.unavailable = vec![d(2015, 3, 3)];
    let mut i = input(vec![a, b, t(3, 1, 1), t(4, 2, 1)]);
    i.capacity = 2;
    let bad = Plan {
        batches: vec![
            Batch { start: d(2015, 3, 2), end: d(2015, 3, 4), venue: 0, trainees: vec![1, 2, 3, 99] },
            Batch { start: d(2015, 3, 4), end: d(2015, 3, 8), venue: 0, trainees: vec![3] },
            Batch { start: d(2015, 2, 26), end: d(2015, 2, 26), venue: 5, trainees: vec![] },
        ],
        unplaced: vec![],
        violations: vec![],
    };
    let kinds: BTreeSet<Constraint> = check(&i, &bad).iter().map(|v| v.constraint).collect();
    for c in [
        Constraint::Capacity,
        Constraint::Unknown,
        Constraint::Unavailable,
        Constraint::SecretaryDeputy,
        Constraint::OrgShare,
        Constraint::RestDay,
        Constraint::Venue,
        Constraint::Once,
        Constraint::Missing,
        Constraint::Window,
        Constraint::BatchLength,
    ] {
        assert!(kinds.contains(&c), "{c:?} not reported");
    }
}

#[test]
fn adjustments_are_validated() {
    let mut i = input((0..12).map(|k| t(k, k, 1)).collect());
    i.capacity = 4;
    let p = sound(&i);
    assert_eq!(p.batches.len(), 3);
    // Full batch: moving one more in is refused with the reason.
    let e = move_trainee(&i, &p, 0, 1).unwrap_err();
    assert!(matches!(e, AdjustError::Refused(_)));
    assert!(e.to_string().contains("超过每期4人的上限"), "{e}");
    // Split the first batch: two people to a later slot.
    let later = slots(&i)[5];
    let first = p.batches[0].trainees.clone();
    let q = split_batch(&i, &p, 0, &first[..2], later.0, later.1, 0).expect("split fits");
    assert_eq!(q.batches.len(), 4);
    // Now moving into the half-empty first batch works.
    let moved = q.batches[1].trainees[0];
    let r = move_trainee(&i, &q, moved, 0).expect("room");
    assert_eq!(batch_of(&r, moved), Some(0));
    // Merging two full batches overflows; merging the two halves fits.
    assert!(merge_batches(&i, &p, 0, 1).is_err());
    let m = merge_batches(&i, &q, 0, 3).expect("2 + 2 ≤ 4");
    assert_eq!(m.batches.len(), 3);
    // Split onto a weekend is refused.
    let sat = d(2015, 3, 7);
    let e = split_batch(&i, &p, 0, &first[..1], sat, sat + Days::new(2), 0).unwrap_err();
    assert!(e.to_string().contains("休息日"), "{e}");
    assert_eq!(merge_batches(&i, &p, 1, 1), Err(AdjustError::SameBatch));
    assert_eq!(move_trainee(&i, &p, 999, 0), Err(AdjustError::NoSuchTrainee(999)));
    assert_eq!(split_batch(&i, &p, 9, &[0], sat, sat, 0), Err(AdjustError::NoSuchBatch(9)));
}

#[test]
fn an_unplaced_person_can_be_moved_in_when_room_appears() {
    let mut i = input((0..3).map(|k| t(k, k, 1)).collect());
    i.capacity = 2;
    i.end = d(2015, 3, 4);
    let p = sound(&i);
    let out = p.unplaced[0].trainee;
    let inside = p.batches[0].trainees[0];
    // Make room by splitting someone off… there is no other slot, so the split is refused.
    assert!(split_batch(&i, &p, 0, &[inside], d(2015, 3, 5), d(2015, 3, 7), 0).is_err());
    i.end = d(2015, 3, 6);
    i.venues = 2;
    let q = split_batch(&i, &p, 0, &[inside], d(2015, 3, 2), d(2015, 3, 4), 1).expect("second venue");
    let r = move_trainee(&i, &q, out, 0).expect("room now");
    assert!(r.unplaced.is_empty());
}

/// A timing example only: the real figures come from `xuepei bench` (release build). No
/// assertion on time; run with `--release -- --nocapture` to see it.
#[test]
fn planner_timing_example_30000() {
    let trainees: Vec<Trainee> = (0..30_000)
        .map(|k| {
            let mut x = t(k, k / 2, k / 30);
            x.duty = if k % 2 == 0 { Duty::Secretary } else { Duty::Deputy };
            x.priority = k % 97 == 0;
            if k % 13 == 0 {
                x.unavailable = vec![d(2015, 3, 2) + Days::new((k % 90) as u64)];
            }
            x
        })
        .collect();
    let mut i = input(trainees);
    i.capacity = 60;
    i.venues = 40;
    let started = std::time::Instant::now();
    let p = plan(&i).expect("valid");
    let elapsed = started.elapsed();
    println!("planner: 30000 trainees, {} batches, {} unplaced, {elapsed:?}", p.batches.len(), p.unplaced.len());
    assert!(p.violations.is_empty());
    assert!(p.unplaced.is_empty());
}

// ---------------------------------------------------------------- property tests

prop_compose! {
    fn arb_trainee(orgs: i64, groups: i64, window: u64)(
        org in 0..orgs,
        group in 0..groups,
        duty in prop::sample::select(vec![Duty::Secretary, Duty::Deputy, Duty::Member, Duty::Member]),
        priority in prop::bool::weighted(0.15),
        unavailable in prop::collection::vec(0..window + 5, 0..4),
    ) -> (i64, i64, Duty, bool, Vec<u64>) {
        (org, group, duty, priority, unavailable)
    }
}

prop_compose! {
    fn arb_input()(
        orgs in 1i64..12,
        groups in 1i64..6,
        window in 0u64..45,
        start_off in 0u64..7,
        batch_days in 1u32..6,
        slack in (0u32..2, 0u32..2),
        capacity in 1u32..25,
        venues in 1u32..4,
        weekends_off in prop::bool::weighted(0.8),
        holidays in prop::collection::vec(0u64..50, 0..5),
        share in (1u32..5, 1u32..5),
        ids in 0i64..1_000_000,
    )(
        people in prop::collection::vec(arb_trainee(orgs, groups, window), 0..90),
        ids in Just(ids),
        window in Just(window), start_off in Just(start_off), batch_days in Just(batch_days), slack in Just(slack),
        capacity in Just(capacity), venues in Just(venues), weekends_off in Just(weekends_off),
        holidays in Just(holidays), share in Just(share),
    ) -> PlanInput {
        let start = d(2015, 3, 1) + Days::new(start_off);
        let day = |o: u64| start + Days::new(o);
        let (num, den) = (share.0.min(share.1), share.1);
        PlanInput {
            trainees: people
                .into_iter()
                .enumerate()
                .map(|(k, (org, group, duty, priority, unavailable))| Trainee {
                    id: ids + k as i64 * 7,
                    name: String::new(),
                    org,
                    group,
                    duty,
                    priority,
                    unavailable: unavailable.into_iter().map(day).collect(),
                })
                .collect(),
            start,
            end: day(window),
            batch_days,
            length_rule: BatchLengthRule::any(batch_days.saturating_sub(slack.0).max(1), batch_days + slack.1),
            capacity,
            venues,
            calendar: Calendar { weekends_off, holidays: holidays.into_iter().map(day).collect(), workdays: vec![] },
            max_org_share: frac(num, den),
        }
    }
}

proptest! {
    #[test]
    fn plans_never_break_a_hard_constraint_and_account_for_everyone(input in arb_input()) {
        let p = plan(&input).expect("generated input is valid");
        prop_assert!(p.violations.is_empty(), "{:?}", p.violations);
        prop_assert!(check(&input, &p).is_empty());
        let placed: usize = p.batches.iter().map(|b| b.trainees.len()).sum();
        prop_assert_eq!(placed + p.unplaced.len(), input.trainees.len());
        prop_assert!(p.unplaced.iter().all(|u| !u.reason.is_empty()));
        prop_assert!(p.batches.iter().all(|b| !b.trainees.is_empty()));
    }

    #[test]
    fn same_people_in_any_order_give_the_same_plan(input in arb_input(), seed in any::<u64>()) {
        let p = plan(&input).expect("valid");
        prop_assert_eq!(&p, &plan(&input).expect("valid"));
        let mut shuffled = input.clone();
        // A deterministic shuffle from the seed.
        let n = shuffled.trainees.len();
        let mut s = seed | 1;
        for k in (1..n).rev() {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            shuffled.trainees.swap(k, (s % (k as u64 + 1)) as usize);
        }
        prop_assert_eq!(p, plan(&shuffled).expect("valid"));
    }

    #[test]
    fn nobody_left_out_could_have_been_moved_in(input in arb_input()) {
        let p = plan(&input).expect("valid");
        for u in p.unplaced.iter().take(5) {
            for b in 0..p.batches.len() {
                prop_assert!(move_trainee(&input, &p, u.trainee, b).is_err(), "{} fits in batch {}", u.trainee, b);
            }
        }
    }

    #[test]
    fn capacity_reasons_are_true(input in arb_input()) {
        let p = plan(&input).expect("valid");
        let slot_list = slots(&input);
        for u in p.unplaced.iter().filter(|u| u.constraint == Constraint::Capacity) {
            let who = input.trainees.iter().find(|t| t.id == u.trainee).expect("known");
            let free = |a: NaiveDate, b: NaiveDate| !who.unavailable.iter().any(|x| (a..=b).contains(x));
            let open_slots = slot_list.iter().filter(|(a, b)| free(*a, *b)).count();
            let full = p.batches.iter().filter(|b| free(b.start, b.end) && b.trainees.len() == input.capacity as usize).count();
            prop_assert_eq!(full, open_slots * input.venues as usize);
        }
    }

    #[test]
    fn easy_inputs_place_everyone(n in 0usize..200, cap in 5u32..40, orgs in 1i64..50) {
        // Room for three times the people, share 1, no duties, no unavailability.
        let mut i = input((0..n as i64).map(|k| t(k, k % orgs, k % 7)).collect());
        i.capacity = cap;
        i.max_org_share = Fraction::ONE;
        let needed = n.div_ceil(cap as usize) * 3;
        i.venues = needed.div_ceil(slots(&i).len()).max(1) as u32;
        let p = plan(&i).expect("valid");
        prop_assert!(p.unplaced.is_empty(), "{:?}", p.unplaced);
        prop_assert!(p.violations.is_empty());
    }

    #[test]
    fn adjustments_either_refuse_or_stay_sound(input in arb_input(), ops in prop::collection::vec((0u8..3, 0usize..20, 0usize..20, 0usize..60), 1..6)) {
        let mut p = plan(&input).expect("valid");
        let slot_list = slots(&input);
        for (op, a, b, c) in ops {
            let nb = p.batches.len();
            if nb == 0 {
                break;
            }
            let result = match op {
                0 => {
                    let ids: Vec<i64> = input.trainees.iter().map(|t| t.id).collect();
                    if ids.is_empty() { break; }
                    move_trainee(&input, &p, ids[c % ids.len()], a % nb)
                }
                1 => {
                    let from = &p.batches[a % nb];
                    let take: Vec<i64> = from.trainees.iter().copied().take(1 + c % from.trainees.len()).collect();
                    let (s, e) = slot_list[b % slot_list.len()];
                    split_batch(&input, &p, a % nb, &take, s, e, (c as u32) % (input.venues + 1))
                }
                _ => merge_batches(&input, &p, a % nb, b % nb),
            };
            if let Ok(next) = result {
                prop_assert!(check(&input, &next).is_empty());
                let placed: usize = next.batches.iter().map(|b| b.trainees.len()).sum();
                prop_assert_eq!(placed + next.unplaced.len(), input.trainees.len());
                p = next;
            }
        }
    }

    #[test]
    fn org_share_limit_holds_per_batch(input in arb_input()) {
        let p = plan(&input).expect("valid");
        let mut size: BTreeMap<i64, usize> = BTreeMap::new();
        for t in &input.trainees {
            *size.entry(t.org).or_default() += 1;
        }
        let org: BTreeMap<i64, i64> = input.trainees.iter().map(|t| (t.id, t.org)).collect();
        for b in &p.batches {
            let mut per: BTreeMap<i64, usize> = BTreeMap::new();
            for id in &b.trainees {
                *per.entry(org[id]).or_default() += 1;
            }
            for (o, c) in per {
                prop_assert!(c <= org_limit(input.max_org_share, size[&o]));
            }
        }
    }
}
