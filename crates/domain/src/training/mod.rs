//! Rotational training (集中轮训) [000, 002]: code lists, campaign rules and the batch
//! planner. Pure rules: no I/O; the store and web layers build on these.

pub mod attendance;
pub mod bases;
pub mod certificate;
pub mod checkin;
pub mod filing;
pub mod funding;
pub mod kinds;
pub mod notice;
pub mod numbers;
pub mod planner;
pub mod report;
pub mod rules;

pub use kinds::{AttendanceMark, CampaignKind, ClassLevel, EnrolmentStatus, SessionSlot, TeachingMode};
pub use numbers::{Fraction, Hours, Percent};
