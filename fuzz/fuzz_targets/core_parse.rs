//! Core's `parse` constructors on any text (what forms, the API and imports hand them): no
//! panic, and a parsed value's text form parses to the same value (normalization is
//! idempotent) — emails, market and country codes, locales, time zones, network names, roles,
//! pillars, statuses, sentiments, sides, story states, transitions, campaign states, tags,
//! slugs, language codes, rule kinds. Schedule times: a local time that resolves in a zone is
//! that local time again when the instant is shown in the zone (the first of a repeated hour),
//! and the form's value of it reads back as the same minute. UTM tagging leaves text without
//! links unchanged, and length counting and term matching never panic.
//!
//! Input: `first \1 second`; each parser sees both, the schedule reads `first` as the local time
//! and `second` as the zone (or, when it is not one, a few zones with DST in both hemispheres).
#![no_main]

use chorus_core::Role;
use chorus_core::conversations::{self, NetworkName, Sentiment, Side, Status};
use chorus_core::org::{CountryCode, Locale, MarketCode, TimeZoneName};
use chorus_core::playbook::{Pillar, parse_slug};
use chorus_core::stories::CampaignState;
use chorus_core::stories::limits::Network;
use chorus_core::stories::rules::{RuleKind, contains_term};
use chorus_core::stories::schedule::{input_value, parse_local, resolve, show};
use chorus_core::stories::utm::{Utm, tag_text};
use chorus_core::stories::workflow::{StoryState, Transition};
use chorus_core::user::Email;
use chorus_fuzz::fields;
use libfuzzer_sys::fuzz_target;

/// `parse(text form of parse(raw)) == parse(raw)` for types with `as_str`.
macro_rules! idempotent {
    ($raw:expr, $($ty:ty),+ $(,)?) => {$(
        if let Ok(v) = <$ty>::parse($raw) {
            let again = <$ty>::parse(v.as_str()).ok();
            assert_eq!(again.as_ref(), Some(&v), "{} {:?}", stringify!($ty), $raw);
        }
    )+};
}

/// The same for functions that return the normalized string.
fn idempotent_fn<E>(name: &str, raw: &str, f: impl Fn(&str) -> Result<String, E>) {
    if let Ok(v) = f(raw) {
        assert_eq!(f(&v).ok().as_deref(), Some(v.as_str()), "{name} {raw:?}");
    }
}

fn schedule(local: &str, zone: &TimeZoneName) {
    let Ok(dt) = parse_local(local) else { return };
    let Ok(slot) = resolve(dt, zone) else { return };
    let tz = zone.zone();
    assert_eq!(
        slot.at.to_zoned(tz.clone()).datetime(),
        dt,
        "{local:?} in {}",
        zone.as_str()
    );
    let _ = show(slot.at, &tz);
    let shown = input_value(slot.at, &tz);
    if dt.second() == 0 && dt.subsec_nanosecond() == 0 {
        assert_eq!(parse_local(&shown).ok(), Some(dt), "{local:?} → {shown:?}");
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    let [first, second] = fields::<2>(input);
    for raw in [first, second, input] {
        idempotent!(
            raw,
            Email,
            MarketCode,
            CountryCode,
            Locale,
            TimeZoneName,
            NetworkName
        );
        idempotent!(
            raw, Role, Pillar, Status, Sentiment, Side, StoryState, Transition
        );
        idempotent!(raw, CampaignState, Network);
        idempotent_fn("language_code", raw, conversations::language_code);
        idempotent_fn("tag", raw, conversations::tag);
        idempotent_fn("parse_slug", raw, parse_slug);
        idempotent_fn("note", raw, conversations::note);
        if let Ok(l) = Locale::parse(raw) {
            assert!(l.as_str().starts_with(l.language()));
        }
        let _ = RuleKind::parse(raw, second);
    }
    match TimeZoneName::parse(second) {
        Ok(zone) => schedule(first, &zone),
        Err(_) => {
            for name in [
                "Europe/Helsinki",
                "America/Sao_Paulo",
                "Australia/Lord_Howe",
                "UTC",
            ] {
                let zone = TimeZoneName::parse(name).expect("a known zone");
                schedule(first, &zone);
            }
        }
    }

    let utm = Utm {
        network: "bluesky",
        campaign: Some("launch"),
        story: 42,
        market: "FI",
    };
    let (tagged, links) = tag_text(input, &utm);
    if links.is_empty() {
        assert_eq!(tagged, input);
    }
    for link in &links {
        assert!(tagged.contains(link.as_str()));
    }
    for network in [Network::Bluesky, Network::Mastodon] {
        let _ = network.length(input);
    }
    let _ = contains_term(first, second);
});
