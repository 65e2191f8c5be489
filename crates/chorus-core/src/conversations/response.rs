//! The first-response clock of one conversation: it starts when the conversation reaches the
//! inbox and stops at the first reply sent from Chorus. A conversation marked done without a
//! reply stops counting: it is neither waiting nor overdue (someone decided it needs no answer),
//! and it is no answer either. The store's response figures follow the same rule in SQL.

use super::Status;

/// Where a conversation's first-response clock stands.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FirstResponse {
    /// Answered after `minutes`; whether within the target, when there is one.
    Answered { minutes: f64, within: Option<bool> },
    /// Waiting for `minutes`; by how much it is past the target, when it is.
    Waiting {
        minutes: f64,
        overdue_by: Option<f64>,
    },
    /// Marked done without a reply: the clock stopped and it no longer counts.
    Closed,
}

impl FirstResponse {
    /// Whether it counts as waiting past the target (the inbox's "overdue").
    pub fn is_overdue(&self) -> bool {
        matches!(
            self,
            FirstResponse::Waiting {
                overdue_by: Some(_),
                ..
            }
        )
    }
}

/// The clock of a conversation that reached the inbox at `created_ms`, first answered at
/// `answered_ms` (if it was), now in `status`, read at `now_ms` against a target in minutes.
pub fn first_response(
    created_ms: i64,
    answered_ms: Option<i64>,
    status: Status,
    now_ms: i64,
    target_minutes: Option<i64>,
) -> FirstResponse {
    match answered_ms {
        Some(at) => {
            let minutes = (at - created_ms) as f64 / 60_000.0;
            FirstResponse::Answered {
                minutes,
                within: target_minutes.map(|t| minutes <= t as f64),
            }
        }
        None if status == Status::Done => FirstResponse::Closed,
        None => {
            let minutes = (now_ms - created_ms) as f64 / 60_000.0;
            FirstResponse::Waiting {
                minutes,
                overdue_by: target_minutes
                    .map(|t| minutes - t as f64)
                    .filter(|over| *over > 0.0),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;

    /// (answered after minutes, status, minutes since arrival, target, expected clock)
    type Row = (Option<i64>, Status, i64, Option<i64>, FirstResponse);

    #[test]
    fn the_clock_by_status_and_answer() {
        let rows: [Row; 7] = [
            (
                Some(30),
                Status::Waiting,
                90,
                Some(60),
                FirstResponse::Answered {
                    minutes: 30.0,
                    within: Some(true),
                },
            ),
            (
                Some(90),
                Status::Done,
                120,
                Some(60),
                FirstResponse::Answered {
                    minutes: 90.0,
                    within: Some(false),
                },
            ),
            (
                None,
                Status::New,
                90,
                Some(60),
                FirstResponse::Waiting {
                    minutes: 90.0,
                    overdue_by: Some(30.0),
                },
            ),
            (
                None,
                Status::Open,
                30,
                Some(60),
                FirstResponse::Waiting {
                    minutes: 30.0,
                    overdue_by: None,
                },
            ),
            (
                None,
                Status::Waiting,
                30,
                None,
                FirstResponse::Waiting {
                    minutes: 30.0,
                    overdue_by: None,
                },
            ),
            // Finished without a reply: no longer waiting, never overdue, however old.
            (None, Status::Done, 90, Some(60), FirstResponse::Closed),
            (None, Status::Done, 10_000, None, FirstResponse::Closed),
        ];
        for (answered, status, now, target, want) in rows {
            let got = first_response(0, answered.map(|m| m * MIN), status, now * MIN, target);
            assert_eq!(got, want, "{answered:?} {status:?} {now} {target:?}");
        }
    }

    #[test]
    fn a_finished_conversation_is_not_overdue() {
        assert!(first_response(0, None, Status::Open, 120 * MIN, Some(60)).is_overdue());
        assert!(!first_response(0, None, Status::Done, 120 * MIN, Some(60)).is_overdue());
    }
}
