//! The objects a fuzzed request names in its path: real ones, made through the store of the
//! sweep's seeded world (`crate::sweep::world`), in every state that changes what a route may
//! do with them (a draft story and a published one, a campaign of the own market, of the other
//! and of both, …). The runner keeps one object per route and kind and makes a fresh one after
//! any request that changed the database, so a case meets the object as described.

use chorus_core::Role;
use chorus_core::org::MarketInput;
use chorus_core::playbook::{PrincipleInput, RawPrinciple};
use chorus_core::stories::workflow::StoryState;
use chorus_store::StoreError;

use crate::support::{cookie_from, csrf_in};
use crate::sweep::fixtures::Shape;
use crate::sweep::model::{Mkt, Place};
use crate::sweep::world::{Person, World, sys};

/// What a route's path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Obj {
    /// Nothing: the body says it all.
    None,
    /// A story with one variant, which has an image.
    Story,
    Campaign,
    Conversation,
    /// A conversation and a reply to it that failed to send.
    FailedReply,
    Query,
    Team,
    Rule,
    /// A webhook of every market (admins only: everyone else finds none).
    Webhook,
    /// A single sign-on group rule of every market (admins only).
    SignInRule,
    Principle,
    User,
    /// One of the caller's own API tokens, made for each case.
    OwnToken,
    /// Another session of the caller, made for each case (`/logout` ends it).
    Session,
    /// A market by code. An admin gets a market of their own for each case: their changes
    /// may rename it, and the other cases need BR and JP as they are.
    Market,
    /// The sign-in form: no session, the login form's CSRF cookie, made for each case.
    Login,
    /// A Reach offer (a draft gated asset) of the own or the other market.
    Offer,
    /// A confirmed lead of the own or the other market.
    Lead,
    /// A live webinar of the own or the other market.
    Webinar,
    /// A seat at a webinar of the own or the other market: the webinar (`{id}`), the seat
    /// (`{seat}`) and its cancel link's token (`{token}`).
    Seat,
}

/// The kinds of story a story route meets.
const STORIES: [(&str, Mkt, Shape); 10] = [
    ("own draft", Mkt::Br, Shape::In(StoryState::Draft)),
    ("own in review", Mkt::Br, Shape::In(StoryState::InReview)),
    ("own approved", Mkt::Br, Shape::In(StoryState::Approved)),
    ("own scheduled", Mkt::Br, Shape::In(StoryState::Scheduled)),
    ("own rejected", Mkt::Br, Shape::In(StoryState::Rejected)),
    ("own failed", Mkt::Br, Shape::In(StoryState::Failed)),
    ("own published", Mkt::Br, Shape::In(StoryState::Published)),
    (
        "own, one variant published",
        Mkt::Br,
        Shape::PartlyPublished,
    ),
    (
        "other market's draft",
        Mkt::Jp,
        Shape::In(StoryState::Draft),
    ),
    (
        "other market's scheduled",
        Mkt::Jp,
        Shape::In(StoryState::Scheduled),
    ),
];

const CAMPAIGNS: [(&str, &[Mkt]); 3] = [
    ("own market's", &[Mkt::Br]),
    ("other market's", &[Mkt::Jp]),
    ("both markets'", &[Mkt::Br, Mkt::Jp]),
];

const PLACES: [(&str, Place); 3] = [
    ("own market's", Place::Own),
    ("other market's", Place::Other),
    ("both markets'", Place::Global),
];

const MARKETS: [(&str, Mkt); 2] = [("own market", Mkt::Br), ("other market", Mkt::Jp)];

type Roles = &'static [(Role, Option<Mkt>)];

const USERS: [(&str, Roles); 4] = [
    ("a contributor in BR", &[(Role::Contributor, Some(Mkt::Br))]),
    ("an editor in JP", &[(Role::Editor, Some(Mkt::Jp))]),
    ("a global analyst", &[(Role::Analyst, None)]),
    ("a market lead in BR", &[(Role::MarketLead, Some(Mkt::Br))]),
];

impl Obj {
    /// The kinds of this object a route meets, by label (the runner picks one per case).
    pub fn kinds(self) -> Vec<&'static str> {
        match self {
            Obj::Story => STORIES.iter().map(|s| s.0).collect(),
            Obj::Campaign => CAMPAIGNS.iter().map(|c| c.0).collect(),
            Obj::Conversation | Obj::FailedReply => PLACES.iter().map(|p| p.0).collect(),
            Obj::Query
            | Obj::Team
            | Obj::Market
            | Obj::Offer
            | Obj::Lead
            | Obj::Webinar
            | Obj::Seat => MARKETS.iter().map(|m| m.0).collect(),
            Obj::User => USERS.iter().map(|u| u.0).collect(),
            Obj::Rule | Obj::Principle | Obj::Webhook | Obj::SignInRule => vec!["a fresh one"],
            Obj::OwnToken => vec!["one's own"],
            Obj::Session => vec!["a second session"],
            Obj::None | Obj::Login => vec!["-"],
        }
    }

    /// Whether the object depends on who asks (then it is made for every case).
    pub fn per_case(self, who: &Person) -> bool {
        matches!(self, Obj::OwnToken | Obj::Session | Obj::Login)
            || (self == Obj::Market && who.p.is_admin())
    }
}

/// The ids a path is made of; each route's path function takes the ones it needs.
#[derive(Debug, Clone, Default)]
pub struct Target {
    pub story: i64,
    pub variant: i64,
    pub image: i64,
    /// The campaign, conversation, query, team, rule, user or token.
    pub id: i64,
    pub reply: i64,
    /// A market's code or a principle's slug.
    pub key: String,
    /// Send the request with this session cookie and CSRF token instead of the caller's.
    pub session: Option<(String, String)>,
    /// For the sign-in form: the login CSRF cookie and the form's token.
    pub login: Option<(String, String)>,
}

