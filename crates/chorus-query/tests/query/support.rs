//! Locating shared data and skipping (or failing, under CHORUS_REQUIRE_SERVICES=1) when absent.

use std::path::PathBuf;

/// The shared folder: `$CHORUS_SHARED_DIR`, else `../shared` beside the repository.
pub fn shared_dir() -> PathBuf {
    match std::env::var_os("CHORUS_SHARED_DIR") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared")),
    }
}

/// Skip with a printed reason, or panic when services/data are required.
pub fn skip(reason: &str) {
    if std::env::var("CHORUS_REQUIRE_SERVICES").as_deref() == Ok("1") {
        panic!("required but missing: {reason}");
    }
    eprintln!("SKIPPED: {reason}");
}
