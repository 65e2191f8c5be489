//! Webinar seats: capacity and the waitlist (in order), promotion when a seat frees in the same
//! transaction as the cancellation, what a seat's mails need, and reminders due.
//!
//! People reach a webinar through the public double opt-in: [`lead`] submits and confirms as
//! the landing page does, and the confirmation seats them.

use chorus_core::audit::Author;
use chorus_core::reach::attribution::Utm;
use chorus_core::reach::consent::LegalBasis;
use chorus_core::reach::consent::email_digest;
use chorus_core::reach::webinar::parse_attendance;
use chorus_core::reach::{OfferKind, OfferState, RegistrationState};
use chorus_core::{LeadId, MarketId, OfferId, RegistrationId};
use chorus_store::reach::{AssetFile, NewConsentText, NewOffer, OfferPage, Webinar, WebinarChange};
use chorus_store::{
    AuditQuery, ConfirmOutcome, ConfirmRequest, NewSubmission, ReachMail, Store, StoreError,
    WithdrawBy, WithdrawRequest,
};

use crate::support::finland_with_account;

/// A live webinar in `market` with `capacity`, starting at `starts_at`.
pub async fn webinar(
    store: &Store,
    market: MarketId,
    slug: &str,
    capacity: Option<i64>,
    starts_at: jiff::Timestamp,
) -> OfferId {
    let page = |locale: &str, title: &str| OfferPage {
        locale: locale.into(),
        title: title.into(),
        description: format!("About {title}"),
    };
    store
        .create_offer(
            &Author::system("test"),
            &NewOffer {
                kind: OfferKind::Webinar,
                market,
                slug: slug.into(),
                campaign: None,
                state: OfferState::Live,
                fields_json: "[]".into(),
                pages: vec![page("en", "Listening at scale"), page("fi", "Kuuntelu")],
                asset: None,
                webinar: Some(Webinar {
                    starts_at,
                    duration_minutes: 60,
                    time_zone: "Europe/Helsinki".into(),
                    capacity,
                    join_url: "https://meet.example.com/abc".into(),
                    sequence: 0,
                    cancelled_at: None,
                }),
            },
        )
        .await
        .unwrap()
        .id
}

/// A confirmed lead of `email` for `offer`, through the public flow's store calls (a
/// submission, then its confirmation on 2026-12-01, which seats a webinar's lead in its own
/// transaction).
pub async fn lead(store: &Store, offer: OfferId, email: &str, locale: &str) -> LeadId {
    let o = store.offer(offer).await.unwrap().unwrap();
    let text = match store.current_consent_text(o.market, "en").await.unwrap() {
        Some(t) => t,
        None => store
            .create_consent_text(
                &Author::system("test"),
                &NewConsentText {
                    market: o.market,
                    locale: "en".into(),
                    body: "I agree.".into(),
                    legal_basis: LegalBasis::Consent,
                    privacy_url: "https://example.com/privacy".into(),
                },
            )
            .await
            .unwrap(),
    };
    let at_ms = at("2026-12-01T10:00:00Z").as_millisecond();
    let token = format!("token-{email}-{}-{}", offer.0, rand_suffix());
    store
        .submit(
            NewSubmission {
                offer,
                email: email.into(),
                email_sha256: email_digest(email),
                name: format!("Name of {email}"),
                answers_json: "{}".into(),
                locale: locale.into(),
                consent_text: text.id,
                form_version: o.form_version,
                token_sha256: token.clone(),
                expires_at_ms: at_ms + 72 * 3_600_000,
                ip: "192.0.2.0/24".into(),
                user_agent: "test".into(),
                page_url: "https://chorus.example/r/x".into(),
                utm: Utm::default(),
                at_ms,
            },
            {
                let (to, locale) = (email.to_owned(), locale.to_owned());
                move |_| ReachMail {
                    to,
                    subject: "Confirm".into(),
                    text: "Press the button.".into(),
                    html: None,
                    list_unsubscribe: None,
                    one_click: false,
                    locale,
                }
            },
        )
        .await
        .unwrap();
    let outcome = store
        .confirm(
            &ConfirmRequest {
                token_sha256: &token,
                at_ms,
                prefs_token_sha256: &format!("prefs-{token}"),
                ip: "192.0.2.0/24",
                user_agent: "test",
                mail: None,
            },
            &email_digest(email),
        )
        .await
        .unwrap();
    match outcome {
        ConfirmOutcome::Confirmed(c) => c.lead,
        other => panic!("not confirmed: {other:?}"),
    }
}

