//! The Chorus domain: organizations, markets, users and scoped roles, the playbook, and the
//! permission and playbook rules that every other crate obeys.
//!
//! This crate does no IO and knows nothing of HTTP or SQL. Values of its types are valid by
//! construction: text from the outside becomes a domain value through a `parse` function that
//! returns a typed error, and the permission checks are plain functions over
//! (user, action, resource) that the web handlers and the CLI call before every change.
