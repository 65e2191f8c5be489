//! Typed ids, so a user id cannot be passed where a market id is expected.

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// A user's id.
    UserId
);
id_type!(
    /// A market's id.
    MarketId
);
id_type!(
    /// A team's id.
    TeamId
);
id_type!(
    /// A playbook principle's id.
    PrincipleId
);
id_type!(
    /// A Reach offer's id (a gated asset or a webinar).
    OfferId
);
id_type!(
    /// A consent text version's id.
    ConsentTextId
);
id_type!(
    /// A Reach form submission's id.
    SubmissionId
);
id_type!(
    /// A Reach contact's id (a person who confirmed).
    ContactId
);
id_type!(
    /// A lead's id (a contact's confirmed interest in one offer).
    LeadId
);
id_type!(
    /// A webinar registration's id.
    RegistrationId
);
