//! Values for the fields of forms and JSON bodies: each field's plausible values (real market
//! codes, roles, states, ids of objects in the seeded world, dates, times around daylight
//! saving changes, query syntax), mixed with junk of every shape (empty, huge, unicode, control
//! characters, numbers at the edges) and ids of other objects. Every strategy shrinks towards
//! a field's canonical value, so a shrunk failure keeps only the values it needs.

use chorus_core::Role;
use chorus_core::stories::workflow::StoryState;
use proptest::prelude::*;
use proptest::sample::select;

use crate::sweep::model::{Mkt, Place};
use crate::sweep::world::World;

/// Real objects of the seeded world, for the values that name one.
pub struct Ids {
    stories: Vec<i64>,
    variants: Vec<i64>,
    images: Vec<i64>,
    campaigns: Vec<i64>,
    conversations: Vec<i64>,
    queries: Vec<i64>,
    teams: Vec<i64>,
    users: Vec<i64>,
    accounts: Vec<i64>,
    rules: Vec<i64>,
    handles: Vec<String>,
    emails: Vec<String>,
    /// Every id above, as text: "an id of some other object".
    any: Vec<String>,
}

impl Ids {
    /// The network accounts' handles.
    pub fn handles(&self) -> &[String] {
        &self.handles
    }

    /// Makes a few objects of every kind (besides those the routes act on) and collects them.
    pub async fn seed(w: &World) -> Ids {
        let mut ids = Ids {
            stories: Vec::new(),
            variants: Vec::new(),
            images: Vec::new(),
            campaigns: Vec::new(),
            conversations: Vec::new(),
            queries: vec![w.seeded_query(Mkt::Br), w.seeded_query(Mkt::Jp)],
            teams: vec![w.team(Mkt::Br).await, w.team(Mkt::Jp).await],
            users: w.people.iter().map(|p| p.id.0).collect(),
            accounts: Vec::new(),
            rules: vec![w.rule().await],
            handles: Vec::new(),
            emails: w
                .users()
                .iter()
                .map(|u| format!("{}@sweep.test", u.tag))
                .collect(),
            any: Vec::new(),
        };
        for m in [Mkt::Br, Mkt::Jp] {
            for state in [StoryState::Draft, StoryState::Scheduled] {
                let fx = w
                    .shaped(m, crate::sweep::fixtures::Shape::In(state), true)
                    .await;
                ids.stories.push(fx.id);
                ids.variants.push(fx.variant);
                ids.images.push(fx.image);
            }
            ids.accounts.extend([w.account(m), w.account2(m)]);
            ids.handles
                .extend([w.handle(m).to_owned(), w.handle2(m).to_owned()]);
            ids.users.push(w.writer(m).0);
        }
        for markets in [&[Mkt::Br][..], &[Mkt::Jp], &[Mkt::Br, Mkt::Jp]] {
            ids.campaigns.push(w.campaign(markets).await);
        }
        for place in [Place::Own, Place::Other, Place::Global] {
            ids.conversations.push(w.conversation(place).await);
        }
        let all = [
            &ids.stories,
            &ids.variants,
            &ids.images,
            &ids.campaigns,
            &ids.conversations,
            &ids.queries,
            &ids.teams,
            &ids.users,
            &ids.accounts,
            &ids.rules,
        ];
        ids.any = all
            .iter()
            .flat_map(|v| v.iter())
            .map(i64::to_string)
            .collect();
        ids
    }
}

/// Dates and times: plain ones, in the gap and the fold of daylight saving time (New York,
/// the own market's zone in these tests: 9 March and 2 November 2031; Helsinki; São Paulo's
/// last ones), in the past, impossible, and in other shapes.
pub const TIMES: &[&str] = &[
    "2031-03-10T10:00",
    "2031-03-10 10:00",
    "2031-03-09T02:30",
    "2031-03-09 02:30",
    "2031-11-02T01:30",
    "2031-11-02 01:30",
    "2031-03-30T03:30",
    "2031-10-26 03:30",
    "2018-11-04T00:30",
    "2019-02-16 23:30",
    "2020-01-01T10:00",
    "2031-02-29T10:00",
    "2031-03-10T24:00",
    "2031-03-10T10:60",
    "2031-03-10T10:00:00Z",
    "2031-03-10T10:00+09:00",
    "2031-03-10",
    "10:00",
    "0000-01-01T00:00",
    "9999-12-31T23:59",
    "-0001-01-01 00:00",
    "2031-3-9 2:30",
];

