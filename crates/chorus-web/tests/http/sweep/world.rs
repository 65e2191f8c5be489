//! The organization the sweep runs in, seeded through the store: Brazil (own) and Japan (other),
//! one network account and one listening query each, the personas of [`super::model`] signed in
//! (an API token and a browser session each), and factories for fresh objects.
//!
//! Everything a market owns carries a marker naming the market and the area, so an answer that
//! leaks it is caught: `STORY-JP` in Japan's story titles, variant texts and comments,
//! `CAMP-JP` in Japan's campaign names (`CAMP-BOTH` for a campaign of both markets), `CONV-JP`
//! in Japan's query names, post texts and notes (`CONV-BOTH` for a post both markets found).
//! Each user carries a tag of their own (`ux…x`) in their email and name.

use std::cell::{Cell, RefCell};

use chorus_core::audit::Author;
use chorus_core::conversations::{QueryId, QueryInput, RawQuery};
use chorus_core::org::MarketInput;
use chorus_core::playbook::{PrincipleInput, RawPrinciple};
use chorus_core::user::{Email, Membership};
use chorus_core::{MarketId, PrincipleId, Role, UserId};
use chorus_store::{NewAccount, NewPost, NewUser};

use super::model::{MARKETS, Mkt, PERSONAS, Persona, Place};
use crate::support::{TestApp, spawn_empty};

/// A signed-in persona.
pub struct Person {
    pub p: &'static Persona,
    pub id: UserId,
    /// An API token's secret.
    pub token: String,
    /// A browser session: the cookie and its CSRF token.
    pub session: String,
    pub csrf: String,
}

/// A user as the leak checks know them.
pub struct UserFacts {
    pub id: UserId,
    pub tag: String,
    pub roles: Vec<(Role, Option<Mkt>)>,
}

/// The word every seeded post contains, for previews.
pub const POST_WORD: &str = "zorblax";

pub struct World {
    pub app: TestApp,
    pub people: Vec<Person>,
    markets: [MarketId; 2],
    accounts: [i64; 2],
    /// A second account per market, for a story's second variant (one per account and locale).
    accounts2: [i64; 2],
    writers: [(UserId, String); 2],
    queries: [i64; 2],
    principle: PrincipleId,
    users: RefCell<Vec<UserFacts>>,
    n: Cell<u32>,
}

pub fn sys() -> Author {
    Author::system("sweep")
}

fn ix(m: Mkt) -> usize {
    match m {
        Mkt::Br => 0,
        Mkt::Jp => 1,
    }
}

/// A tag for an email or a name that no other tag contains.
fn tag_of(key: &str) -> String {
    format!("ux{}x", key.replace('_', ""))
}

