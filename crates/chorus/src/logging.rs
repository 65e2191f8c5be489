//! Structured logs on stderr (stdout is for the program's output), as text or JSON lines.

use tracing_subscriber::EnvFilter;

use crate::config::Log;

pub fn init(log: &Log) {
    let filter = EnvFilter::try_new(&log.filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // A second init (tests running commands in-process) keeps the first subscriber.
    let _ = if log.json {
        builder.json().flatten_event(true).try_init()
    } else {
        builder.compact().try_init()
    };
}
