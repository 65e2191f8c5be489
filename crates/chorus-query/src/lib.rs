//! The listening query language: parse boolean queries (spec: `docs/query-language.md`) into an
//! AST and compile many of them into one [`Matcher`] that finds, for each post, every query it
//! matches (reverse search, "percolation"). Pure: no IO, no global state, no panics on any
//! input. Text handling ([`text`]) is shared by queries and posts so both sides tokenize alike.
//!
//! Contract: [`parse`] accepts any string and returns a tree or a positioned [`ParseError`];
//! [`Matcher::matches`] returns exactly the queries whose tree evaluates to true on the post
//! under the spec's semantics, sorted by id, reusing the caller's scratch buffers.

pub mod ast;
mod error;
mod lexer;
mod matcher;
mod parser;
pub mod text;

pub use ast::{Field, Node, Word, WordKind};
pub use error::{ErrorKind, ParseError};
pub use lexer::MAX_DISTANCE;
pub use matcher::{Matcher, Post, Scratch, Stats};
pub use parser::{
    MAX_DEPTH, MAX_OPERANDS, MAX_PHRASE_WORDS, MAX_QUERY_BYTES, MIN_WILDCARD_PREFIX, parse,
};
