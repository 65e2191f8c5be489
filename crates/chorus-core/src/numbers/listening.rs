//! What a community team reads from the conversation metrics: the share of matched posts that
//! were positive and negative, the mean time to a first response and the share answered within
//! target. The rollups keep counts (they add up over days and markets); these figures are
//! ratios of those counts, computed here once for the page, the PDF and the email.
//!
//! A ratio with nothing under it (no matched post, no first response) is `None` — shown as
//! "no conversations" — never 0 %.

use super::Metric;

/// The conversation figures over a range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ConversationFigures {
    /// Matched posts.
    pub volume: i64,
    /// Per cent of matched posts scored positive / negative on arrival.
    pub positive_pct: Option<f64>,
    pub negative_pct: Option<f64>,
    /// Conversations first answered in the range.
    pub first_responses: i64,
    /// Mean minutes from arriving in the inbox to the first reply, over those.
    pub mean_first_response_minutes: Option<f64>,
    /// Per cent of first responses within the market's target.
    pub within_target_pct: Option<f64>,
}

impl ConversationFigures {
    /// The figures from each conversation metric's total (`total(metric)`; a metric missing
    /// from the report counts as 0). `None` when conversation volume itself is not in it.
    pub fn from_totals(total: impl Fn(Metric) -> Option<i64>) -> Option<ConversationFigures> {
        let volume = total(Metric::ConversationVolume)?;
        let get = |m| total(m).unwrap_or(0);
        let pct = |part: i64, whole: i64| (whole > 0).then(|| part as f64 * 100.0 / whole as f64);
        let responses = get(Metric::FirstResponses);
        Some(ConversationFigures {
            volume,
            positive_pct: pct(get(Metric::PositiveConversations), volume),
            negative_pct: pct(get(Metric::NegativeConversations), volume),
            first_responses: responses,
            mean_first_response_minutes: (responses > 0)
                .then(|| get(Metric::FirstResponseMinutes) as f64 / responses as f64),
            within_target_pct: pct(get(Metric::FirstResponsesWithinTarget), responses),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn totals(pairs: &[(Metric, i64)]) -> impl Fn(Metric) -> Option<i64> + '_ {
        move |m| pairs.iter().find(|(k, _)| *k == m).map(|(_, v)| *v)
    }

    #[test]
    fn shares_and_means_are_ratios_of_the_counts() {
        let f = ConversationFigures::from_totals(totals(&[
            (Metric::ConversationVolume, 200),
            (Metric::PositiveConversations, 50),
            (Metric::NegativeConversations, 30),
            (Metric::FirstResponses, 8),
            (Metric::FirstResponsesWithinTarget, 6),
            (Metric::FirstResponseMinutes, 340),
        ]))
        .unwrap();
        assert_eq!(f.volume, 200);
        assert_eq!(f.positive_pct, Some(25.0));
        assert_eq!(f.negative_pct, Some(15.0));
        assert_eq!(f.first_responses, 8);
        assert_eq!(f.mean_first_response_minutes, Some(42.5));
        assert_eq!(f.within_target_pct, Some(75.0));
    }

    #[test]
    fn nothing_under_a_ratio_is_none_not_zero() {
        let f =
            ConversationFigures::from_totals(totals(&[(Metric::ConversationVolume, 0)])).unwrap();
        assert_eq!(f.positive_pct, None);
        assert_eq!(f.mean_first_response_minutes, None);
        assert_eq!(f.within_target_pct, None);
        assert_eq!(ConversationFigures::from_totals(totals(&[])), None);
    }
}
