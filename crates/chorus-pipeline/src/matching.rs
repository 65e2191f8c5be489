//! Match stage: every active listening query at once, through one compiled percolator.
//!
//! A [`QuerySet`] is built from the stored queries (each narrowed by its languages and networks)
//! and swapped whole when they change; a query that no longer parses (the engine grew stricter)
//! is skipped with a warning rather than stopping ingest.

use std::collections::HashMap;

use chorus_core::MarketId;
use chorus_core::conversations::{ListeningQuery, QueryId};
use chorus_query::{Matcher, Post, Scratch};
use chorus_store::QueryMatch;

use crate::incoming::Scored;

/// The compiled queries and where each belongs.
pub struct QuerySet {
    matcher: Matcher,
    /// Each query's market and revision.
    owners: HashMap<u64, (MarketId, i64)>,
    /// The store's listening version this set was built from.
    pub version: i64,
    /// Queries that did not compile: id and the engine's message.
    pub rejected: Vec<(QueryId, String)>,
}

impl std::fmt::Debug for QuerySet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QuerySet")
            .field("queries", &self.matcher.len())
            .field("version", &self.version)
            .finish()
    }
}

impl QuerySet {
    pub fn build(queries: &[ListeningQuery], version: i64) -> QuerySet {
        let mut matcher = Matcher::new();
        let mut owners = HashMap::with_capacity(queries.len());
        let mut rejected = Vec::new();
        for q in queries.iter().filter(|q| q.active) {
            let Ok(id) = u64::try_from(q.id.0) else {
                continue;
            };
            match matcher.add_str(id, &q.effective_query()) {
                Ok(()) => {
                    owners.insert(id, (q.market_id, q.revision));
                }
                Err(e) => {
                    tracing::warn!(query = q.id.0, error = %e, "listening query skipped");
                    rejected.push((q.id, e.to_string()));
                }
            }
        }
        QuerySet {
            matcher,
            owners,
            version,
            rejected,
        }
    }

    pub fn len(&self) -> usize {
        self.matcher.len()
    }

    pub fn is_empty(&self) -> bool {
        self.matcher.is_empty()
    }

    /// The queries `post` matches, with their markets and revisions, ascending by query id.
    pub fn matches(&self, post: &Scored, scratch: &mut Scratch) -> Vec<QueryMatch> {
        let domains: Vec<&str> = post.post.domains.iter().map(String::as_str).collect();
        let p = Post::listened(
            &post.post.text,
            &post.lang,
            post.post.country.as_deref(),
            &post.post.network,
            &post.post.author,
            post.post.author_handle.as_deref(),
            &domains,
        );
        self.matcher
            .matches(&p, scratch)
            .iter()
            .filter_map(|id| {
                let (market, revision) = self.owners.get(id)?;
                Some(QueryMatch {
                    query: QueryId(i64::try_from(*id).ok()?),
                    market: *market,
                    revision: *revision,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incoming::Incoming;
    use chorus_core::conversations::{NetworkName, Side};

    fn query(id: i64, market: i64, text: &str, langs: &[&str], nets: &[&str]) -> ListeningQuery {
        ListeningQuery {
            id: QueryId(id),
            market_id: MarketId(market),
            team_id: None,
            name: format!("q{id}"),
            query: text.into(),
            languages: langs.iter().map(|s| (*s).to_owned()).collect(),
            networks: nets
                .iter()
                .map(|n| NetworkName::parse(n).unwrap())
                .collect(),
            side: Side::Topic,
            spike_factor: 3.0,
            active: true,
            revision: 0,
        }
    }

    fn scored(text: &str, lang: &str, network: &str) -> Scored {
        Scored {
            post: Incoming {
                uri: "u".into(),
                network: network.into(),
                author: "did:plc:x".into(),
                author_handle: Some("fan.test".into()),
                text: text.into(),
                declared_langs: vec![],
                country: None,
                domains: vec![],
                posted_at_ms: 0,
                reply_parent: None,
                reply_root: None,
                quote_of: None,
                cid: None,
                link: None,
            },
            lang: lang.into(),
            sentiment: 0.0,
            labels: chorus_store::Labels::default(),
        }
    }

    #[test]
    fn queries_are_narrowed_by_language_and_network() {
        let mut inactive = query(5, 1, "northwind", &[], &[]);
        let mut revised = query(6, 4, "revised", &[], &[]);
        revised.revision = 9;
        inactive.active = false;
        let set = QuerySet::build(
            &[
                query(1, 1, "northwind", &["fi"], &[]),
                query(2, 2, "northwind OR contoso", &[], &["bluesky"]),
                query(3, 2, "\"unclosed", &[], &[]),
                query(4, 3, "author:fan.test", &[], &[]),
                inactive,
                revised,
            ],
            7,
        );
        assert_eq!(set.len(), 4);
        assert_eq!(set.rejected.len(), 1);
        assert_eq!(set.rejected[0].0, QueryId(3));
        let mut s = Scratch::new();
        let ids = |p: &Scored, s: &mut Scratch| -> Vec<i64> {
            set.matches(p, s).iter().map(|m| m.query.0).collect()
        };
        assert_eq!(ids(&scored("Northwind!", "fi", "rss"), &mut s), [1, 4]);
        assert_eq!(ids(&scored("northwind", "en", "bluesky"), &mut s), [2, 4]);
        assert_eq!(ids(&scored("contoso", "fi", "rss"), &mut s), [4]);
        let with_market = set.matches(&scored("northwind", "fi", "bluesky"), &mut s);
        assert_eq!(
            with_market,
            [
                QueryMatch::from((QueryId(1), MarketId(1))),
                (QueryId(2), MarketId(2)).into(),
                (QueryId(4), MarketId(3)).into()
            ]
        );
        // A match says which revision of its query made it.
        let revised = set.matches(&scored("revised", "fi", "rss"), &mut s);
        assert_eq!(
            revised[1..],
            [QueryMatch {
                query: QueryId(6),
                market: MarketId(4),
                revision: 9
            }]
        );
    }
}
