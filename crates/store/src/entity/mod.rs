//! Table models. Private to the store: code outside reaches data only through the
//! repositories, which all take a [`crate::Scope`].

pub(crate) mod organization;
pub(crate) mod person;
pub(crate) mod upload;
