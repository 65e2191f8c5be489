//! `/r/seat/{token}`: the page behind the link in every mail about a webinar seat. GET shows
//! the seat and a button (it changes nothing: mail scanners open links); POST cancels — the
//! button's, and a mail program's RFC 8058 one-click POST (`List-Unsubscribe=One-Click`) alike.
//! No session and no CSRF token: the capability is the unguessable token in the address,
//! which acts on nothing a cookie grants. Outside the signed-in layout; words in the person's
//! language (Finnish or English). Translates to `chorus_app::reach::webinars_public`.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chorus_app::reach::webinars_public::{self as public, PublicSeat};
use chorus_core::reach::RegistrationState;

use crate::error::{AppError, PageError};
use crate::state::AppState;
use crate::ui::render;

pub fn routes() -> Router<AppState> {
    Router::new().route("/r/seat/{token}", get(show).post(cancel))
}

struct Words {
    lang: &'static str,
    heading: &'static str,
    registered: &'static str,
    waiting: &'static str,
    cancelled: &'static str,
    webinar_cancelled: &'static str,
    button: &'static str,
    done: &'static str,
}

const EN: Words = Words {
    lang: "en",
    heading: "Your seat",
    registered: "You are registered.",
    waiting: "You are on the waitlist. If a seat frees up, we will send you the invitation.",
    cancelled: "Your seat is cancelled.",
    webinar_cancelled: "This webinar is cancelled.",
    button: "Cancel my seat",
    done: "Done: your seat is cancelled and your calendar entry is removed. If anyone was waiting, the seat is theirs now.",
};

const FI: Words = Words {
    lang: "fi",
    heading: "Paikkasi",
    registered: "Olet ilmoittautunut.",
    waiting: "Olet jonossa. Jos paikka vapautuu, lähetämme sinulle kutsun.",
    cancelled: "Paikkasi on peruttu.",
    webinar_cancelled: "Tämä webinaari on peruttu.",
    button: "Peru paikkani",
    done: "Valmis: paikkasi on peruttu ja kalenterimerkintäsi poistetaan. Jos joku oli jonossa, paikka on nyt hänen.",
};

fn words(locale: &str) -> &'static Words {
    match locale.split('-').next() {
        Some(l) if l.eq_ignore_ascii_case("fi") => &FI,
        _ => &EN,
    }
}

#[derive(Template)]
#[template(path = "reach/webinars/seat.html")]
struct SeatPage {
    /// The public pages' own words (brand, footer), for their layout.
    w: &'static crate::ui::reach_public_words::Words,
    lang: &'static str,
    page_title: String,
    /// The organization's name in the layout's header; empty: the words' default.
    brand: String,
    s: &'static Words,
    seat: PublicSeat,
    status: &'static str,
    can_cancel: bool,
    just_cancelled: bool,
    action: String,
}

fn page(token: &str, seat: PublicSeat, just_cancelled: bool) -> Response {
    let w = words(&seat.locale);
    let page_title = format!("{} · {}", w.heading, seat.title);
    let status = if seat.webinar_cancelled {
        w.webinar_cancelled
    } else {
        match seat.state {
            RegistrationState::Registered => w.registered,
            RegistrationState::Waitlisted => w.waiting,
            RegistrationState::Cancelled => w.cancelled,
        }
    };
    let mut response = render(&SeatPage {
        w: crate::ui::reach_public_words::for_locale(&seat.locale),
        lang: w.lang,
        page_title,
        brand: String::new(),
        s: w,
        can_cancel: seat.state != RegistrationState::Cancelled && !seat.webinar_cancelled,
        status,
        just_cancelled,
        action: format!("/r/seat/{token}"),
        seat,
    });
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

async fn show(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    match public::seat(&state.app, &token).await {
        Ok(seat) => page(&token, seat, false),
        Err(e) => PageError(AppError::from(e)).into_response(),
    }
}

async fn cancel(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    match public::cancel(&state.app, &token).await {
        Ok(seat) => page(&token, seat, true),
        Err(e) => PageError(AppError::from(e)).into_response(),
    }
}