impl World {
    pub async fn seed() -> World {
        let app = spawn_empty().await;
        let store = &app.store;
        let mut markets = [MarketId(0); 2];
        for m in MARKETS {
            let tz = match m {
                Mkt::Br => "America/Sao_Paulo",
                Mkt::Jp => "Asia/Tokyo",
            };
            let input =
                MarketInput::parse(m.code(), m.name(), m.code(), &[m.locale().into()], tz).unwrap();
            markets[ix(m)] = store.create_market(&sys(), &input).await.unwrap().id;
        }
        let principle = store
            .create_principle(
                &sys(),
                &PrincipleInput::parse(&RawPrinciple {
                    number: 5,
                    slug: Some("clear-objectives".into()),
                    pillar: "numbers".into(),
                    title: "Define clear objectives from the outset".into(),
                    statement: "Know the target first.".into(),
                    ..RawPrinciple::default()
                })
                .unwrap(),
            )
            .await
            .unwrap()
            .id;
        let mut w = World {
            app,
            people: Vec::new(),
            markets,
            accounts: [0; 2],
            accounts2: [0; 2],
            writers: [(UserId(0), String::new()), (UserId(0), String::new())],
            queries: [0; 2],
            principle,
            users: RefCell::new(Vec::new()),
            n: Cell::new(0),
        };
        for m in MARKETS {
            for (handle, second) in [(w.handle(m), false), (w.handle2(m), true)] {
                let account = w
                    .app
                    .store
                    .connect_account(
                        &sys(),
                        &NewAccount {
                            market_id: w.id(m),
                            network: "bluesky",
                            handle,
                            external_id: "did:plc:sweep",
                            service_url: "http://127.0.0.1:9",
                            // Sealed with spawn_empty's key: the account is connected.
                            sealed: &crate::stories::seed::sealed_credentials(
                                "did:plc:sweep",
                                handle,
                            ),
                        },
                    )
                    .await
                    .unwrap();
                if second {
                    w.accounts2[ix(m)] = account.id;
                } else {
                    w.accounts[ix(m)] = account.id;
                }
            }
            let writer_key = format!("writer_{}", m.code().to_lowercase());
            let roles = vec![(Role::Contributor, Some(m))];
            let id = w.add_user(&tag_of(&writer_key), roles).await;
            w.writers[ix(m)] = (id, format!("{}@sweep.test", tag_of(&writer_key)));
            w.queries[ix(m)] = w.query(m).await;
        }
        for p in &PERSONAS {
            let tag = tag_of(p.key);
            let id = w.add_user(&tag, p.roles.to_vec()).await;
            let token = w
                .app
                .store
                .create_api_token(&sys(), id, "sweep")
                .await
                .unwrap()
                .secret;
            let (session, csrf) = w.session(id).await;
            w.people.push(Person {
                p,
                id,
                token,
                session,
                csrf,
            });
        }
        // What the lists, the calendar, the previews and the inbox find from the start: a
        // scheduled story and a campaign of each market, a campaign of both, a post of each
        // market and one both markets found.
        for place in [Place::Own, Place::Other, Place::Global] {
            w.conversation(place).await;
            w.campaign(place.markets()).await;
            if let Some(m) = place.market() {
                w.story(m, chorus_core::stories::workflow::StoryState::Scheduled)
                    .await;
            }
        }
        w
    }

    pub fn id(&self, m: Mkt) -> MarketId {
        self.markets[ix(m)]
    }

    pub fn account(&self, m: Mkt) -> i64 {
        self.accounts[ix(m)]
    }