fn rand_suffix() -> u64 {
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

fn at(s: &str) -> jiff::Timestamp {
    s.parse().unwrap()
}

async fn capacity_two_seats_two_and_waitlists_the_third(store: &Store) {
    let (fi, _) = finland_with_account(store).await;
    let w = webinar(store, fi, "cap-two", Some(2), at("2027-01-20T13:00:00Z")).await;
    let now = at("2026-12-01T10:00:00Z");
    let mut seats = Vec::new();
    for (i, email) in ["a@example.com", "b@example.com", "c@example.com"]
        .iter()
        .enumerate()
    {
        let l = lead(store, w, email, if i == 2 { "fi-FI" } else { "en" }).await;
        seats.push((l, store.seat_registration(w, l, now).await.unwrap()));
    }
    let states: Vec<_> = seats.iter().map(|(_, (_, s))| *s).collect();
    assert_eq!(
        states,
        [
            RegistrationState::Registered,
            RegistrationState::Registered,
            RegistrationState::Waitlisted
        ]
    );
    // A second confirmation of the same lead keeps its seat.
    let (lead_a, (reg_a, _)) = seats[0];
    assert_eq!(
        store.seat_registration(w, lead_a, now).await.unwrap(),
        (reg_a, RegistrationState::Registered)
    );

    let n = store
        .registration_notice(seats[2].1.0)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(n.state, RegistrationState::Waitlisted);
    assert_eq!(n.email.as_deref(), Some("c@example.com"));
    assert_eq!(n.locale, "fi-FI");
    assert_eq!(n.title, "Kuuntelu", "the page in the person's language");
    assert_eq!((n.time_zone.as_str(), n.sequence), ("Europe/Helsinki", 0));
    assert!(n.uid.ends_with("@chorus") && n.uid.len() > 30);
    let token = n.cancel_token.clone().unwrap();
    assert_eq!(token.len(), 32);
    let by_token = store
        .registration_by_cancel_token(&token)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_token, n);
    assert!(
        store
            .registration_by_cancel_token("nope")
            .await
            .unwrap()
            .is_none()
    );
    let other = store.registration_notice(reg_a).await.unwrap().unwrap();
    assert_ne!(other.uid, n.uid);
    assert_ne!(other.cancel_token, n.cancel_token);
    assert_eq!(other.title, "Listening at scale");
}

async fn no_limit_seats_everyone_and_an_asset_has_no_seats(store: &Store) {
    let (fi, _) = finland_with_account(store).await;
    let w = webinar(store, fi, "open", None, at("2027-01-20T13:00:00Z")).await;
    for i in 0..5 {
        let l = lead(store, w, &format!("p{i}@example.com"), "en").await;
        let (_, s) = store
            .seat_registration(w, l, at("2026-12-01T10:00:00Z"))
            .await
            .unwrap();
        assert_eq!(s, RegistrationState::Registered);
    }
    let asset = store
        .create_offer(
            &Author::system("test"),
            &NewOffer {
                kind: OfferKind::Asset,
                market: fi,
                slug: "paper".into(),
                campaign: None,
                state: OfferState::Live,
                fields_json: "[]".into(),
                pages: vec![OfferPage {
                    locale: "en".into(),
                    title: "The paper".into(),
                    description: String::new(),
                }],
                asset: Some(AssetFile {
                    file_name: "paper.pdf".into(),
                    content_type: "application/pdf".into(),
                    size_bytes: 1,
                    sha256: "ab".repeat(32),
                    storage_key: "assets/ab.pdf".into(),
                    cover_key: None,
                    cover_type: None,
                }),
                webinar: None,
            },
        )
        .await
        .unwrap()
        .id
        .0;
    let l = lead(store, OfferId(asset), "z@example.com", "en").await;
    let err = store
        .seat_registration(OfferId(asset), l, at("2026-12-01T10:00:00Z"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, chorus_store::StoreError::NotFound { what: "webinar" }),
        "{err:?}"
    );
}

