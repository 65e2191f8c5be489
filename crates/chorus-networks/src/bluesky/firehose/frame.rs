//! `com.atproto.sync.subscribeRepos` frames: a DAG-CBOR header `{op, t}` followed by a body.
//!
//! `op: 1` is a message whose type is `t` (`#commit`, `#identity`, `#account`, `#sync`, `#info`);
//! `op: -1` is an error frame `{error, message}` after which the server closes the stream.
//! Unknown message types decode to [`Frame::Unknown`] so a newer server does not break us.
//! Everything borrows from the frame's bytes.

use super::car::{Car, CarError};
use super::cbor::{self, CborError, Value};
use super::cid::Cid;

/// Why a frame could not be decoded. The firehose counts these and skips the frame.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    #[error("frame header: {0}")]
    Header(CborError),
    #[error("frame body: {0}")]
    Body(CborError),
    #[error("frame header has no valid `op`")]
    Op,
    #[error("{kind} frame: field `{field}` is missing or has the wrong type")]
    Field {
        kind: &'static str,
        field: &'static str,
    },
    #[error("#commit op has unknown action `{0}`")]
    Action(String),
    #[error("{kind} frame blocks: {source}")]
    Car {
        kind: &'static str,
        source: CarError,
    },
}

/// One decoded firehose frame.
#[derive(Debug, Clone)]
pub enum Frame<'a> {
    Commit(Commit<'a>),
    Identity(Identity<'a>),
    Account(Account<'a>),
    Sync(Sync<'a>),
    Info(Info<'a>),
    Error(ErrorFrame<'a>),
    /// A message type this code does not know; its sequence number when it has one.
    Unknown {
        kind: &'a str,
        seq: Option<i64>,
    },
}

impl Frame<'_> {
    /// The frame's sequence number (the cursor to resume after it), when it has one.
    pub fn seq(&self) -> Option<i64> {
        match self {
            Frame::Commit(c) => Some(c.seq),
            Frame::Identity(i) => Some(i.seq),
            Frame::Account(a) => Some(a.seq),
            Frame::Sync(s) => Some(s.seq),
            Frame::Unknown { seq, .. } => *seq,
            Frame::Info(_) | Frame::Error(_) => None,
        }
    }
}

/// A repository commit: the operations and the CAR blocks holding new records.
#[derive(Debug, Clone)]
pub struct Commit<'a> {
    pub seq: i64,
    pub repo: &'a str,
    pub rev: &'a str,
    pub time: &'a str,
    /// The server left out the blocks because the commit was too large (deprecated upstream).
    pub too_big: bool,
    pub commit: Option<Cid<'a>>,
    pub ops: Vec<RepoOp<'a>>,
    pub blocks: Car<'a>,
}

impl<'a> Commit<'a> {
    /// Decodes the record an op created or updated, from the commit's blocks.
    /// `None` for deletes and for records missing from the blocks.
    pub fn record(&self, op: &RepoOp<'a>) -> Option<Result<Value<'a>, CborError>> {
        let cid = op.cid?;
        let bytes = self.blocks.get(&cid)?;
        Some(cbor::decode_all(bytes))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Create,
    Update,
    Delete,
}

/// One write in a commit. `path` is `collection/rkey`.
#[derive(Debug, Clone)]
pub struct RepoOp<'a> {
    pub action: Action,
    pub path: &'a str,
    /// The new record's CID (create/update).
    pub cid: Option<Cid<'a>>,
    /// The previous record's CID (update/delete), when the server sends it (sync 1.1).
    pub prev: Option<Cid<'a>>,
}

impl<'a> RepoOp<'a> {
    pub fn collection(&self) -> &'a str {
        self.path.split_once('/').map_or(self.path, |(c, _)| c)
    }

    pub fn rkey(&self) -> &'a str {
        self.path.split_once('/').map_or("", |(_, r)| r)
    }
}

/// An account's handle or DID document changed.
#[derive(Debug, Clone)]
pub struct Identity<'a> {
    pub seq: i64,
    pub did: &'a str,
    pub time: &'a str,
    pub handle: Option<&'a str>,
}

/// An account was activated, deactivated, suspended, taken down or deleted.
#[derive(Debug, Clone)]
pub struct Account<'a> {
    pub seq: i64,
    pub did: &'a str,
    pub time: &'a str,
    pub active: bool,
    pub status: Option<&'a str>,
}

/// The repository's current state, asserted without a diff (resync point).
#[derive(Debug, Clone)]
pub struct Sync<'a> {
    pub seq: i64,
    pub did: &'a str,
    pub rev: &'a str,
    pub time: &'a str,
    pub blocks: Car<'a>,
}

/// Informational message, e.g. `OutdatedCursor`.
#[derive(Debug, Clone)]
pub struct Info<'a> {
    pub name: &'a str,
    pub message: Option<&'a str>,
}

/// Error frame (`op: -1`), e.g. `FutureCursor` or `ConsumerTooSlow`; the stream ends after it.
#[derive(Debug, Clone)]
pub struct ErrorFrame<'a> {
    pub error: &'a str,
    pub message: Option<&'a str>,
}

