//! The Chorus domain: organizations, markets, users and scoped roles, the playbook, and the
//! permission rules that every other crate obeys.
//!
//! This crate does no IO and knows nothing of HTTP or SQL. Values of its types are valid by
//! construction: text from the outside becomes a domain value through a `parse` function that
//! returns a typed error naming what was wrong, and the permission checks are plain functions over
//! (actor, action, scope) that the web handlers and the CLI call before every read or change.

pub mod audit;
pub mod conversations;
pub mod ids;
pub mod links;
pub mod numbers;
pub mod org;
pub mod password;
pub mod permission;
pub mod playbook;
pub mod reach;
pub mod role;
pub mod sso;
pub mod stories;
pub mod user;
pub mod validate;
pub mod webhooks;

pub use ids::{
    ConsentTextId, ContactId, LeadId, MarketId, OfferId, PrincipleId, RegistrationId, SubmissionId,
    TeamId, UserId,
};
pub use permission::{Action, Actor, Denied, Scope};
pub use role::Role;
pub use validate::{FieldError, Invalid};
