//! Theory-study rules (seeds 001, 003, 004): committee meetings and the first agenda item,
//! central study groups, leaders' five-mode study log and its quotas, and the search terms
//! of study texts. Each submodule holds one of them; none does I/O.
pub mod groups;
pub mod logs;
pub mod materials;
pub mod meetings;
pub mod oversight;
pub mod quota_share;
pub mod quotas;
pub mod search;
