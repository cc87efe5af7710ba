//! The organiser's adjustments of a proposed plan: move a person, split a batch, merge two.
//! Each returns a new plan that passes [`check`], or refuses and leaves the plan as it was.
//! A plan that already breaks a rule (say the input changed since) refuses every
//! adjustment, and the refusal lists what to fix.

use std::fmt;

use chrono::NaiveDate;

use super::{Batch, Plan, PlanInput, TraineeId, Violation, check};

/// Why an adjustment was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdjustError {
    NoSuchBatch(usize),
    NoSuchTrainee(TraineeId),
    AlreadyThere(usize),
    SameBatch,
    NothingToSplit,
    NotInBatch(TraineeId, usize),
    /// The adjusted plan would break these hard constraints.
    Refused(Vec<Violation>),
}

impl fmt::Display for AdjustError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AdjustError::NoSuchBatch(i) => write!(f, "第{}期不存在，请刷新排期后重试", i + 1),
            AdjustError::NoSuchTrainee(id) => write!(f, "编号{id}不在本次排期名单中，请刷新排期后重试"),
            AdjustError::AlreadyThere(i) => write!(f, "该学员已在第{}期，无需调整", i + 1),
            AdjustError::SameBatch => f.write_str("请选择两个不同的期次进行合并"),
            AdjustError::NothingToSplit => f.write_str("请至少选择一名本期学员拆分到新的一期"),
            AdjustError::NotInBatch(id, i) => write!(f, "编号{id}不在第{}期，不能从该期拆出，请重新选择", i + 1),
            AdjustError::Refused(v) => {
                f.write_str("调整后不符合排期规则，未作调整：")?;
                let shown: Vec<&str> = v.iter().take(3).map(|v| v.message.as_str()).collect();
                f.write_str(&shown.join("；"))?;
                if v.len() > 3 {
                    write!(f, "；等共{}项", v.len())?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for AdjustError {}

/// Drops emptied batches, restores the chronological order and re-validates.
fn settle(input: &PlanInput, mut next: Plan) -> Result<Plan, AdjustError> {
    next.batches.retain(|b| !b.trainees.is_empty());
    next.batches.sort_by_key(|b| (b.start, b.venue, b.end));
    let violations = check(input, &next);
    if !violations.is_empty() {
        return Err(AdjustError::Refused(violations));
    }
    next.violations = violations;
    Ok(next)
}

/// Moves a trainee into batch `to` (by index in `plan.batches`), from another batch or from
/// the unplaced list.
pub fn move_trainee(input: &PlanInput, plan: &Plan, trainee: TraineeId, to: usize) -> Result<Plan, AdjustError> {
    if to >= plan.batches.len() {
        return Err(AdjustError::NoSuchBatch(to));
    }
    if !input.trainees.iter().any(|t| t.id == trainee) {
        return Err(AdjustError::NoSuchTrainee(trainee));
    }
    let mut next = plan.clone();
    if let Some(i) = next.batches.iter().position(|b| b.trainees.contains(&trainee)) {
        if i == to {
            return Err(AdjustError::AlreadyThere(to));
        }
        next.batches[i].trainees.retain(|&t| t != trainee);
    }
    next.unplaced.retain(|u| u.trainee != trainee);
    next.batches[to].trainees.push(trainee);
    settle(input, next)
}

/// Moves `trainees` out of batch `batch` into a new batch from `start` to `end` at `venue`.
pub fn split_batch(
    input: &PlanInput,
    plan: &Plan,
    batch: usize,
    trainees: &[TraineeId],
    start: NaiveDate,
    end: NaiveDate,
    venue: u32,
) -> Result<Plan, AdjustError> {
    let Some(from) = plan.batches.get(batch) else {
        return Err(AdjustError::NoSuchBatch(batch));
    };
    if trainees.is_empty() {
        return Err(AdjustError::NothingToSplit);
    }
    if let Some(&missing) = trainees.iter().find(|t| !from.trainees.contains(t)) {
        return Err(AdjustError::NotInBatch(missing, batch));
    }
    let mut next = plan.clone();
    next.batches[batch].trainees.retain(|t| !trainees.contains(t));
    let mut moved = trainees.to_vec();
    moved.dedup();
    next.batches.push(Batch { start, end, venue, trainees: moved });
    settle(input, next)
}

/// Moves everyone of batch `from` into batch `into` (which keeps its dates and venue).
pub fn merge_batches(input: &PlanInput, plan: &Plan, into: usize, from: usize) -> Result<Plan, AdjustError> {
    for i in [into, from] {
        if i >= plan.batches.len() {
            return Err(AdjustError::NoSuchBatch(i));
        }
    }
    if into == from {
        return Err(AdjustError::SameBatch);
    }
    let mut next = plan.clone();
    let moved = std::mem::take(&mut next.batches[from].trainees);
    next.batches[into].trainees.extend(moved);
    settle(input, next)
}
