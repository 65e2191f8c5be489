use super::*;

const FI: MarketId = MarketId(1);
const SE: MarketId = MarketId(2);

fn markets() -> Vec<(MarketId, String)> {
    vec![(FI, "FI".to_owned()), (SE, "SE".to_owned())]
}

fn rule(id: i64, group: &str, role: Role, scope: RuleScope) -> GroupRule {
    GroupRule {
        id,
        group: GroupPattern::parse(group).unwrap(),
        role,
        scope,
    }
}

fn groups(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn patterns_match_exact_names_and_prefixes() {
    let exact = GroupPattern::parse("social-fi-editors").unwrap();
    assert_eq!(exact.matches("social-fi-editors"), Some(""));
    assert_eq!(exact.matches("social-fi-editors2"), None);
    assert_eq!(exact.matches("Social-FI-editors"), None, "names are exact");
    let prefix = GroupPattern::parse("social-leads-*").unwrap();
    assert_eq!(prefix.matches("social-leads-fi"), Some("fi"));
    assert_eq!(
        prefix.matches("social-leads-"),
        None,
        "a prefix needs a suffix"
    );
    assert_eq!(prefix.matches("social-lead-fi"), None);
}

#[test]
fn bad_patterns_say_why() {
    for (raw, says) in [
        ("", "is empty"),
        ("  ", "is empty"),
        ("*", "a * may only end a prefix"),
        ("a*b", "a * may only end a prefix"),
        ("a**", "a * may only end a prefix"),
        ("social editors", "contains a space"),
    ] {
        let e = GroupPattern::parse(raw).unwrap_err();
        assert!(e.message.contains(says), "{raw:?}: {}", e.message);
    }
    assert!(GroupPattern::parse(&"g".repeat(MAX_PATTERN_CHARS + 1)).is_err());
}

#[test]
fn rules_give_memberships_by_name_market_and_suffix() {
    let rules = vec![
        rule(1, "social-fi-editors", Role::Editor, RuleScope::Market(FI)),
        rule(2, "social-leads-*", Role::MarketLead, RuleScope::FromSuffix),
        rule(3, "social-analysts", Role::Analyst, RuleScope::Global),
        rule(4, "chorus-admins", Role::Admin, RuleScope::Global),
    ];
    let given = memberships_for(
        &groups(&[
            "social-fi-editors",
            "social-leads-se",
            "social-leads-xx",
            "other",
        ]),
        &rules,
        &markets(),
    );
    assert_eq!(
        given,
        vec![
            Given {
                membership: Membership {
                    role: Role::Editor,
                    scope: Scope::Market(FI)
                },
                rule: 1
            },
            Given {
                membership: Membership {
                    role: Role::MarketLead,
                    scope: Scope::Market(SE)
                },
                rule: 2
            },
        ],
        "a suffix naming no market (xx) gives nothing"
    );
    assert!(memberships_for(&groups(&["other"]), &rules, &markets()).is_empty());
    let admin = memberships_for(&groups(&["chorus-admins"]), &rules, &markets());
    assert_eq!(admin[0].membership.scope, Scope::Global);
}

#[test]
fn the_same_membership_is_given_once_by_the_first_rule() {
    let rules = vec![
        rule(7, "b", Role::Editor, RuleScope::Market(FI)),
        rule(5, "a", Role::Editor, RuleScope::Market(FI)),
    ];
    let given = memberships_for(&groups(&["a", "b"]), &rules, &markets());
    assert_eq!(given.len(), 1);
    assert_eq!(given[0].rule, 5);
}

#[test]
fn new_rules_are_checked() {
    assert!(check_rule("social-leads-*", Role::MarketLead, None, true).is_ok());
    let e = check_rule("social-leads", Role::MarketLead, None, true).unwrap_err();
    assert_eq!(e.field, "market");
    assert!(e.message.contains("ends in *"), "{}", e.message);
    let e = check_rule("admins", Role::Admin, Some(FI), false).unwrap_err();
    assert!(e.message.contains("global"), "{}", e.message);
    let e = check_rule("x-*", Role::Editor, Some(FI), true).unwrap_err();
    assert!(e.message.contains("not both"), "{}", e.message);
    assert_eq!(
        check_rule("", Role::Editor, None, false).unwrap_err().field,
        "group"
    );
}

#[test]
fn break_glass_admits_only_listed_admins() {
    let only = PasswordSignIn::BreakGlass(vec!["Root@Example.com".into()]);
    assert!(only.allows("root@example.com", true));
    assert!(
        !only.allows("root@example.com", false),
        "no longer an admin"
    );
    assert!(!only.allows("someone@example.com", true));
    assert!(PasswordSignIn::Everyone.allows("anyone@example.com", false));
}
