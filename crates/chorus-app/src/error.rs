//! What a use case answers when it does not do what was asked, by kind, so that each caller can
//! say it in its own terms (an HTTP status, a form message, a CLI exit) without guessing.

use chorus_core::stories::workflow::TransitionError;
use chorus_core::{Denied, FieldError};
use chorus_store::StoreError;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input is not valid; `field` names the culprit when one is to blame.
    #[error("{message}")]
    Invalid {
        field: Option<String>,
        message: String,
    },
    /// Nobody is signed in (or the session or token has ended).
    #[error("log in first")]
    Unauthenticated,
    /// The caller may see the thing but may not do this to it.
    #[error("{0}")]
    Forbidden(String),
    /// The thing does not exist — or the caller may not know that it does: a story of another
    /// market is "not found", never "forbidden", so refusals do not confirm what exists.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The request clashes with the current state: a value that must be unique is taken, the
    /// thing changed since the caller loaded it, or its state forbids the change (a published
    /// post). `field` names what to look at; the message says which it is.
    #[error("{message}")]
    Conflict { field: String, message: String },
    /// Too many requests from one address or network (the public Reach forms); the message
    /// says when to try again.
    #[error("{message}")]
    RateLimited {
        message: String,
        retry_after_secs: u64,
    },
    /// Something this installation is not set up for (e.g. no secret key for network accounts).
    #[error("{0}")]
    Unavailable(String),
    /// A fault on our side; the detail is for the log, never for the person.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Error {
        Error::Invalid {
            field: Some(field.into()),
            message: message.into(),
        }
    }

    pub fn forbidden(message: impl Into<String>) -> Error {
        Error::Forbidden(message.into())
    }

    pub fn conflict(field: impl Into<String>, message: impl Into<String>) -> Error {
        Error::Conflict {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The field to point at in a form, when one is to blame.
    pub fn field(&self) -> Option<&str> {
        match self {
            Error::Invalid { field, .. } => field.as_deref(),
            Error::Conflict { field, .. } => Some(field),
            _ => None,
        }
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { what } => Error::NotFound(what),
            StoreError::AlreadyExists { what, field } => Error::Conflict {
                field: field.to_owned(),
                message: format!("{what} already exists"),
            },
            e @ StoreError::Stale { .. } => Error::Conflict {
                field: "state".to_owned(),
                message: e.to_string(),
            },
            StoreError::State(message) => Error::Conflict {
                field: "state".to_owned(),
                message,
            },
            StoreError::Reference(message) => Error::Invalid {
                field: None,
                message,
            },
            other => Error::Internal(other.to_string()),
        }
    }
}

impl From<Denied> for Error {
    fn from(e: Denied) -> Self {
        Error::Forbidden(e.to_string())
    }
}

impl From<FieldError> for Error {
    fn from(e: FieldError) -> Self {
        Error::Invalid {
            field: Some(e.field.into_owned()),
            message: e.message,
        }
    }
}

impl From<TransitionError> for Error {
    fn from(e: TransitionError) -> Self {
        match e {
            TransitionError::WrongState { .. } => Error::conflict("state", e.to_string()),
            TransitionError::ReasonRequired => Error::invalid("reason", e.to_string()),
            TransitionError::OwnStory
            | TransitionError::ChangedContent
            | TransitionError::NotAllowed { .. } => Error::Forbidden(e.to_string()),
        }
    }
}
