use super::*;

#[test]
fn target_urls_are_checked_naming_the_field() {
    let ok = [
        ("https://hooks.example.com/chorus", "hooks.example.com"),
        ("http://example.com:8080/x?y=1", "example.com"),
        ("  https://EXAMPLE.com  ", "EXAMPLE.com"),
        ("https://[2001:db8::1]:8443/h", "2001:db8::1"),
        ("https://127.0.0.1/h", "127.0.0.1"),
    ];
    for (raw, host) in ok {
        let url = TargetUrl::parse(raw).unwrap_or_else(|e| panic!("{raw}: {e}"));
        assert_eq!(url.host(), host, "{raw}");
    }
    let bad = [
        "",
        "ftp://example.com/",
        "example.com/hook",
        "https://user:pw@example.com/",
        "https://example.com/#frag",
        "https:///path",
        "https://exa mple.com/",
        "https://example.com/\u{7}",
        "javascript:alert(1)",
    ];
    for raw in bad {
        let e = TargetUrl::parse(raw).expect_err(raw);
        assert_eq!(e.field, "url", "{raw}");
    }
    let long = format!("https://example.com/{}", "a".repeat(MAX_URL_LEN));
    assert!(TargetUrl::parse(&long).is_err());
}

#[test]
fn event_types_round_trip_and_subscriptions_are_validated() {
    for t in EventType::SUBSCRIBABLE.into_iter().chain([EventType::Test]) {
        assert_eq!(EventType::parse(t.as_str()), Some(t));
    }
    let got = parse_event_types(&[
        "story.published".into(),
        " story.submitted ".into(),
        "story.published".into(),
        "".into(),
    ])
    .unwrap();
    assert_eq!(
        got,
        [EventType::StorySubmitted, EventType::StoryPublished],
        "sorted, trimmed, deduplicated"
    );
    for bad in [
        vec![],
        vec!["".to_owned()],
        vec!["webhook.test".to_owned()],
        vec!["story.deleted".to_owned()],
    ] {
        let e = parse_event_types(&bad).expect_err("refused");
        assert_eq!(e.field, "events");
    }
}

#[test]
fn names_are_trimmed_and_bounded() {
    assert_eq!(parse_name("  CRM  ").unwrap(), "CRM");
    assert_eq!(parse_name(" ").unwrap_err().field, "name");
    assert!(parse_name(&"x".repeat(81)).is_err());
    assert!(parse_name("a\nb").is_err());
}

#[test]
fn retries_back_off_and_stop_growing() {
    let secs: Vec<u64> = (1..=MAX_ATTEMPTS + 2)
        .map(|a| retry_delay(a).as_secs())
        .collect();
    assert_eq!(
        secs,
        [30, 120, 600, 1800, 3600, 7200, 14400, 14400, 14400, 14400]
    );
    assert_eq!(retry_delay(0).as_secs(), 30);
}

/// Values computed with Python's `hmac` and `base64` (see the module's tests in the README's
/// snippet): an independent check of the derivation and the signature.
#[test]
fn secret_and_signature_match_an_independent_implementation() {
    let secret = SigningSecret::derive(&[7u8; 32], "0011");
    assert_eq!(
        secret.reveal(),
        "whsec_4rXAEuqr5L-uaCuqnuylHb70ozumcAszih3QgkaS_pw"
    );
    assert_eq!(format!("{secret:?}"), "SigningSecret([redacted])");
    let fixed = SigningSecret("whsec_test".into());
    assert_eq!(
        fixed.header(1_700_000_000, br#"{"a":1}"#),
        "t=1700000000,v1=38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789"
    );
}

#[test]
fn verification_checks_body_secret_and_window() {
    let secret = SigningSecret::derive(&[1u8; 32], &new_salt());
    let other = SigningSecret::derive(&[1u8; 32], &new_salt());
    let body = br#"{"id":"evt_1"}"#;
    let t = 1_800_000_000;
    let header = secret.header(t, body);
    assert_eq!(verify(&secret, &header, body, t + 10), Ok(()));
    assert_eq!(
        verify(&secret, &header, br#"{"id":"evt_2"}"#, t),
        Err(VerifyError::Mismatch)
    );
    assert_eq!(verify(&other, &header, body, t), Err(VerifyError::Mismatch));
    assert_eq!(
        verify(&secret, &header, body, t + REPLAY_WINDOW_SECS + 1),
        Err(VerifyError::OutsideWindow)
    );
    assert_eq!(
        verify(&secret, "v1=00", body, t),
        Err(VerifyError::Malformed)
    );
    // A second v1 (a receiver during a secret rotation) is accepted if one matches.
    let both = format!("{header},v1={}", "0".repeat(64));
    assert_eq!(verify(&secret, &both, body, t), Ok(()));
}

#[test]
fn ids_and_salts_are_fresh() {
    let a = new_event_id();
    assert!(a.starts_with("evt_") && a.len() == 28, "{a}");
    assert_ne!(a, new_event_id());
    assert_eq!(new_salt().len(), 32);
}
