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
