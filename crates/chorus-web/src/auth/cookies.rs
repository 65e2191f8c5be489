//! Reading and writing the few cookies Chorus sets.

use axum::http::{HeaderMap, HeaderValue, header};

/// The session cookie: an opaque random token; the database keeps only its hash.
pub const SESSION: &str = "chorus_session";
/// Double-submit token protecting the login form itself (there is no session yet).
pub const LOGIN_CSRF: &str = "chorus_login_csrf";
/// A single sign-on under way: its `state`, so that only the browser that left for the
/// identity provider can finish the sign-in it started (OAuth 2.0 Security BCP §4.7.1).
pub const SSO_STATE: &str = "chorus_sso_state";

/// The value of cookie `name`, if sent.
pub fn get(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim_matches('"').to_owned())
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, Path=/, Secure when configured.
pub fn set(name: &str, value: &str, max_age_secs: u64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let cookie =
        format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}");
    HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// A `Set-Cookie` value that deletes cookie `name`.
pub fn clear(name: &str, secure: bool) -> HeaderValue {
    set(name, "", 0, secure)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_one_cookie_among_many() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; chorus_session=tok; b=2"),
        );
        assert_eq!(get(&h, SESSION).as_deref(), Some("tok"));
        assert_eq!(get(&h, "missing"), None);
        let v = set(SESSION, "x", 60, true);
        assert_eq!(
            v.to_str().unwrap(),
            "chorus_session=x; Path=/; HttpOnly; SameSite=Lax; Max-Age=60; Secure"
        );
    }
}