pub const DATES: &[&str] = &[
    "2030-01-01",
    "2030-12-31",
    "2031-03-09",
    "2031-02-29",
    "2030-13-01",
    "2030-1-1",
    "1970-01-01",
    "0000-00-00",
    "9999-12-31",
    "+10000-01-01",
    "2031-03-10T10:00",
];

/// Shapes of junk any field may get.
const JUNK: &[&str] = &[
    "",
    " ",
    "0",
    "-1",
    "1.5",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "1e308",
    "NaN",
    "null",
    "true",
    "on",
    "\u{0}",
    "a\u{0}b",
    "\r\n",
    "\t \u{b}",
    "\u{202e}gnp.exe",
    "\u{200b}",
    "\u{fffd}",
    "🦀👩‍👩‍👧",
    "日本語テキスト",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "%00%ff",
    "../../etc/passwd",
    "{{ self }}",
    "[]",
    "id:",
];

/// Strings of a few thousand characters and one larger than the server's body limit (64 KiB).
const HUGE: &[usize] = &[300, 5_000, 70_000];

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

fn texts<T: ToString>(v: &[T]) -> Vec<String> {
    v.iter().map(T::to_string).collect()
}

/// The pool a field's values come from: `metric_2` is a `metric`, `markets` holds `market`s,
/// `account_id` names an `account`.
pub fn pool_key(field: &str) -> &str {
    let base = match field.rsplit_once('_') {
        Some((head, tail)) if tail.chars().all(|c| c.is_ascii_digit()) => head,
        _ => field,
    };
    match base {
        f if f.starts_with("market_example") => "text",
        "markets" => "market",
        "principles" => "principle",
        "ids" | "id" => "conversation",
        "add_tags" | "remove_tags" | "add_tag" | "remove_tag" => "tag",
        "account_id" => "account",
        "campaign_id" => "campaign",
        "team_id" => "team",
        "assignee_id" => "assignee",
        "languages" => "language",
        "networks" => "network",
        "starts_on" | "ends_on" | "date" => "date",
        "local" => "time",
        other => other,
    }
}

/// A field's plausible values: `good` ones a page would send (valid on their own, though not
/// always together or for every caller) and `odd` ones, near misses (a code in lower case, a
/// number out of range, a name that does not exist).
pub struct Pool {
    /// The first is the canonical value, the one a real form sends most.
    pub good: Vec<String>,
    pub odd: Vec<String>,
    /// Makes the n-th fresh value, for fields whose value must be new (a name, an email, a
    /// code): these are then canonical, so that creating things does not meet "exists".
    pub fresh: Option<fn(u32) -> String>,
}

impl Pool {
    fn of(good: &[&str], odd: &[&str]) -> Pool {
        Pool {
            good: strings(good),
            odd: strings(odd),
            fresh: None,
        }
    }

    /// Every value, good ones first.
    pub fn all(&self) -> Vec<String> {
        self.good.iter().chain(&self.odd).cloned().collect()
    }
}

