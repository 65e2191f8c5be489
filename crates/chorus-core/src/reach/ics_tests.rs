use super::*;

fn zone(name: &str) -> TimeZoneName {
    TimeZoneName::parse(name).unwrap()
}

fn sample(method: Method, zone_name: &str, starts_at: &str) -> Invitation {
    Invitation {
        method,
        uid: "k3j5h2@chorus".into(),
        sequence: 3,
        starts_at: starts_at.parse().unwrap(),
        duration_minutes: 90,
        zone: zone(zone_name),
        stamp: "2026-12-01T08:00:00Z".parse().unwrap(),
        organizer: Party {
            name: "Chorus, Finland".into(),
            email: "reach@example.com".into(),
        },
        attendee: Party {
            name: "Sanna Korhonen".into(),
            email: "sanna@example.com".into(),
        },
        summary: "Listening, at scale; a webinar".into(),
        description: "Line one\nLine two \\ done".into(),
        location: "https://meet.example.com/abc".into(),
        url: "https://meet.example.com/abc".into(),
    }
}

fn unfold(doc: &str) -> Vec<String> {
    doc.replace("\r\n ", "")
        .split("\r\n")
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

#[test]
fn an_invitation_carries_method_uid_sequence_and_local_times_in_its_zone() {
    let doc = invitation(&sample(
        Method::Request,
        "Europe/Helsinki",
        "2027-01-20T13:00:00Z",
    ));
    let lines = unfold(&doc);
    for want in [
        "METHOD:REQUEST",
        "UID:k3j5h2@chorus",
        "SEQUENCE:3",
        "DTSTAMP:20261201T080000Z",
        // 13:00 UTC is 15:00 in Helsinki in January (EET, +02:00).
        "DTSTART;TZID=Europe/Helsinki:20270120T150000",
        "DTEND;TZID=Europe/Helsinki:20270120T163000",
        "ORGANIZER;CN=\"Chorus, Finland\":mailto:reach@example.com",
        "SUMMARY:Listening\\, at scale\\; a webinar",
        "DESCRIPTION:Line one\\nLine two \\\\ done",
        "URL:https://meet.example.com/abc",
        "STATUS:CONFIRMED",
        "TZID:Europe/Helsinki",
    ] {
        assert!(
            lines.iter().any(|l| l == want),
            "missing {want:?} in\n{doc}"
        );
    }
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("ATTENDEE;CN=Sanna Korhonen")
                && l.ends_with(":mailto:sanna@example.com"))
    );
    assert!(doc.ends_with("END:VCALENDAR\r\n"));
}

#[test]
fn the_zone_holds_the_observance_in_force_and_the_next_transitions() {
    // January in Helsinki: standard time since October; next comes summer time in March.
    let doc = invitation(&sample(
        Method::Request,
        "Europe/Helsinki",
        "2027-01-20T13:00:00Z",
    ));
    let lines = unfold(&doc);
    let block = |kind: &str, dtstart: &str| {
        let i = lines
            .iter()
            .position(|l| l == dtstart)
            .unwrap_or_else(|| panic!("no {dtstart} in\n{doc}"));
        assert_eq!(lines[i - 1], format!("BEGIN:{kind}"));
        lines[i + 1..i + 4].to_vec()
    };
    // 2026-10-25 01:00 UTC = 04:00 on the summer clock (+03:00) → +02:00.
    assert_eq!(
        block("STANDARD", "DTSTART:20261025T040000"),
        ["TZOFFSETFROM:+0300", "TZOFFSETTO:+0200", "TZNAME:EET"]
    );
    // 2027-03-28 01:00 UTC = 03:00 on the winter clock → +03:00.
    assert_eq!(
        block("DAYLIGHT", "DTSTART:20270328T030000"),
        ["TZOFFSETFROM:+0200", "TZOFFSETTO:+0300", "TZNAME:EEST"]
    );
}

#[test]
fn a_zone_without_transitions_has_one_standard_observance() {
    let doc = invitation(&sample(Method::Request, "UTC", "2027-01-20T13:00:00Z"));
    let lines = unfold(&doc);
    let i = lines.iter().position(|l| l == "BEGIN:STANDARD").unwrap();
    assert_eq!(
        lines[i + 1..i + 4],
        [
            "DTSTART:19700101T000000",
            "TZOFFSETFROM:+0000",
            "TZOFFSETTO:+0000"
        ]
    );
    assert!(lines.contains(&"DTSTART;TZID=UTC:20270120T130000".to_owned()));
}

#[test]
fn half_hour_zones_write_their_minutes() {
    let doc = invitation(&sample(
        Method::Request,
        "Asia/Kolkata",
        "2027-01-20T13:00:00Z",
    ));
    assert!(doc.contains("TZOFFSETTO:+0530"), "{doc}");
    assert!(doc.contains("DTSTART;TZID=Asia/Kolkata:20270120T183000"));
}

#[test]
fn a_cancellation_says_cancel_and_cancelled() {
    let doc = invitation(&sample(
        Method::Cancel,
        "Europe/Helsinki",
        "2027-01-20T13:00:00Z",
    ));
    let lines = unfold(&doc);
    assert!(lines.contains(&"METHOD:CANCEL".to_owned()));
    assert!(lines.contains(&"STATUS:CANCELLED".to_owned()));
    assert_eq!(
        Method::Cancel.content_type(),
        "text/calendar; charset=utf-8; method=CANCEL"
    );
}

#[test]
fn lines_fold_at_75_octets_without_splitting_characters() {
    let mut inv = sample(Method::Request, "Europe/Helsinki", "2027-01-20T13:00:00Z");
    inv.description = "äö€😀".repeat(40);
    let doc = invitation(&inv);
    for line in doc.split("\r\n") {
        assert!(line.len() <= 75, "{} octets: {line:?}", line.len());
    }
    assert!(unfold(&doc).contains(&format!("DESCRIPTION:{}", "äö€😀".repeat(40))));
}

#[test]
fn text_is_escaped_and_control_characters_cannot_start_a_property() {
    assert_eq!(escape("a\\b;c,d\r\ne"), "a\\\\b\\;c\\,d\\ne");
    let mut inv = sample(Method::Request, "Europe/Helsinki", "2027-01-20T13:00:00Z");
    inv.summary = "Hi\r\nATTENDEE:mailto:evil@example.com".into();
    inv.attendee.name = "Eve\"\r\nX:1".into();
    inv.url = "javascript:alert(1)".into();
    let doc = invitation(&inv);
    let lines = unfold(&doc);
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("ATTENDEE")).count(),
        1
    );
    assert!(
        lines.iter().any(|l| l.starts_with("ATTENDEE;CN=EveX:1"))
            || lines
                .iter()
                .any(|l| l.starts_with("ATTENDEE;CN=\"EveX:1\"")),
        "{doc}"
    );
    assert!(!doc.contains("javascript"));
}
