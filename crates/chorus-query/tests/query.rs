//! chorus-query integration tests (one test binary): reference-evaluator property tests,
//! multilingual table tests on real posts, and exact equality with the benchmark's reference
//! matcher on the generated workloads.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)]

#[path = "query/reference.rs"]
mod reference;

#[path = "query/props.rs"]
mod props;

#[path = "query/support.rs"]
mod support;

#[path = "query/multilingual.rs"]
mod multilingual;

#[path = "query/workload.rs"]
mod workload;