/// The plausible values of a field.
pub fn plausible(ids: &Ids, field: &str) -> Pool {
    let mut pool = match pool_key(field) {
        "market" | "country" => Pool::of(&["BR", "JP"], &["br", " JP ", "ZZ", "BRA"]),
        "code" => Pool::of(
            &["BR", "JP", "NEW1", "NEW2"],
            &["br", " JP ", "Z", "TOOLONGCODE"],
        ),
        "role" => Pool {
            good: Role::ALL.iter().map(|r| r.as_str().to_owned()).collect(),
            odd: strings(&["Editor", "root"]),
            fresh: None,
        },
        "account" => Pool {
            good: texts(&ids.accounts),
            odd: ids
                .handles
                .iter()
                .cloned()
                .chain([format!("@{}", ids.handles[0]), "0".into()])
                .collect(),
            fresh: None,
        },
        "locale" | "locales" => Pool::of(
            &["pt-BR", "ja-JP", "pt-BR, ja-JP"],
            &["pt_br", "en", "xx-YY", ","],
        ),
        "timezone" => Pool::of(
            &[
                "America/New_York",
                "Asia/Tokyo",
                "America/Sao_Paulo",
                "Europe/Helsinki",
                "UTC",
            ],
            &["EST5EDT", "+05:00", "Mars/Olympus_Mons"],
        ),
        "time" => Pool::of(&TIMES[..10], &TIMES[10..]),
        "date" => Pool::of(&DATES[..3], &DATES[3..]),
        "transition" => Pool::of(
            &[
                "submit",
                "approve",
                "reject",
                "reopen",
                "schedule",
                "unschedule",
                "retry",
            ],
            &["publish", "SUBMIT"],
        ),
        "state" => Pool::of(&["planning", "active", "ended"], &["draft", "published"]),
        "status" => Pool::of(&["new", "open", "waiting", "done"], &["closed", "OPEN"]),
        "principle" => Pool::of(
            &["5", "clear-objectives"],
            &["id:1", "999", "-1", "0", "5;6"],
        ),
        "campaign" => Pool {
            good: std::iter::once(String::new())
                .chain(texts(&ids.campaigns))
                .collect(),
            odd: strings(&["0", "-1"]),
            fresh: None,
        },
        "conversation" => Pool {
            good: texts(&ids.conversations),
            odd: strings(&["0"]),
            fresh: None,
        },
        "variant" => Pool {
            good: texts(&ids.variants),
            odd: strings(&["0"]),
            fresh: None,
        },
        "assignee" => Pool {
            good: strings(&["me", "nobody"])
                .into_iter()
                .chain(texts(&ids.users))
                .collect(),
            odd: strings(&["0", "-1"]),
            fresh: None,
        },
        "team" => Pool {
            good: std::iter::once(String::new())
                .chain(texts(&ids.teams))
                .collect(),
            odd: strings(&["0"]),
            fresh: None,
        },
        "query" | "term" => Pool::of(
            &[
                "zorblax",
                "nokia AND lumia*",
                "site:example.com",
                "country:BR zorblax",
                "lang:pt zorblax",
                "\"exact phrase\"",
                "a AND (b OR c) NOT d",
            ],
            &[
                "(",
                "\"unterminated",
                "a OR",
                "NOT",
                "*",
                "(((((((((((((((((((((((((((((((((x)))))))))))))))))))))))))))))))))",
            ],
        ),
        "language" => Pool::of(&["pt", "en, pt"], &["xx", "portuguese"]),
        "network" => Pool::of(&["bluesky"], &["bluesky, mastodon", "twitter"]),
        "side" => Pool::of(&["us", "competitor", "topic"], &["them"]),
        "spike_factor" | "target" => Pool::of(&["3", "2.5", "100"], &["0", "-1", "inf", "1e309"]),
        "minutes" | "days" => Pool::of(&["30", "5", "10080", "7"], &["4", "10081", "0", "-5"]),
        "number" => Pool::of(&["5", "101", "102"], &["0", "-1", "1.0"]),
        "pillar" => Pool::of(
            &["numbers", "stories", "conversations"],
            &["Stories", "reach"],
        ),
        "slug" => Pool::of(
            &["", "a-new-slug", "clear-objectives"],
            &["UPPER", "a/b", ".."],
        ),
        "kind" => Pool::of(
            &[
                "banned_term",
                "required_term",
                "cite_principle",
                "alt_text",
                "utm_links",
            ],
            &["banned"],
        ),
        "metric" => Pool::of(&["registrations", "followers", "revenue"], &["vibes"]),
        "period" => Pool::of(&["month", "week", "day", "quarter", "year"], &["fortnight"]),
        "email" => Pool {
            good: strings(&["new.person@sweep.test"]),
            odd: ids
                .emails
                .iter()
                .cloned()
                .chain(strings(&["not-an-email", "a@b"]))
                .collect(),
            fresh: None,
        },
        "password" => Pool::of(&["a long enough password", ""], &["short", "x"]),
        "pds" => Pool::of(
            &["http://127.0.0.1:9"],
            &["http://127.0.0.1:9/xrpc", "ftp://127.0.0.1:9", "not a url"],
        ),
        "handle" => Pool::of(&["new-account.test"], &["@new.test", "sweep-br.test", "a"]),
        "app_password" => Pool::of(&["abcd-efgh-ijkl-mnop"], &["short"]),
        "tag" => Pool::of(&["", "vip", "VIP"], &["two words", "#x", "ü"]),
        "action" => {
            let user = ids.users[0];
            Pool {
                good: vec![
                    "status:open".into(),
                    "assign:me".into(),
                    "assign:nobody".into(),
                    format!("assign:{user}"),
                    "tag:vip".into(),
                    "untag:vip".into(),
                ],
                odd: strings(&["assign:999999", "assign:abc", "status:bogus", ":"]),
                fresh: None,
            }
        }
        "back" | "next" => Pool::of(
            &["/conversations?status=open", "/playbook"],
            &["//evil.test"],
        ),
        "active" | "enabled" => Pool::of(&["on", ""], &["true", "1", "off"]),
        _ => Pool::of(
            &[
                "Hello",
                "Olá, São Paulo! Read https://example.com/a?utm_source=chorus",
                "**bold** and a [link](javascript:alert(1))",
            ],
            &["zzbanned1", ""],
        ),
    };
    if pool.good.is_empty() {
        pool.good.push("value".into());
    }
    if field == "ends_on" {
        pool.good.swap(0, 1);
    }
    pool.fresh = match pool_key(field) {
        "email" => Some(|n| format!("p{n}@sweep.test")),
        "number" => Some(|n| (200 + n % 800).to_string()),
        "term" => Some(|n| format!("zzterm{n}")),
        "tag" => Some(|n| format!("tag{n}")),
        "name" | "title" | "display_name" => Some(|n| format!("Name {n}")),
        _ => None,
    };
    pool
}

