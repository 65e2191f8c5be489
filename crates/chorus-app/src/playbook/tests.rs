//! The playbook's use cases against a real SQLite store: who reads and writes principles and
//! rules, and how bad input is named. `world` and `caller` serve `crate::accounts`'s tests too.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chorus_core::audit::Author;
use chorus_core::org::MarketInput;
use chorus_core::user::Membership;
use chorus_core::{Actor, MarketId, Role, UserId};
use chorus_store::{DatabaseUrl, Store};

use super::rules::{self, RuleFields};
use super::*;
use crate::{App, AppConfig, Caller, Error};

pub(crate) struct World {
    pub app: App,
    pub fi: MarketId,
    pub br: MarketId,
    _dir: tempfile::TempDir,
}

pub(crate) async fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&DatabaseUrl::sqlite_in(dir.path()))
        .await
        .unwrap();
    let sys = Author::system("test");
    let market = |code: &str, tz: &str| {
        MarketInput::parse(code, code, code, &[format!("fi-{code}")], tz).unwrap()
    };
    let fi = store
        .create_market(&sys, &market("FI", "Europe/Helsinki"))
        .await
        .unwrap()
        .id;
    let br = store
        .create_market(&sys, &market("BR", "America/Sao_Paulo"))
        .await
        .unwrap()
        .id;
    World {
        app: App::new(store, AppConfig::default()),
        fi,
        br,
        _dir: dir,
    }
}

/// Someone holding `role` in `market` (or globally).
pub(crate) fn caller(role: Role, market: Option<MarketId>) -> Caller {
    Caller {
        actor: Actor {
            user_id: UserId(42),
            memberships: vec![Membership::new(role, market).unwrap()],
        },
        user: None,
    }
}

fn nobody() -> Caller {
    Caller {
        actor: Actor {
            user_id: UserId(43),
            memberships: vec![],
        },
        user: None,
    }
}

fn fields(number: &str, title: &str) -> PrincipleFields {
    PrincipleFields {
        number: number.into(),
        pillar: "numbers".into(),
        title: title.into(),
        statement: "Know the target first.".into(),
        market_examples: vec![MarketExampleFields {
            market: "br".into(),
            body: "Em São Paulo medimos tudo.".into(),
        }],
        ..PrincipleFields::default()
    }
}

#[tokio::test]
async fn everyone_with_a_role_reads_and_global_leads_write() {
    let w = world().await;
    let lead = caller(Role::GlobalLead, None);
    let reader = caller(Role::Contributor, Some(w.fi));
    let p = create_principle(&w.app, &lead, &fields("5", "Clear objectives"))
        .await
        .unwrap();
    assert_eq!(p.slug, "clear-objectives");
    assert_eq!(p.market_examples[0].market_id, w.br, "codes in any case");

    let view = principle(&w.app, &reader, "clear-objectives")
        .await
        .unwrap();
    assert!(!view.can_edit && !view.can_audit);
    assert_eq!(view.total, 1);
    assert!(playbook(&w.app, &lead).await.unwrap().can_edit);
    assert_eq!(search(&w.app, &reader, "target").await.unwrap().len(), 1);

    // Readers: refused on what exists, told what does not.
    let err = update_principle(&w.app, &reader, "clear-objectives", &fields("5", "X"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Forbidden(_)), "{err:?}");
    let err = delete_principle(&w.app, &reader, "nope").await.unwrap_err();
    assert!(matches!(err, Error::NotFound("principle")), "{err:?}");
    assert!(matches!(
        create_principle(&w.app, &reader, &fields("6", "Y")).await,
        Err(Error::Forbidden(_))
    ));
    assert!(matches!(
        editor(&w.app, &reader, None).await,
        Err(Error::Forbidden(_))
    ));
    // Without any role nothing is read, and nothing says whether a slug exists.
    for slug in ["clear-objectives", "nope"] {
        assert!(matches!(
            principle(&w.app, &nobody(), slug).await,
            Err(Error::Forbidden(_))
        ));
        assert!(matches!(
            delete_principle(&w.app, &nobody(), slug).await,
            Err(Error::Forbidden(_))
        ));
    }
    assert_eq!(editor(&w.app, &lead, None).await.unwrap().next_number, 6);

    delete_principle(&w.app, &lead, "clear-objectives")
        .await
        .unwrap();
    assert!(matches!(
        principle(&w.app, &lead, "clear-objectives").await,
        Err(Error::NotFound("principle"))
    ));
}