async fn three_for_two(store: &Store, starts_at: &str) -> (OfferId, Vec<RegistrationId>) {
    let (fi, _) = finland_with_account(store).await;
    let w = webinar(store, fi, "three-for-two", Some(2), at(starts_at)).await;
    let mut ids = Vec::new();
    for (i, email) in [
        "a@example.com",
        "b@example.com",
        "c@example.com",
        "d@example.com",
    ]
    .iter()
    .enumerate()
    .take(3)
    {
        let l = lead(store, w, email, "en").await;
        let now = at("2026-12-01T10:00:00Z") + jiff::SignedDuration::from_mins(i as i64);
        ids.push(store.seat_registration(w, l, now).await.unwrap().0);
    }
    (w, ids)
}

/// The audit log's actions on `subject_type`, newest first.
async fn actions(store: &Store, subject_type: &str) -> Vec<String> {
    store
        .audit_entries(&AuditQuery {
            subject_type: Some(subject_type.into()),
            subject_id: None,
            actor_id: None,
            before_id: None,
            limit: 100,
            from_ms: None,
            to_ms: None,
        })
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect()
}

async fn states(store: &Store, w: OfferId) -> Vec<(RegistrationId, RegistrationState)> {
    let mut v: Vec<_> = store
        .registrants(w)
        .await
        .unwrap()
        .iter()
        .map(|r| (r.id, r.state))
        .collect();
    v.sort_by_key(|(id, _)| *id);
    v
}

async fn a_cancelled_seat_goes_to_the_first_waiting_in_the_same_transaction(store: &Store) {
    use RegistrationState::{Cancelled, Registered, Waitlisted};
    let (w, ids) = three_for_two(store, "2027-01-20T13:00:00Z").await;
    // A fourth waits behind the third.
    let l4 = lead(store, w, "d@example.com", "en").await;
    let (d, s) = store
        .seat_registration(w, l4, at("2026-12-02T10:00:00Z"))
        .await
        .unwrap();
    assert_eq!(s, Waitlisted);
    assert_eq!(store.seat_counts(w).await.unwrap(), (2, 2));

    let staff = Author::system("test");
    let now = at("2026-12-03T10:00:00Z");
    let out = store
        .cancel_registration(&staff, ids[0], now)
        .await
        .unwrap();
    assert_eq!((out.was, out.promoted.clone()), (Registered, vec![ids[2]]));
    assert_eq!(
        states(store, w).await,
        [
            (ids[0], Cancelled),
            (ids[1], Registered),
            (ids[2], Registered),
            (d, Waitlisted)
        ]
    );
    // Someone waiting who cancels frees no seat.
    let out = store.cancel_registration(&staff, d, now).await.unwrap();
    assert_eq!((out.was, out.promoted.len()), (Waitlisted, 0));
    assert_eq!(store.seat_counts(w).await.unwrap(), (2, 0));
    // Twice is refused, and so is a seat that does not exist.
    let again = store
        .cancel_registration(&staff, ids[0], now)
        .await
        .unwrap_err();
    assert!(matches!(again, StoreError::State(_)), "{again:?}");
    let none = store
        .cancel_registration(&staff, RegistrationId(9999), now)
        .await
        .unwrap_err();
    assert!(matches!(none, StoreError::NotFound { .. }), "{none:?}");
    // The promoted seat counts from its promotion (reminders look at that).
    let promoted = store.registration_notice(ids[2]).await.unwrap().unwrap();
    assert_eq!(promoted.state, Registered);
    assert_eq!(
        actions(store, "registration").await,
        ["registration.cancel"; 2]
    );
    // Someone registered who withdraws consent keeps no seat: releasing gives it to the first
    // waiting (nobody waits now, so it simply frees), audited as the system's.
    let b = store.registration_notice(ids[1]).await.unwrap().unwrap();
    store
        .withdraw(&WithdrawRequest {
            by: WithdrawBy::Submission(b.submission),
            at_ms: now.as_millisecond(),
            ip: "192.0.2.0/24",
            user_agent: "test",
        })
        .await
        .unwrap()
        .unwrap();
    let l5 = lead(store, w, "e@example.com", "en").await;
    let (e, s) = store.seat_registration(w, l5, now).await.unwrap();
    assert_eq!(s, Waitlisted, "b still holds a seat until it is released");
    let released = store.release_withdrawn_seats(now).await.unwrap();
    assert_eq!(released.len(), 1);
    assert_eq!((released[0].id, released[0].was), (ids[1], Registered));
    assert_eq!(released[0].promoted, vec![e]);
    assert!(
        store.release_withdrawn_seats(now).await.unwrap().is_empty(),
        "once"
    );
    assert_eq!(store.seat_counts(w).await.unwrap(), (2, 0));

    // A cancelled person who registers again joins the end of the line with a new seat.
    let lead_a = store
        .registration_notice(ids[0])
        .await
        .unwrap()
        .unwrap()
        .lead;
    let (again, s) = store.seat_registration(w, lead_a, now).await.unwrap();
    assert_eq!(s, Waitlisted);
    assert!(again.0 > d.0);
}

