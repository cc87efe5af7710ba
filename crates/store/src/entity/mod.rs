//! Table models. Private to the store: code outside reaches data only through the
//! repositories, which all take a [`crate::Scope`].

pub(crate) mod account;
pub(crate) mod api_token;
pub(crate) mod attendance;
pub(crate) mod audit_head;
pub(crate) mod audit_log;
pub(crate) mod campaign;
pub(crate) mod campaign_target;
pub(crate) mod class;
pub(crate) mod class_allocation;
pub(crate) mod class_session;
pub(crate) mod credit_record;
pub(crate) mod enrolment;
pub(crate) mod id_check;
pub(crate) mod instructor;
pub(crate) mod leave_request;
pub(crate) mod login_throttle;
pub(crate) mod material;
pub(crate) mod meeting;
pub(crate) mod meeting_measure;
pub(crate) mod organization;
pub(crate) mod password_history;
pub(crate) mod password_reset;
pub(crate) mod person;
pub(crate) mod plan;
pub(crate) mod search_doc;
pub(crate) mod search_posting;
pub(crate) mod session;
pub(crate) mod study_log;
pub(crate) mod study_quota_rule;
pub(crate) mod upload;
pub(crate) mod venue;