impl Target {
    /// `path` with its parameters filled in: `{id}` is the story (or else the object), `{vid}`
    /// the variant, `{iid}` the image, `{reply}` the reply (`{seat}` a webinar's seat), `{code}`,
    /// `{slug}` and `{token}` the key.
    pub fn path(&self, path: &str) -> String {
        let mut out = String::new();
        let mut rest = path;
        while let Some(open) = rest.find('{') {
            let close = open + rest[open..].find('}').unwrap();
            out.push_str(&rest[..open]);
            out.push_str(&match &rest[open + 1..close] {
                "id" if self.story != 0 => self.story.to_string(),
                "id" => self.id.to_string(),
                "vid" => self.variant.to_string(),
                "iid" => self.image.to_string(),
                "reply" | "seat" => self.reply.to_string(),
                "code" | "slug" | "token" => self.key.clone(),
                other => panic!("{path}: no value for {{{other}}}"),
            });
            rest = &rest[close + 1..];
        }
        out.push_str(rest);
        out
    }
}

/// Makes a fresh object of `obj`'s `kind` (an index into [`Obj::kinds`]) for `who`.
pub async fn make(w: &World, obj: Obj, kind: usize, who: &Person) -> Target {
    let mut t = Target::default();
    match obj {
        Obj::None => {}
        Obj::Story => {
            let (_, m, shape) = STORIES[kind];
            let fx = w.shaped(m, shape, true).await;
            t.story = fx.id;
            t.variant = fx.variant;
            t.image = fx.image;
        }
        Obj::Campaign => t.id = w.campaign(CAMPAIGNS[kind].1).await,
        Obj::Conversation => t.id = w.conversation(PLACES[kind].1).await,
        Obj::FailedReply => {
            let place = PLACES[kind].1;
            t.id = w.conversation(place).await;
            t.reply = w
                .failed_reply(t.id, place.market().unwrap_or(Mkt::Br))
                .await;
        }
        Obj::Query => t.id = w.query(MARKETS[kind].1).await,
        Obj::Team => t.id = w.team(MARKETS[kind].1).await,
        Obj::Rule => t.id = w.rule().await,
        Obj::Webhook => t.id = crate::sweep::webhooks::webhook(w, Place::Global).await,
        Obj::SignInRule => t.id = crate::sweep::sso::rule(w, Place::Global).await,
        Obj::Principle => t.key = principle(w).await,
        Obj::User => t.id = w.user(USERS[kind].1).await,
        Obj::OwnToken => t.id = w.api_token(who.id).await,
        Obj::Session => t.session = Some(w.session(who.id).await),
        Obj::Market if who.p.is_admin() => {
            let code = format!("AM{}", w.next());
            let input = MarketInput::parse(
                &code,
                &format!("Admin's market {code}"),
                "DE",
                &["de-DE".into()],
                "Europe/Berlin",
            )
            .unwrap();
            w.app.store.create_market(&sys(), &input).await.unwrap();
            t.key = code;
        }
        Obj::Market => t.key = MARKETS[kind].1.code().to_owned(),
        Obj::Offer => t.id = crate::sweep::reach::offer(w, MARKETS[kind].1).await.0,
        Obj::Lead => t.id = crate::sweep::reach::fresh_lead(w, MARKETS[kind].1).await,
        Obj::Webinar => t.id = crate::sweep::webinars::webinar(w, MARKETS[kind].1).await.0,
        Obj::Seat => {
            let (webinar, seat, token) =
                crate::sweep::webinars::seat(w, MARKETS[kind].1, false).await;
            (t.id, t.reply, t.key) = (webinar.0, seat.0, token);
        }
        Obj::Login => {
            let page = reqwest::get(format!("{}/login", w.app.base)).await.unwrap();
            let cookie = cookie_from(&page, "chorus_login_csrf").unwrap();
            let token = csrf_in(&page.text().await.unwrap());
            t.login = Some((cookie, token));
        }
    }
    t
}

/// A fresh principle's slug. Its number is free: the cases create principles too.
async fn principle(w: &World) -> String {
    loop {
        let number = 100 + i64::from(w.next() % 900);
        let input = PrincipleInput::parse(&RawPrinciple {
            number,
            slug: Some(format!("fuzzed-{}", w.next())),
            pillar: "stories".into(),
            title: format!("Fuzzed principle {number}"),
            statement: "Say it well.".into(),
            ..RawPrinciple::default()
        })
        .unwrap();
        match w.app.store.create_principle(&sys(), &input).await {
            Ok(p) => return p.slug,
            Err(StoreError::AlreadyExists { .. }) => continue,
            Err(e) => panic!("a principle for the cases: {e}"),
        }
    }
}

/// The time zone of the own market while the bad-input tests run: one with daylight saving
/// time, so that the times around its changes (see `values`) fall in a gap or a fold.
pub const OWN_TIMEZONE: &str = "America/New_York";

/// Puts the own and the other market back as the tests expect them, after a request that may
/// have changed their settings (the market lead's own market may be renamed, moved to another
/// time zone or given other locales; the fixtures need BR's and JP's locales).
pub async fn restore_markets(w: &World) {
    for (m, tz) in [(Mkt::Br, OWN_TIMEZONE), (Mkt::Jp, "Asia/Tokyo")] {
        let input =
            MarketInput::parse(m.code(), m.name(), m.code(), &[m.locale().into()], tz).unwrap();
        w.app
            .store
            .update_market(&sys(), w.id(m), &input)
            .await
            .unwrap();
    }
}
