//! The links that follow a confirmation, behind their tokens: the signed download (streamed,
//! never buffered whole), the withdrawal link (a page with a button, and RFC 8058's one-click
//! POST) and the preference page. Handlers translate to `chorus_app::reach::public`.

use super::*;

pub(super) fn file_response(d: public::Download, attachment: bool) -> Response {
    let stream = futures_util::stream::unfold(d.file, |mut file| async move {
        use tokio::io::AsyncReadExt;
        let mut chunk = vec![0u8; 64 * 1024];
        match file.read(&mut chunk).await {
            Ok(0) => None,
            Ok(n) => {
                chunk.truncate(n);
                Some((Ok::<_, std::io::Error>(chunk), file))
            }
            Err(e) => Some((Err(e), file)),
        }
    });
    let mut resp = Response::new(Body::from_stream(stream));
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&d.content_type) {
        h.insert(header::CONTENT_TYPE, v);
    }
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(d.size_bytes));
    if attachment {
        let name: String = d
            .file_name
            .chars()
            .filter(|c| c.is_ascii_graphic() || *c == ' ')
            .filter(|c| !matches!(c, '"' | '\\' | ';'))
            .collect();
        if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
            h.insert(header::CONTENT_DISPOSITION, v);
        }
    }
    private(resp)
}

pub(super) async fn download(
    State(state): State<AppState>,
    Path(signed): Path<String>,
) -> Response {
    match public::download(&state.app, &signed).await {
        Ok(d) => file_response(d, true),
        Err(e) => missing(&state, e, "en").await,
    }
}

pub(super) async fn unsubscribe_page(
    State(state): State<AppState>,
    Path(signed): Path<String>,
) -> Response {
    match public::withdraw_page(&state.app, &signed).await {
        Ok(v) => {
            let w = for_locale(&v.locale);
            notice(
                &state,
                StatusCode::OK,
                &v.locale,
                Notice {
                    tone: "warn",
                    icon: "?",
                    heading: w.unsub_heading,
                    paragraphs: vec![w.unsub_text.into()],
                    subject: Some(v.title),
                    action: Some(Action {
                        url: format!("/r/unsubscribe/{signed}"),
                        label: w.unsub_button,
                        post: true,
                    }),
                    ..Notice::default()
                },
            )
            .await
        }
        Err(e) => missing(&state, e, "en").await,
    }
}

/// The button and RFC 8058's one-click POST (`List-Unsubscribe=One-Click`) alike.
pub(super) async fn unsubscribe(
    State(state): State<AppState>,
    Path(signed): Path<String>,
    addr: ClientAddr,
    headers: HeaderMap,
) -> Response {
    match public::withdraw(&state.app, &signed, &visitor(&addr, &headers)).await {
        Ok(v) => {
            let w = for_locale(&v.locale);
            let text = if v.withdrew {
                w.unsub_done_text
            } else {
                w.unsub_nothing
            };
            notice(
                &state,
                StatusCode::OK,
                &v.locale,
                Notice {
                    tone: "ok",
                    icon: "✓",
                    heading: w.unsub_done,
                    paragraphs: vec![text.into()],
                    subject: Some(v.title),
                    ..Notice::default()
                },
            )
            .await
        }
        Err(e) => missing(&state, e, "en").await,
    }
}

struct PrefsOfferView {
    offer: i64,
    title: String,
    status: String,
    active: bool,
    download_url: Option<String>,
}

#[derive(Template)]
#[template(path = "reach/public/prefs.html")]
struct PrefsPage {
    brand: String,
    w: &'static Words,
    lang: &'static str,
    page_title: String,
    token: String,
    email: String,
    offers: Vec<PrefsOfferView>,
    any_active: bool,
    flash: Option<&'static str>,
}

fn prefs_page(token: &str, p: public::Preferences, flash: bool) -> Response {
    let w = for_locale("en");
    let offers: Vec<PrefsOfferView> = p
        .offers
        .into_iter()
        .map(|o| PrefsOfferView {
            offer: o.offer.0,
            status: match o.withdrawn_at {
                Some(at) => format!("{} {}", w.status_withdrawn, at.strftime("%Y-%m-%d")),
                None => format!(
                    "{} {}",
                    w.status_active,
                    o.confirmed_at.strftime("%Y-%m-%d")
                ),
            },
            active: o.withdrawn_at.is_none(),
            title: o.title,
            download_url: o.download_url,
        })
        .collect();
    let page = PrefsPage {
        brand: p.organization.clone(),
        w,
        lang: "en",
        page_title: w.prefs_title.to_owned(),
        token: token.to_owned(),
        email: p.email,
        any_active: offers.iter().any(|o| o.active),
        offers,
        flash: flash.then_some(w.withdrawn_flash),
    };
    html(StatusCode::OK, &page)
}

pub(super) async fn prefs(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    match public::preferences(&state.app, &token).await {
        Ok(p) => prefs_page(&token, p, false),
        Err(e) => missing(&state, e, "en").await,
    }
}

pub(super) async fn change_prefs(
    State(state): State<AppState>,
    Path(token): Path<String>,
    addr: ClientAddr,
    headers: HeaderMap,
    form: FormData,
) -> Response {
    let change = match form.get("offer") {
        "all" => PrefsChange::WithdrawAll,
        id => match id.parse::<i64>() {
            Ok(id) => PrefsChange::Withdraw(chorus_core::ids::OfferId(id)),
            Err(_) => return Redirect::to(&format!("/r/prefs/{token}")).into_response(),
        },
    };
    match public::change_preferences(&state.app, &token, change, &visitor(&addr, &headers)).await {
        Ok(p) => prefs_page(&token, p, true),
        Err(e) => missing(&state, e, "en").await,
    }
}
