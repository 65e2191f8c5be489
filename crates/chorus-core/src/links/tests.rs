use super::*;

fn base() -> PublicBase {
    PublicBase::parse("https://chorus.example.com/").unwrap()
}

fn found(text: &str) -> Vec<&str> {
    find(text).iter().map(|f| &text[f.start..f.end]).collect()
}

#[test]
fn finds_links_as_the_networks_delimit_them() {
    let rows: &[(&str, &[&str])] = &[
        ("no links here", &[]),
        ("see https://x.io/a?b=1.", &["https://x.io/a?b=1"]),
        ("(https://x.io/x) and", &["https://x.io/x"]),
        (
            "https://en.wikipedia.org/wiki/Foo_(bar)",
            &["https://en.wikipedia.org/wiki/Foo_(bar)"],
        ),
        (
            "two: http://a.io/1, https://b.io/2!",
            &["http://a.io/1", "https://b.io/2"],
        ),
        ("quoted 'https://x.io/q'", &[]),
        ("https:// alone and http://a", &[]),
        ("ftp://x.io/file mailto:a@b.io", &[]),
        ("héllo 🎉 https://x.io/ä?q=ü\nnext", &["https://x.io/ä?q=ü"]),
        (
            "line\nhttps://x.io/a\thttps://x.io/b",
            &["https://x.io/a", "https://x.io/b"],
        ),
    ];
    for (text, want) in rows {
        assert_eq!(found(text), *want, "{text:?}");
    }
}

#[test]
fn targets_are_distinct_and_skip_our_own_redirects() {
    let text = "a https://x.io/1 b https://x.io/1 c https://chorus.example.com/l/AbCdEfGh12 \
                d https://chorus.example.com/l/short e https://x.io/2";
    assert_eq!(
        targets(text, &base()),
        [
            "https://x.io/1",
            "https://chorus.example.com/l/short",
            "https://x.io/2"
        ]
    );
}

#[test]
fn published_text_swaps_links_for_redirects_and_is_stable() {
    let code = LinkCode::parse("AbCdEfGh12").unwrap();
    let text = "New: https://x.io/p?utm_source=bluesky. Also (https://x.io/p?utm_source=bluesky) \
                and https://y.io/none";
    let out = published_text(text, &base(), |u| {
        (u == "https://x.io/p?utm_source=bluesky").then_some(&code)
    });
    assert_eq!(
        out,
        "New: https://chorus.example.com/l/AbCdEfGh12. Also \
         (https://chorus.example.com/l/AbCdEfGh12) and https://y.io/none"
    );
    let again = published_text(&out, &base(), |_| Some(&code));
    assert_eq!(
        again,
        out.replace(
            "https://y.io/none",
            "https://chorus.example.com/l/AbCdEfGh12"
        ),
        "redirects already in the text stay; only the plain link gets one"
    );
    assert_eq!(published_text("plain", &base(), |_| Some(&code)), "plain");
}

#[test]
fn counted_text_has_the_published_length() {
    let code = LinkCode::random();
    let text = "Read https://example.com/a/very/long/path?utm_source=bluesky&utm_medium=social \
                now: https://x.io";
    let counted = counted_text(text, &base());
    let published = published_text(text, &base(), |_| Some(&code));
    assert_eq!(counted.len(), published.len());
    assert_ne!(counted.len(), text.len());
}

#[test]
fn public_bases_are_plain_http_addresses() {
    let ok = [
        ("http://localhost:8080", "http://localhost:8080"),
        ("https://chorus.example.com/", "https://chorus.example.com"),
        ("https://example.com/chorus//", "https://example.com/chorus"),
        ("  http://[::1]:8080 ", "http://[::1]:8080"),
    ];
    for (raw, want) in ok {
        assert_eq!(PublicBase::parse(raw).unwrap().as_str(), want, "{raw}");
    }
    let bad = [
        "",
        "localhost:8080",
        "ftp://example.com",
        "https://",
        "https:///path",
        "https://:8080",
        "https://user@example.com",
        "https://example.com/?a=1",
        "https://example.com/#top",
        "https://exa mple.com",
        "https://exämple.com",
        "https://example.com\\@evil.test",
    ];
    for raw in bad {
        assert!(PublicBase::parse(raw).is_err(), "{raw:?} is refused");
    }
    let b = base();
    let code = LinkCode::parse("0123456789").unwrap();
    assert_eq!(
        b.redirect_url(&code),
        "https://chorus.example.com/l/0123456789"
    );
    assert!(b.is_redirect("https://chorus.example.com/l/0123456789"));
    assert!(!b.is_redirect("https://chorus.example.com/l/012345678"));
    assert!(!b.is_redirect("https://chorus.example.com.evil.test/l/0123456789"));
    assert!(!b.is_redirect("https://x.io/l/0123456789"));
}