/// Junk of every shape.
pub fn junk() -> BoxedStrategy<String> {
    prop_oneof![
        4 => select(strings(JUNK)),
        2 => "\\PC{0,24}",
        1 => "[\\x00-\\x1f\\x7f]{1,4}",
        1 => select(HUGE).prop_map(|n| "é".repeat(n / 2)),
    ]
    .boxed()
}

/// How wild a case's values are: the weight of junk against 12 for a plausible value (0: every
/// field plausible). A body is drawn at one level, so some cases are all but valid and reach
/// the deepest checks, while others mix junk into many fields; shrinking goes to level 0.
pub const LEVELS: [(u32, u32); 4] = [(3, 0), (3, 1), (2, 4), (1, 12)];

/// A value for `field` at `level`. At level 0 mostly the canonical one (or a fresh one), else
/// good or odd; above it also junk, an id of another object, or a time.
pub fn string_for(ids: &Ids, field: &str, level: u32) -> BoxedStrategy<String> {
    let pool = plausible(ids, field);
    let canonical = match pool.fresh {
        Some(fresh) => (0..100_000u32).prop_map(fresh).boxed(),
        None => Just(pool.good[0].clone()).boxed(),
    };
    let good = select(pool.good.clone());
    let odd = select(if pool.odd.is_empty() {
        pool.good
    } else {
        pool.odd
    });
    if level == 0 {
        return prop_oneof![5 => canonical, 4 => good, 1 => odd].boxed();
    }
    prop_oneof![
        4 => canonical,
        4 => good,
        4 => odd,
        level => junk(),
        level.div_ceil(3) => select(ids.any.clone()),
        level.div_ceil(3) => select(strings(TIMES)),
    ]
    .boxed()
}

const EDGE_INTS: &[i64] = &[0, -1, 1, i64::MAX, i64::MIN, 10_080, 4_000_000_000];

/// An integer for `field` at `level`: its plausible values that are numbers (the canonical
/// one most), fresh ones where it must be new, or else the edges; any integer or an id of
/// another object as junk.
pub fn int_for(ids: &Ids, field: &str, level: u32) -> BoxedStrategy<i64> {
    let pool = plausible(ids, field);
    let mut ints: Vec<i64> = pool
        .all()
        .iter()
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    if ints.is_empty() {
        ints.extend(EDGE_INTS);
    }
    let canonical = match pool.fresh {
        Some(fresh) if fresh(0).parse::<i64>().is_ok() => (0..100_000u32)
            .prop_map(move |n| fresh(n).parse().unwrap_or(0))
            .boxed(),
        _ => Just(ints[0]).boxed(),
    };
    if level == 0 {
        return prop_oneof![5 => canonical, 4 => select(ints)].boxed();
    }
    prop_oneof![
        6 => canonical,
        6 => select(ints),
        level => select(EDGE_INTS),
        level.div_ceil(3) => select(ids.any.clone()).prop_map(|s| s.parse().unwrap_or(0)),
        level.div_ceil(3) => any::<i64>(),
    ]
    .boxed()
}

/// A floating-point number: plausible ones, the edges, or any finite one.
pub fn float() -> BoxedStrategy<f64> {
    prop_oneof![
        3 => select(vec![100.0, 3.0, 2.5, 0.0, -5.0, 1e308, -1e308, 5e-324]),
        1 => any::<f64>().prop_filter("finite", |f| f.is_finite()),
    ]
    .boxed()
}