async fn a_change_of_time_or_place_raises_the_sequence_and_more_seats_promote(store: &Store) {
    use RegistrationState::Registered;
    let (w, ids) = three_for_two(store, "2027-01-20T13:00:00Z").await;
    let staff = Author::system("test");
    let change = WebinarChange {
        starts_at: at("2027-01-20T13:00:00Z"),
        duration_minutes: 60,
        time_zone: "Europe/Helsinki".into(),
        capacity: Some(3),
        join_url: "https://meet.example.com/abc".into(),
    };
    // Capacity alone: no announcement, and the third is promoted.
    let out = store.change_webinar(&staff, w, &change).await.unwrap();
    assert!(!out.announced);
    assert_eq!(out.promoted, vec![ids[2]]);
    let wb = out.offer.webinar.clone().unwrap();
    assert_eq!((wb.sequence, wb.capacity), (0, Some(3)));
    assert!(states(store, w).await.iter().all(|(_, s)| *s == Registered));
    // A new time: sequence 1; fewer seats take none away.
    let later = WebinarChange {
        starts_at: at("2027-01-21T13:00:00Z"),
        capacity: Some(1),
        ..change.clone()
    };
    let out = store.change_webinar(&staff, w, &later).await.unwrap();
    assert!(out.announced && out.promoted.is_empty());
    assert_eq!(out.offer.webinar.as_ref().unwrap().sequence, 1);
    assert_eq!(store.seat_counts(w).await.unwrap(), (3, 0));
    let n = store.registration_notice(ids[0]).await.unwrap().unwrap();
    assert_eq!((n.sequence, n.starts_at), (1, at("2027-01-21T13:00:00Z")));
    // A new join address is news too.
    let moved = WebinarChange {
        join_url: "https://meet.example.com/new".into(),
        ..later.clone()
    };
    let out = store.change_webinar(&staff, w, &moved).await.unwrap();
    assert_eq!(out.offer.webinar.as_ref().unwrap().sequence, 2);
    let changes = actions(store, "offer").await;
    let changes: Vec<_> = changes
        .iter()
        .filter(|a| *a == "offer.webinar_change")
        .collect();
    assert_eq!(changes.len(), 3);

    // Cancelling: sequence up, cancelled_at set, every seat to tell; then nothing changes.
    let (offer, seats) = store
        .cancel_webinar(&staff, w, at("2026-12-05T09:00:00Z"))
        .await
        .unwrap();
    let wb = offer.webinar.unwrap();
    assert_eq!(wb.sequence, 3);
    assert_eq!(wb.cancelled_at, Some(at("2026-12-05T09:00:00Z")));
    assert_eq!(seats, ids);
    let n = store.registration_notice(ids[1]).await.unwrap().unwrap();
    assert_eq!(n.webinar_cancelled_at, Some(at("2026-12-05T09:00:00Z")));
    for err in [
        store.change_webinar(&staff, w, &moved).await.unwrap_err(),
        store
            .cancel_webinar(&staff, w, at("2026-12-05T09:00:00Z"))
            .await
            .err()
            .unwrap(),
    ] {
        assert!(matches!(err, StoreError::State(_)), "{err:?}");
    }
    // A confirmation after the cancellation gets a cancelled seat.
    let late = lead(store, w, "late@example.com", "en").await;
    let (_, s) = store
        .seat_registration(w, late, at("2026-12-06T09:00:00Z"))
        .await
        .unwrap();
    assert_eq!(s, RegistrationState::Cancelled);
    let missing = store
        .change_webinar(&staff, OfferId(9999), &change)
        .await
        .unwrap_err();
    assert!(
        matches!(missing, StoreError::NotFound { .. }),
        "{missing:?}"
    );
}

