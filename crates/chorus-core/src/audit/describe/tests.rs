use serde_json::json;

use super::*;
use crate::ids::{MarketId, UserId};

fn entry(
    action: &str,
    subject_type: &str,
    id: &str,
    before: Option<Value>,
    after: Option<Value>,
) -> AuditEntry {
    AuditEntry {
        id: 1,
        at_ms: 1_796_781_600_000,
        actor_id: Some(UserId(1)),
        actor_label: "mikko.lehtinen@demo.chorus.test".into(),
        action: action.into(),
        subject_type: subject_type.into(),
        subject_id: id.into(),
        market_id: Some(MarketId(6)),
        before,
        after,
    }
}

fn names() -> Names {
    let mut n = Names::default();
    n.users.insert(3, "Chloe Nguyen".into());
    n.users.insert(4, "Daniela Ortiz".into());
    n.markets.insert(6, "Kenya".into());
    n.markets.insert(2, "Finland".into());
    n.accounts.insert(6, "northwind-ke.example".into());
    n.stories.insert(8, "Holiday gift guide".into());
    n.teams.insert(9, "Social".into());
    n.principles.insert(5, "Disclose every partnership".into());
    n
}

fn change(field: &str, before: Option<&str>, after: Option<&str>) -> FieldChange {
    FieldChange {
        field: field.into(),
        before: before.map(str::to_owned),
        after: after.map(str::to_owned),
    }
}

#[test]
fn story_transitions_and_posts_read_as_sentences() {
    let n = names();
    let approve = entry(
        "story.approve",
        "story",
        "8",
        Some(json!({"state": "in_review"})),
        Some(json!({"state": "approved"})),
    );
    assert_eq!(
        describe(&approve, &n).sentence,
        "approved the story “Holiday gift guide”"
    );
    let submit = entry(
        "story.submit",
        "story",
        "8",
        None,
        Some(json!({"state": "in_review"})),
    );
    assert_eq!(
        describe(&submit, &n).sentence,
        "submitted the story “Holiday gift guide” for review"
    );
    let variant = entry(
        "variant.create",
        "story",
        "8",
        None,
        Some(json!({"variant": 3, "account_id": 6, "body": "Hi"})),
    );
    assert_eq!(
        describe(&variant, &n).sentence,
        "added a post for @northwind-ke.example in the story “Holiday gift guide”"
    );
    // A story that is gone keeps its entry, by number.
    let gone = entry(
        "variant.published",
        "story",
        "99",
        None,
        Some(json!({"variant": 1, "uri": "at://x"})),
    );
    assert_eq!(
        describe(&gone, &n).sentence,
        "published a post in the story #99"
    );
}

#[test]
fn updates_name_the_fields_and_show_values_by_name() {
    let n = names();
    let e = entry(
        "conversation.update",
        "conversation",
        "12",
        Some(json!({"status": "open", "assignee_id": null, "tags": ["billing"]})),
        Some(json!({"status": "closed", "assignee_id": 4, "tags": ["billing", "vip"]})),
    );
    let d = describe(&e, &n);
    assert_eq!(
        d.sentence,
        "marked it closed, assigned it to Daniela Ortiz, tagged it “vip” in the conversation #12"
    );
    assert!(d.changes.is_empty(), "the sentence says it all");
    let reopened = entry(
        "conversation.update",
        "conversation",
        "12",
        Some(json!({"status": "done", "assignee_id": 4, "tags": ["vip"]})),
        Some(json!({"status": "open", "assignee_id": null, "tags": []})),
    );
    assert_eq!(
        describe(&reopened, &n).sentence,
        "reopened it, unassigned it, removed the tag “vip” in the conversation #12"
    );
    let principle = entry(
        "principle.update",
        "principle",
        "5",
        Some(json!({"owner_id": null, "tags": ["a"], "market": 2})),
        Some(json!({"owner_id": 3, "tags": ["a", "b"], "market": 6})),
    );
    assert_eq!(
        describe(&principle, &n).changes,
        vec![
            change("Market", Some("Finland"), Some("Kenya")),
            change("Owner id", None, Some("3")),
            change("Tags", Some("a"), Some("a, b")),
        ]
    );
    let story = entry(
        "story.update",
        "story",
        "8",
        Some(json!({"title": "Gift guide", "principles": [5], "market_id": 2})),
        Some(json!({"title": "Holiday gift guide", "principles": [5, 77], "market_id": 6})),
    );
    let d = describe(&story, &n);
    assert_eq!(
        d.sentence,
        "changed the story “Holiday gift guide”: market, principles, title"
    );
    assert_eq!(d.changes[0].before.as_deref(), Some("Finland"));
    assert_eq!(
        d.changes[1].after.as_deref(),
        Some("Disclose every partnership, principle #77")
    );
}

