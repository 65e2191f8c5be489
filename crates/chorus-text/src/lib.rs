//! Text analysis for social posts: VADER sentiment (exact parity with vaderSentiment 3.3.2) and
//! language identification. Pure: no IO.