/// Decodes one binary WebSocket message of the firehose.
pub fn decode_frame(bytes: &[u8]) -> Result<Frame<'_>, FrameError> {
    let (header, rest) = cbor::decode(bytes).map_err(FrameError::Header)?;
    let body = cbor::decode_all(rest).map_err(FrameError::Body)?;
    match header.get("op").and_then(Value::as_i64) {
        Some(-1) => {
            let f = Fields::new("error", &body);
            Ok(Frame::Error(ErrorFrame {
                error: f.str("error")?,
                message: f.opt_str("message"),
            }))
        }
        Some(1) => {
            let kind = header
                .get("t")
                .and_then(Value::as_str)
                .ok_or(FrameError::Field {
                    kind: "header",
                    field: "t",
                })?;
            decode_message(kind, &body)
        }
        _ => Err(FrameError::Op),
    }
}

fn decode_message<'a>(kind: &'a str, body: &Value<'a>) -> Result<Frame<'a>, FrameError> {
    Ok(match kind {
        "#commit" => {
            let f = Fields::new("#commit", body);
            let ops = f
                .get("ops")
                .and_then(Value::as_array)
                .ok_or(f.missing("ops"))?
                .iter()
                .map(|op| decode_op(op))
                .collect::<Result<Vec<_>, _>>()?;
            Frame::Commit(Commit {
                seq: f.int("seq")?,
                repo: f.str("repo")?,
                rev: f.str("rev")?,
                time: f.str("time")?,
                too_big: f.get("tooBig").and_then(Value::as_bool).unwrap_or(false),
                commit: f.get("commit").and_then(Value::as_link),
                ops,
                blocks: f.car("blocks")?,
            })
        }
        "#identity" => {
            let f = Fields::new("#identity", body);
            Frame::Identity(Identity {
                seq: f.int("seq")?,
                did: f.str("did")?,
                time: f.str("time")?,
                handle: f.opt_str("handle"),
            })
        }
        "#account" => {
            let f = Fields::new("#account", body);
            Frame::Account(Account {
                seq: f.int("seq")?,
                did: f.str("did")?,
                time: f.str("time")?,
                active: f
                    .get("active")
                    .and_then(Value::as_bool)
                    .ok_or(f.missing("active"))?,
                status: f.opt_str("status"),
            })
        }
        "#sync" => {
            let f = Fields::new("#sync", body);
            Frame::Sync(Sync {
                seq: f.int("seq")?,
                did: f.str("did")?,
                rev: f.str("rev")?,
                time: f.str("time")?,
                blocks: f.car("blocks")?,
            })
        }
        "#info" => {
            let f = Fields::new("#info", body);
            Frame::Info(Info {
                name: f.str("name")?,
                message: f.opt_str("message"),
            })
        }
        other => Frame::Unknown {
            kind: other,
            seq: body.get("seq").and_then(Value::as_i64),
        },
    })
}

fn decode_op<'a>(op: &Value<'a>) -> Result<RepoOp<'a>, FrameError> {
    let f = Fields::new("#commit op", op);
    let action = match f.str("action")? {
        "create" => Action::Create,
        "update" => Action::Update,
        "delete" => Action::Delete,
        other => return Err(FrameError::Action(other.to_owned())),
    };
    Ok(RepoOp {
        action,
        path: f.str("path")?,
        cid: f.get("cid").and_then(Value::as_link),
        prev: f.get("prev").and_then(Value::as_link),
    })
}

/// Field access on a frame body that names the frame kind in its errors.
struct Fields<'v, 'a> {
    kind: &'static str,
    value: &'v Value<'a>,
}

impl<'v, 'a> Fields<'v, 'a> {
    fn new(kind: &'static str, value: &'v Value<'a>) -> Self {
        Fields { kind, value }
    }

    fn get(&self, field: &str) -> Option<&'v Value<'a>> {
        self.value.get(field)
    }

    fn missing(&self, field: &'static str) -> FrameError {
        FrameError::Field {
            kind: self.kind,
            field,
        }
    }

    fn str(&self, field: &'static str) -> Result<&'a str, FrameError> {
        self.get(field)
            .and_then(Value::as_str)
            .ok_or(self.missing(field))
    }

    fn opt_str(&self, field: &'static str) -> Option<&'a str> {
        self.get(field).and_then(Value::as_str)
    }

    fn int(&self, field: &'static str) -> Result<i64, FrameError> {
        self.get(field)
            .and_then(Value::as_i64)
            .ok_or(self.missing(field))
    }

    fn car(&self, field: &'static str) -> Result<Car<'a>, FrameError> {
        let bytes = self
            .get(field)
            .and_then(Value::as_bytes)
            .ok_or(self.missing(field))?;
        if bytes.is_empty() {
            return Ok(Car::empty());
        }
        Car::parse(bytes).map_err(|source| FrameError::Car {
            kind: self.kind,
            source,
        })
    }
}

#[cfg(test)]
mod tests;