#[test]
fn roles_and_teams_name_people_and_markets() {
    let n = names();
    let grant = entry(
        "membership.grant",
        "user",
        "3",
        Some(json!({"memberships": ["analyst (market 2)"]})),
        Some(json!({"memberships": ["analyst (market 2)", "market_lead (market 6)"]})),
    );
    assert_eq!(
        describe(&grant, &n).sentence,
        "gave Chloe Nguyen the market lead role in Kenya"
    );
    let revoke = entry(
        "membership.revoke",
        "user",
        "3",
        Some(json!({"memberships": ["admin (global)"]})),
        Some(json!({"memberships": []})),
    );
    assert_eq!(
        describe(&revoke, &n).sentence,
        "took from Chloe Nguyen the admin role in every market"
    );
    let member = entry(
        "team.member_add",
        "team",
        "9",
        None,
        Some(json!({"user_id": 4, "member": true})),
    );
    assert_eq!(
        describe(&member, &n).sentence,
        "added Daniela Ortiz to the team “Social”"
    );
}

#[test]
fn anything_else_still_reads() {
    let n = names();
    let created = entry(
        "listening_query.create",
        "listening_query",
        "9",
        None,
        Some(json!({"name": "Sony (JP)"})),
    );
    assert_eq!(
        describe(&created, &n).sentence,
        "created the listening query “Sony (JP)”"
    );
    let target = entry(
        "response_target.set",
        "market",
        "6",
        None,
        Some(json!({"first_response_minutes": 60})),
    );
    assert_eq!(
        describe(&target, &n).sentence,
        "set the first-response target in Kenya to 60 minutes"
    );
    let rule = entry(
        "rule.create",
        "rule",
        "5",
        None,
        Some(json!({"kind": "required_term", "term": "#ad", "market": 6})),
    );
    assert_eq!(describe(&rule, &n).sentence, "created the post rule “#ad”");
    let mut campaign = entry(
        "campaign.state",
        "campaign",
        "1",
        None,
        Some(json!({"state": "active"})),
    );
    assert_eq!(
        describe(&campaign, &n).sentence,
        "moved the campaign #1 to active"
    );
    let mut named = n.clone();
    named.campaigns.insert(1, "Autumn audio launch".into());
    campaign.subject_id = "1".into();
    assert_eq!(
        describe(&campaign, &named).sentence,
        "moved the campaign “Autumn audio launch” to active"
    );
    let odd = entry("gizmo.frobnicate", "gizmo", "1", None, None);
    assert_eq!(
        describe(&odd, &n).sentence,
        "did “gizmo.frobnicate” to the gizmo #1"
    );
    // Long text is cut, and nothing shows as raw JSON.
    let long = "x".repeat(MAX_VALUE_CHARS * 2);
    let e = entry(
        "principle.update",
        "principle",
        "5",
        Some(json!({"body": "short", "meta": {"a": 1}})),
        Some(json!({"body": long, "meta": {"a": 2}})),
    );
    let d = describe(&e, &n);
    assert_eq!(
        d.sentence,
        "changed the principle “Disclose every partnership”: text, meta"
    );
    assert_eq!(
        d.changes[0].after.as_deref().map(|s| s.chars().count()),
        Some(MAX_VALUE_CHARS + 1)
    );
    assert_eq!(d.changes[1].after.as_deref(), Some("a: 2"));
}

/// A publish time is written on the reader's clock, with their zone's abbreviation.
#[test]
fn times_are_on_the_readers_clock() {
    let mut n = names();
    // 18:00 and 19:00 UTC on 6 December 2026.
    let e = entry(
        "variant.update",
        "variant",
        "7",
        Some(json!({"scheduled_at": 1_796_580_000_000i64})),
        Some(json!({"scheduled_at": 1_796_583_600_000i64})),
    );
    let shown = |n: &Names| {
        let d = describe(&e, n);
        format!("{} {:?}", d.sentence, d.changes)
    };
    assert!(shown(&n).contains("6 Dec 2026, 18:00 UTC"), "{}", shown(&n));
    n.zone = jiff::tz::db().get("Europe/Helsinki").unwrap();
    assert!(shown(&n).contains("6 Dec 2026, 20:00 EET"), "{}", shown(&n));
    assert!(!shown(&n).contains("UTC"), "{}", shown(&n));
}

#[test]
fn label_corrections_say_what_was_set() {
    let n = names();
    let both = entry(
        "conversation.labels",
        "conversation",
        "12",
        Some(json!({"lang": "tl", "sentiment": 0.6})),
        Some(
            json!({"lang": "en", "sentiment": -1.0, "language": "English", "sentiment_label": "negative"}),
        ),
    );
    assert_eq!(
        describe(&both, &n).sentence,
        "corrected the conversation #12: language English, sentiment negative"
    );
    let one = entry(
        "conversation.labels",
        "conversation",
        "12",
        Some(json!({"lang": "en", "sentiment": -1.0})),
        Some(json!({"lang": "en", "sentiment": 0.0, "sentiment_label": "neutral"})),
    );
    assert_eq!(
        describe(&one, &n).sentence,
        "corrected the conversation #12: sentiment neutral"
    );
}