#[tokio::test]
async fn bad_input_names_the_field_and_stores_nothing() {
    let w = world().await;
    let lead = caller(Role::GlobalLead, None);
    let field_of = |r: crate::Result<Principle>| r.unwrap_err().field().map(str::to_owned);

    let bad = fields("five", "Clear objectives");
    assert_eq!(
        field_of(create_principle(&w.app, &lead, &bad).await).as_deref(),
        Some("number")
    );
    let mut bad = fields("5", "Clear objectives");
    bad.market_examples.push(MarketExampleFields {
        market: "ZZ".into(),
        body: "x".into(),
    });
    assert_eq!(
        field_of(create_principle(&w.app, &lead, &bad).await).as_deref(),
        Some("market_examples[1].market")
    );
    let mut bad = fields("5", "Clear objectives");
    bad.market_examples.push(MarketExampleFields {
        market: "BR".into(),
        body: "again".into(),
    });
    let err = create_principle(&w.app, &lead, &bad).await.unwrap_err();
    assert_eq!(err.field(), Some("market_examples[1].market"));
    assert!(err.to_string().contains("BR has two examples"), "{err}");
    assert!(playbook(&w.app, &lead).await.unwrap().principles.is_empty());

    create_principle(&w.app, &lead, &fields("5", "Clear objectives"))
        .await
        .unwrap();
    let err = create_principle(&w.app, &lead, &fields("6", "Clear objectives"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Conflict { field, .. } if field == "slug"),
        "{err:?}"
    );
    let err = create_principle(&w.app, &lead, &fields("5", "Other"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Conflict { field, .. } if field == "number"),
        "{err:?}"
    );
    assert_eq!(playbook(&w.app, &lead).await.unwrap().principles.len(), 1);
}

fn rule(kind: &str, term: &str) -> RuleFields {
    RuleFields {
        kind: kind.into(),
        term: term.into(),
        enabled: true,
        ..RuleFields::default()
    }
}

#[tokio::test]
async fn rules_in_force_are_read_by_everyone_with_a_role_and_written_by_global_leads() {
    let w = world().await;
    let lead = caller(Role::GlobalLead, None);
    create_principle(&w.app, &lead, &fields("5", "Clear objectives"))
        .await
        .unwrap();
    let mut banned = rule("banned_term", "guaranteed");
    banned.market = "fi".into();
    banned.principle = "5".into();
    let on = rules::create_rule(&w.app, &lead, &banned).await.unwrap();
    assert_eq!(on.market, Some(w.fi));
    let mut off = rule("alt_text", "");
    off.enabled = false;
    rules::create_rule(&w.app, &lead, &off).await.unwrap();

    let analyst = caller(Role::Analyst, Some(w.br));
    assert_eq!(
        rules::rules(&w.app, &analyst).await.unwrap(),
        vec![on.clone()]
    );
    assert!(matches!(
        rules::rules(&w.app, &nobody()).await,
        Err(Error::Forbidden(_))
    ));
    let market_lead = caller(Role::MarketLead, Some(w.fi));
    assert!(matches!(
        rules::editor(&w.app, &market_lead).await,
        Err(Error::Forbidden(_))
    ));
    assert!(matches!(
        rules::create_rule(&w.app, &market_lead, &rule("alt_text", "")).await,
        Err(Error::Forbidden(_))
    ));

    for (fields, field) in [
        (rule("banned_term", " "), "term"),
        (rule("shout", ""), "kind"),
        (
            RuleFields {
                market: "ZZ".into(),
                ..rule("alt_text", "")
            },
            "market",
        ),
        (
            RuleFields {
                principle: "9".into(),
                ..rule("alt_text", "")
            },
            "principle",
        ),
    ] {
        let err = rules::create_rule(&w.app, &lead, &fields)
            .await
            .unwrap_err();
        assert_eq!(err.field(), Some(field), "{err:?}");
    }
    // Id 0 would make the store create a rule: an update of it is simply not found.
    for id in [0, -1, 999] {
        assert!(matches!(
            rules::update_rule(&w.app, &lead, id, &rule("utm_links", "")).await,
            Err(Error::NotFound("rule"))
        ));
    }
    assert_eq!(rules::editor(&w.app, &lead).await.unwrap().rules.len(), 2);
    rules::delete_rule(&w.app, &lead, on.id).await.unwrap();
    assert!(rules::rules(&w.app, &analyst).await.unwrap().is_empty());
}
