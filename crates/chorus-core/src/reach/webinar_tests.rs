use super::*;
use RegistrationState::{Registered, Waitlisted};

#[test]
fn a_seat_is_registered_while_there_is_room_and_nobody_waits() {
    for (capacity, registered, waiting, want) in [
        (None, 0, 0, Registered),
        (None, 1000, 5, Registered),
        (Some(2), 0, 0, Registered),
        (Some(2), 1, 0, Registered),
        (Some(2), 2, 0, Waitlisted),
        (Some(2), 3, 0, Waitlisted),
        // A free seat goes to the first waiting, not to a newcomer.
        (Some(2), 1, 1, Waitlisted),
        (Some(0), 0, 0, Waitlisted),
    ] {
        assert_eq!(
            seat_for(capacity, registered, waiting),
            want,
            "{capacity:?} {registered} {waiting}"
        );
    }
}

#[test]
fn promotions_fill_the_free_seats_from_the_front_of_the_waitlist() {
    for (capacity, registered, waiting, want) in [
        (Some(2), 1, 3, 1),
        (Some(2), 2, 3, 0),
        (Some(2), 0, 1, 1),
        (Some(5), 1, 3, 3),
        (Some(2), 4, 3, 0),
        (None, 10, 3, 3),
        (Some(3), 0, 0, 0),
    ] {
        assert_eq!(
            promotions(capacity, registered, waiting),
            want,
            "{capacity:?} {registered} {waiting}"
        );
    }
}

#[test]
fn when_text_reads_the_webinars_own_zone_in_english_and_finnish() {
    let zone = TimeZoneName::parse("Europe/Helsinki").unwrap();
    let at: Timestamp = "2027-01-20T13:00:00Z".parse().unwrap();
    assert_eq!(
        when_text(at, 90, &zone, "en"),
        "Wednesday 20 January 2027, 15:00–16:30 EET (Europe/Helsinki)"
    );
    assert_eq!(
        when_text(at, 90, &zone, "fi-FI"),
        "keskiviikko 20.1.2027 klo 15.00–16.30 EET (Europe/Helsinki)"
    );
    let summer: Timestamp = "2027-06-07T06:30:00Z".parse().unwrap();
    assert_eq!(
        when_text(summer, 60, &zone, "fi"),
        "maanantai 7.6.2027 klo 09.30–10.30 EEST (Europe/Helsinki)"
    );
}

#[test]
fn seats_text_counts_down_then_opens_the_waitlist() {
    assert_eq!(seats_text(Some(10), 8, 0, false, "en"), "2 seats left");
    assert_eq!(seats_text(Some(10), 9, 0, false, "en"), "1 seat left");
    assert_eq!(
        seats_text(Some(10), 10, 0, false, "en"),
        "Full – waitlist open"
    );
    assert_eq!(
        seats_text(Some(10), 9, 1, false, "en"),
        "Full – waitlist open"
    );
    assert_eq!(
        seats_text(Some(10), 7, 0, false, "fi"),
        "3 paikkaa jäljellä"
    );
    assert_eq!(
        seats_text(Some(2), 2, 0, false, "fi-FI"),
        "Täynnä – jonoon voi ilmoittautua"
    );
    assert_eq!(seats_text(None, 500, 0, false, "en"), "");
    assert_eq!(seats_text(Some(10), 0, 0, true, "en"), "Cancelled");
}

#[test]
fn the_latest_reminder_whose_time_has_come_is_due_to_seats_older_than_it() {
    let t = |s: &str| -> Timestamp { s.parse().unwrap() };
    let start = t("2027-01-20T13:00:00Z");
    let early = t("2027-01-10T09:00:00Z");
    use Reminder::{DayBefore, HourBefore};
    for (since, now, want) in [
        (early, t("2027-01-19T12:59:59Z"), None),
        (early, t("2027-01-19T13:00:00Z"), Some(DayBefore)),
        (early, t("2027-01-20T11:59:59Z"), Some(DayBefore)),
        (early, t("2027-01-20T12:00:00Z"), Some(HourBefore)),
        (early, t("2027-01-20T12:59:59Z"), Some(HourBefore)),
        (early, t("2027-01-20T13:00:00Z"), None),
        // Registered after the day-before time: no late copy of it, the hour-before one later.
        (t("2027-01-19T20:00:00Z"), t("2027-01-19T20:00:01Z"), None),
        (
            t("2027-01-19T20:00:00Z"),
            t("2027-01-20T12:00:00Z"),
            Some(HourBefore),
        ),
        // Registered within the last hour: nothing.
        (t("2027-01-20T12:30:00Z"), t("2027-01-20T12:31:00Z"), None),
    ] {
        assert_eq!(reminder_due(start, since, now), want, "{since} {now}");
    }
    assert_eq!(
        reminder_key(crate::RegistrationId(42), HourBefore),
        "webinar-reminder:42:1h"
    );
    assert_eq!(DayBefore.due_at(start), t("2027-01-19T13:00:00Z"));
}

fn email(s: &str) -> crate::user::Email {
    crate::user::Email::parse(s).unwrap()
}