#[test]
fn codes_are_ten_base62_characters_and_random() {
    for raw in ["AbCdEfGh12", "0000000000", "zzzzzzzzzz"] {
        assert!(LinkCode::parse(raw).is_ok(), "{raw}");
    }
    for raw in [
        "",
        "AbCdEfGh1",
        "AbCdEfGh123",
        "AbCdEfGh1/",
        "AbCd%2FGh12",
        "..%2F..%2Fx",
        "AbCdEfGh1é",
        "AbCdEfGh1 ",
        "https://x",
    ] {
        assert!(LinkCode::parse(raw).is_err(), "{raw:?} is refused");
    }
    let codes: std::collections::BTreeSet<LinkCode> =
        (0..1000).map(|_| LinkCode::random()).collect();
    assert_eq!(codes.len(), 1000);
    assert!(codes.iter().all(|c| LinkCode::parse(c.as_str()).is_ok()));
    let all: String = codes.iter().map(LinkCode::as_str).collect();
    for class in [
        |c: char| c.is_ascii_digit(),
        |c: char| c.is_ascii_lowercase(),
        |c: char| c.is_ascii_uppercase(),
    ] {
        assert!(
            all.chars().any(class),
            "digits, lower and upper case all occur"
        );
    }
}

#[test]
fn locations_are_the_target_with_unsafe_bytes_encoded() {
    let rows = [
        (
            "https://x.io/p?utm_source=bluesky#top",
            Some("https://x.io/p?utm_source=bluesky#top"),
        ),
        ("https://x.io/ä?q=ü", Some("https://x.io/%C3%A4?q=%C3%BC")),
        ("https://x.io/a\u{0}b\u{7f}", Some("https://x.io/a%00b%7F")),
        ("javascript:alert(1)", None),
        ("//evil.test/x", None),
        ("/l/AbCdEfGh12", None),
    ];
    for (target, want) in rows {
        assert_eq!(location(target).as_deref(), want, "{target:?}");
    }
}

#[test]
fn bots_are_told_by_their_user_agent() {
    let rows: &[(Option<&str>, bool)] = &[
        (None, true),
        (Some(""), true),
        (Some("   "), true),
        // People.
        (
            Some(
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
            ),
            false,
        ),
        (
            Some(
                "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
            ),
            false,
        ),
        (
            Some("Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"),
            false,
        ),
        (
            Some(
                "Mozilla/5.0 (Linux; Android 10; CUBOT X30) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36",
            ),
            false,
        ),
        (
            Some(
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/440.0]",
            ),
            false,
        ),
        // Crawlers.
        (
            Some("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"),
            true,
        ),
        (
            Some("Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)"),
            true,
        ),
        (
            Some(
                "Mozilla/5.0 (compatible; Yahoo! Slurp; http://help.yahoo.com/help/us/ysearch/slurp)",
            ),
            true,
        ),
        (
            Some("Mozilla/5.0 (compatible; Bytespider; spider-feedback@bytedance.com)"),
            true,
        ),
        (
            Some(
                "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)",
            ),
            true,
        ),
        // Link previews.
        (
            Some("Mozilla/5.0 (compatible; Bluesky Cardyb/1.1; +mailto:support@bsky.app)"),
            true,
        ),
        (
            Some("facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)"),
            true,
        ),
        (Some("Twitterbot/1.0"), true),
        (
            Some("Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"),
            true,
        ),
        (
            Some("Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)"),
            true,
        ),
        (Some("TelegramBot (like TwitterBot)"), true),
        (Some("WhatsApp/2.23.20.0 A"), true),
        (
            Some("http.rb/5.1.1 (Mastodon/4.2.0; +https://mastodon.social/)"),
            true,
        ),
        (
            Some(
                "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
            ),
            true,
        ),
        // Tools and libraries.
        (Some("curl/8.5.0"), true),
        (Some("Wget/1.21.4"), true),
        (Some("python-requests/2.32.3"), true),
        (Some("Python-urllib/3.12"), true),
        (Some("Go-http-client/1.1"), true),
        (Some("Java/17.0.2"), true),
        (Some("okhttp/4.12.0"), true),
        (
            Some(
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36",
            ),
            true,
        ),
    ];
    for (ua, want) in rows {
        assert_eq!(is_bot(*ua), *want, "{ua:?}");
    }
}
