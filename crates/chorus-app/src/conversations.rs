//! Conversations: listening queries, the inbox, replies, signals.