#[test]
fn attendance_reads_commas_semicolons_a_bom_quotes_and_rejoins() {
    let list = "\u{feff}Name;Email;Attended;Duration (minutes)\r\n\
                \"Korhonen; Sanna\";Sanna@Example.com;yes;45\r\n\
                Bob;bob@example.com;no;0\r\n\
                \r\n\
                \"Sanna \"\"again\"\"\";sanna@example.com;Yes;12,5\r\n";
    assert_eq!(
        parse_attendance(list).unwrap(),
        vec![
            Attendance {
                email: email("sanna@example.com"),
                attended: true,
                minutes: Some(58)
            },
            Attendance {
                email: email("bob@example.com"),
                attended: false,
                minutes: Some(0)
            },
        ]
    );
    let commas = "email,minutes\na@example.com,30\nb@example.com,\n";
    assert_eq!(
        parse_attendance(commas).unwrap(),
        vec![
            Attendance {
                email: email("a@example.com"),
                attended: true,
                minutes: Some(30)
            },
            Attendance {
                email: email("b@example.com"),
                attended: false,
                minutes: Some(0)
            },
        ]
    );
    let only = "Sähköposti\nc@example.com\n";
    assert_eq!(
        parse_attendance(only).unwrap(),
        vec![Attendance {
            email: email("c@example.com"),
            attended: true,
            minutes: None
        }]
    );
}

#[test]
fn attendance_errors_name_the_line_and_the_column() {
    let cases = [
        (
            "",
            "line 1: the file is empty; expected a header such as email,attended,minutes",
        ),
        (
            "name,when\nx,y\n",
            "line 1: no email column in the header (name, when)",
        ),
        (
            "email,attended\na@example.com,yes\nb@example.com,maybe\n",
            "line 3, column 2 (attended): 'maybe' is not yes or no",
        ),
        (
            "email;attended;minutes\na@example.com;yes;lots\n",
            "line 2, column 3 (minutes): 'lots' is not a number of minutes",
        ),
        (
            "email,minutes\n\"a@example.com,5\n",
            "line 2: a quoted cell is not closed",
        ),
    ];
    for (input, want) in cases {
        assert_eq!(
            parse_attendance(input).unwrap_err().to_string(),
            want,
            "{input:?}"
        );
    }
    let bad = parse_attendance("x,email\n1,not-an-email\n").unwrap_err();
    assert_eq!((bad.line, bad.column.clone().map(|c| c.0)), (2, Some(2)));
    assert!(
        bad.to_string().starts_with("line 2, column 2 (email): "),
        "{bad}"
    );
}

#[test]
fn the_staff_form_is_read_in_the_webinars_zone_and_errors_name_the_field() {
    let raw = RawWebinar {
        starts_at: "2027-01-20T15:00".into(),
        time_zone: "Europe/Helsinki".into(),
        duration_minutes: "90".into(),
        capacity: " ".into(),
        join_url: " https://meet.example.com/abc ".into(),
    };
    let ok = parse_webinar(&raw).unwrap();
    assert_eq!(
        ok.starts_at,
        "2027-01-20T13:00:00Z".parse::<Timestamp>().unwrap()
    );
    assert_eq!((ok.duration_minutes, ok.capacity), (90, None));
    assert_eq!(ok.join_url, "https://meet.example.com/abc");
    let field = |r: RawWebinar| parse_webinar(&r).unwrap_err().field.to_string();
    assert_eq!(
        field(RawWebinar {
            time_zone: "Mars/Base".into(),
            ..raw.clone()
        }),
        "time_zone"
    );
    assert_eq!(
        field(RawWebinar {
            starts_at: "tomorrow".into(),
            ..raw.clone()
        }),
        "starts_at"
    );
    // 03:30 does not exist in Helsinki on 2027-03-28.
    assert_eq!(
        field(RawWebinar {
            starts_at: "2027-03-28T03:30".into(),
            ..raw.clone()
        }),
        "starts_at"
    );
    assert_eq!(
        field(RawWebinar {
            duration_minutes: "0".into(),
            ..raw.clone()
        }),
        "duration_minutes"
    );
    assert_eq!(
        field(RawWebinar {
            duration_minutes: "2000".into(),
            ..raw.clone()
        }),
        "duration_minutes"
    );
    assert_eq!(
        field(RawWebinar {
            capacity: "-1".into(),
            ..raw.clone()
        }),
        "capacity"
    );
    assert_eq!(
        field(RawWebinar {
            capacity: "lots".into(),
            ..raw.clone()
        }),
        "capacity"
    );
    assert_eq!(
        field(RawWebinar {
            join_url: "javascript:alert(1)".into(),
            ..raw.clone()
        }),
        "join_url"
    );
    assert_eq!(
        field(RawWebinar {
            join_url: "https://a b".into(),
            ..raw.clone()
        }),
        "join_url"
    );
    let folded = parse_webinar(&RawWebinar {
        starts_at: "2027-10-31T03:30".into(),
        ..raw
    })
    .unwrap();
    assert!(folded.note.is_some());
}
