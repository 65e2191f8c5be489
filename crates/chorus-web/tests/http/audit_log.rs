//! The audit log reads as sentences with people's names, and filters by kind, person and date,
//! on the page and through the API.

use chorus_core::Role;
use reqwest::StatusCode;

use crate::support::*;

/// The id of the seeded user holding `role`.
async fn user_id(app: &TestApp, role: Role) -> i64 {
    let email = chorus_core::user::Email::parse(&email(role)).unwrap();
    app.store.user_by_email(&email).await.unwrap().unwrap().id.0
}

#[tokio::test]
async fn the_log_reads_as_sentences_and_filters_by_person_kind_and_date() {
    let app = spawn_app().await;
    let lead = Browser::login_as(&app, Role::MarketLead).await;
    let resp = lead
        .post_form("/admin/markets/FI/teams", &[("name", "Community care")])
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let admin = Browser::login_as(&app, Role::Admin).await;

    let (status, html) = admin.get_html("/admin/audit").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("<strong>Market lead</strong> created the team “Community care”"),
        "{html}"
    );
    assert!(
        html.contains("<strong>System</strong> created the market “Finland”"),
        "setup reads as the system: {html}"
    );
    assert!(
        !html.contains("team.create") && !html.contains(&email(Role::MarketLead)),
        "no action codes or emails: {html}"
    );
    // The person filter lists people by name.
    let lead_id = user_id(&app, Role::MarketLead).await;
    assert!(
        html.contains(&format!(
            r#"<option value="{lead_id}">Market lead</option>"#
        )),
        "{html}"
    );

    // By person: only the lead's change.
    let (_, by_lead) = admin
        .get_html(&format!("/admin/audit?actor={lead_id}"))
        .await;
    assert!(by_lead.contains("created the team “Community care”"));
    assert!(!by_lead.contains("created the market"), "{by_lead}");
    // By kind.
    let (_, markets) = admin.get_html("/admin/audit?subject=market").await;
    assert!(markets.contains("created the market “Brazil”"));
    assert!(!markets.contains("Community care"));
    // By date: nothing was changed tomorrow; today holds everything.
    let today = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date();
    let tomorrow = today.tomorrow().unwrap();
    let (_, later) = admin
        .get_html(&format!("/admin/audit?from={tomorrow}"))
        .await;
    assert!(
        later.contains("No changes recorded that match this filter"),
        "{later}"
    );
    let (_, now) = admin
        .get_html(&format!("/admin/audit?from={today}&to={today}"))
        .await;
    assert!(now.contains("Community care"));
    // A malformed date names the field.
    let (status, bad) = admin.get_html("/admin/audit?from=yesterday").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.contains("write it as YYYY-MM-DD"), "{bad}");

    // The API: the same filters, and the sentence beside the raw record.
    let (status, log) = api(&app, &token(&app, Role::Admin).await)
        .get(&format!("/api/v1/audit?actor={lead_id}&from={today}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let entries = log.as_array().unwrap();
    assert_eq!(entries.len(), 1, "{log}");
    assert_eq!(entries[0]["action"], "team.create");
    assert_eq!(entries[0]["actor_id"], lead_id);
    assert_eq!(entries[0]["summary"], "created the team “Community care”");
    let (status, err) = api(&app, &token(&app, Role::Admin).await)
        .get("/api/v1/audit?actor=lead")
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["error"]["field"], "actor");
}