    pub fn handle(&self, m: Mkt) -> &'static str {
        match m {
            Mkt::Br => "sweep-br.test",
            Mkt::Jp => "sweep-jp.test",
        }
    }

    pub fn account2(&self, m: Mkt) -> i64 {
        self.accounts2[ix(m)]
    }

    /// The market's second account.
    pub fn handle2(&self, m: Mkt) -> &'static str {
        match m {
            Mkt::Br => "sweep-br-2.test",
            Mkt::Jp => "sweep-jp-2.test",
        }
    }

    /// The seeded listening query of `m`.
    pub fn seeded_query(&self, m: Mkt) -> i64 {
        self.queries[ix(m)]
    }

    /// Every user, for the leak checks.
    pub fn users(&self) -> std::cell::Ref<'_, Vec<UserFacts>> {
        self.users.borrow()
    }

    /// A number no other call returned (for unique names).
    pub fn next(&self) -> u32 {
        let n = self.n.get() + 1;
        self.n.set(n);
        n
    }

    fn membership(&self, (role, at): (Role, Option<Mkt>)) -> Membership {
        Membership::new(role, at.map(|m| self.id(m))).unwrap()
    }

    async fn add_user(&self, tag: &str, roles: Vec<(Role, Option<Mkt>)>) -> UserId {
        let user = self
            .app
            .store
            .create_user(
                &sys(),
                &NewUser {
                    email: Email::parse(&format!("{tag}@sweep.test")).unwrap(),
                    display_name: format!("Person {tag}"),
                    password_hash: None,
                    memberships: roles.iter().map(|r| self.membership(*r)).collect(),
                },
            )
            .await
            .unwrap();
        self.users.borrow_mut().push(UserFacts {
            id: user.id,
            tag: tag.to_owned(),
            roles,
        });
        user.id
    }

    /// A fresh user holding `roles` (the target of membership and user changes).
    pub async fn user(&self, roles: &[(Role, Option<Mkt>)]) -> i64 {
        let tag = format!("uxt{}x", self.next());
        self.add_user(&tag, roles.to_vec()).await.0
    }

    /// A new browser session for `user`: the cookie and its CSRF token.
    pub async fn session(&self, user: UserId) -> (String, String) {
        let (cookie, s) = self
            .app
            .store
            .create_session(user, 3_600_000)
            .await
            .unwrap();
        (cookie, s.csrf_token)
    }

    /// A fresh API token of `user`; its id.
    pub async fn api_token(&self, user: UserId) -> i64 {
        self.app
            .store
            .create_api_token(&sys(), user, "sweep")
            .await
            .unwrap()
            .token
            .id
    }

    /// A listening query of `m` that finds [`POST_WORD`].
    pub async fn query(&self, m: Mkt) -> i64 {
        let raw = RawQuery {
            name: format!("CONV-{} query {}", m.code(), self.next()),
            query: POST_WORD.into(),
            ..RawQuery::default()
        };
        let input = QueryInput::parse(self.id(m), None, &raw).unwrap();
        self.app
            .store
            .create_listening_query(&sys(), &input)
            .await
            .unwrap()
            .id
            .0
    }

    /// A conversation found by the seeded query of the place's market (global: of both).
    pub async fn conversation(&self, place: Place) -> i64 {
        let n = self.next();
        let label = match place.market() {
            Some(m) => m.code(),
            None => "BOTH",
        };
        let uri = format!("at://did:plc:fan/app.bsky.feed.post/c{n}");
        let post = NewPost {
            uri: uri.clone(),
            network: "bluesky".into(),
            author: "did:plc:fan".into(),
            author_handle: Some("fan.test".into()),
            body: format!("{POST_WORD} CONV-{label} post {n}"),
            lang: "en".into(),
            sentiment: 0.2,
            labels: Default::default(),
            posted_at_ms: chorus_store::now_ms() - 60_000,
            reply_parent: None,
            reply_root: None,
            quote_of: None,
            cid: None,
            link: None,
            country: None,
            domains: vec![],
            matches: place
                .markets()
                .iter()
                .map(|m| (QueryId(self.seeded_query(*m)), self.id(*m)).into())
                .collect(),
        };
        let store = &self.app.store;
        store
            .ingest_batch("sweep", &n.to_string(), vec![post])
            .await
            .unwrap();
        store.post_by_uri(&uri).await.unwrap().unwrap().id
    }

    /// A reply to `conversation` from `m`'s account that failed to send.
    pub async fn failed_reply(&self, conversation: i64, m: Mkt) -> i64 {
        let store = &self.app.store;
        let reply = store
            .create_reply(
                &sys(),
                chorus_core::conversations::ConversationId(conversation),
                self.account(m),
                "Thanks for writing",
            )
            .await
            .unwrap();
        store
            .mark_reply_failed(reply.id, "the network refused")
            .await
            .unwrap();
        reply.id
    }

    pub async fn team(&self, m: Mkt) -> i64 {
        self.app
            .store
            .create_team(&sys(), self.id(m), &format!("Team {}", self.next()))
            .await
            .unwrap()
            .id
            .0
    }

    /// A fresh principle: its slug and number.
    pub async fn principle(&self) -> (String, i64) {
        let number = 100 + i64::from(self.next());
        let p = self
            .app
            .store
            .create_principle(
                &sys(),
                &PrincipleInput::parse(&RawPrinciple {
                    number,
                    slug: None,
                    pillar: "stories".into(),
                    title: format!("Principle {number}"),
                    statement: "Say it well.".into(),
                    ..RawPrinciple::default()
                })
                .unwrap(),
            )
            .await
            .unwrap();
        (p.slug, number)
    }

    /// A fresh rule for posts (a banned term no text contains); its id.
    pub async fn rule(&self) -> i64 {
        let rule = chorus_core::stories::rules::Rule {
            id: 0,
            kind: chorus_core::stories::rules::RuleKind::BannedTerm {
                term: format!("zzbanned{}", self.next()),
            },
            market: None,
            principle: None,
            enabled: true,
        };
        self.app
            .store
            .save_post_rule(&sys(), &rule)
            .await
            .unwrap()
            .id
    }

    /// The writer of `m` as the audit log names them: the author of every story fixture.
    pub fn writer_author(&self, m: Mkt) -> Author {
        let (uid, email) = &self.writers[ix(m)];
        Author::user(*uid, email)
    }

    /// Principle 5, which every story fixture cites.
    pub fn principle_id(&self) -> PrincipleId {
        self.principle
    }

    /// The writer of `m` (a contributor there), whose tokens are "someone else's".
    pub fn writer(&self, m: Mkt) -> UserId {
        self.writers[ix(m)].0
    }
}