async fn registrants_are_listed_with_names_and_attendance_is_recorded(store: &Store) {
    let (w, ids) = three_for_two(store, "2027-01-20T13:00:00Z").await;
    let list = store.registrants(w).await.unwrap();
    assert_eq!(list.iter().map(|r| r.id).collect::<Vec<_>>(), ids);
    assert_eq!(list[0].name.as_deref(), Some("Name of a@example.com"));
    assert_eq!(list[2].email.as_deref(), Some("c@example.com"));
    assert_eq!(list[2].state, RegistrationState::Waitlisted);
    assert_eq!((list[0].attended, list[0].withdrawn), (None, false));

    let parsed = parse_attendance(
        "email;attended;minutes\nA@example.com;yes;50\nb@example.com;no;0\nstranger@example.com;yes;5\n",
    )
    .unwrap();
    let report = store
        .record_attendance(&Author::system("test"), w, &parsed)
        .await
        .unwrap();
    assert_eq!(report.recorded, 2);
    assert_eq!(report.unknown, ["stranger@example.com"]);
    let list = store.registrants(w).await.unwrap();
    assert_eq!(
        (list[0].attended, list[0].attended_minutes),
        (Some(true), Some(50))
    );
    assert_eq!(
        (list[1].attended, list[1].attended_minutes),
        (Some(false), Some(0))
    );
    assert_eq!(list[2].attended, None);
    let err = store
        .record_attendance(&Author::system("test"), OfferId(9999), &parsed)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
}

async fn reminders_are_due_once_each_for_registered_seats(store: &Store) {
    use chorus_core::reach::webinar::{Reminder, reminder_key};
    // Seats taken on 2026-12-01; the webinar starts 2026-12-10 12:00 UTC.
    let (w, ids) = three_for_two(store, "2026-12-10T12:00:00Z").await;
    let due = |now: &str| {
        let now = at(now);
        async move {
            let mut d: Vec<_> = store
                .reminders_due(now)
                .await
                .unwrap()
                .iter()
                .map(|d| (d.registration, d.reminder))
                .collect();
            d.sort();
            d
        }
    };
    assert!(due("2026-12-09T11:59:00Z").await.is_empty());
    let day = due("2026-12-09T12:00:00Z").await;
    // The waiting third gets none.
    assert_eq!(
        day,
        [(ids[0], Reminder::DayBefore), (ids[1], Reminder::DayBefore)]
    );
    // Once queued in the outbox, a reminder is no longer due.
    let key = reminder_key(ids[0], Reminder::DayBefore);
    store
        .enqueue_mail(&chorus_store::NewMail {
            key: &key,
            to: "a@example.com",
            subject: "Tomorrow",
            text: "Tomorrow.",
            html: None,
            list_unsubscribe: None,
            one_click: false,
            locale: "en",
        })
        .await
        .unwrap();
    assert_eq!(
        due("2026-12-09T13:00:00Z").await,
        [(ids[1], Reminder::DayBefore)]
    );
    assert_eq!(
        due("2026-12-10T11:30:00Z").await,
        [
            (ids[0], Reminder::HourBefore),
            (ids[1], Reminder::HourBefore)
        ]
    );
    assert!(due("2026-12-10T12:00:00Z").await.is_empty(), "started");
    // Cancelled seats and cancelled webinars get none.
    store
        .cancel_registration(&Author::system("t"), ids[1], at("2026-12-10T11:00:00Z"))
        .await
        .unwrap();
    // The third, promoted at 11:00, became registered no earlier than the hour-before time:
    // no late copy of either reminder (the invitation it just got says the same).
    assert_eq!(
        due("2026-12-10T11:30:00Z").await,
        [(ids[0], Reminder::HourBefore)]
    );
    store
        .cancel_webinar(&Author::system("t"), w, at("2026-12-10T11:10:00Z"))
        .await
        .unwrap();
    assert!(due("2026-12-10T11:30:00Z").await.is_empty());
}

crate::support::conformance_suite!(
    capacity_two_seats_two_and_waitlists_the_third,
    no_limit_seats_everyone_and_an_asset_has_no_seats,
    a_cancelled_seat_goes_to_the_first_waiting_in_the_same_transaction,
    a_change_of_time_or_place_raises_the_sequence_and_more_seats_promote,
    registrants_are_listed_with_names_and_attendance_is_recorded,
    reminders_are_due_once_each_for_registered_seats,
);
