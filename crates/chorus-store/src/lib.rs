//! Persistence for Chorus on SQLite (embedded default) and PostgreSQL.
