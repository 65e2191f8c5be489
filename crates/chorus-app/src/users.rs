//! Users and memberships.
