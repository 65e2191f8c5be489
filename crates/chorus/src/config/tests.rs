//! The configuration's tests: loading, overlaying, validating, and the errors' words.

use super::*;

fn load(toml: &str, env: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chorus.toml");
    std::fs::write(&path, toml).unwrap();
    let env = env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned()));
    Config::load(Some(&path), env, &Overrides::default())
}

#[test]
fn defaults() {
    let c = Config::load(None, std::iter::empty(), &Overrides::default()).unwrap();
    assert_eq!(c.server.port, 8080);
    assert_eq!(c.server.bind.to_string(), "127.0.0.1");
    assert_eq!(
        c.database,
        DatabaseUrl::sqlite_in(Path::new("./chorus-data"))
    );
    assert!(!c.log.json);
    assert!(!c.server.cookie_secure);
    assert_eq!(c.public_url(8080), "http://localhost:8080");
}

#[test]
fn env_overrides_file_and_flags_override_env() {
    let c = load(
        "[server]\nport = 9000\n",
        &[
            ("CHORUS__SERVER__PORT", "9100"),
            ("CHORUS__LOG__FORMAT", "json"),
        ],
    )
    .unwrap();
    assert_eq!(c.server.port, 9100);
    assert!(c.log.json);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.toml");
    std::fs::write(&path, "[server]\nport = 9000\n").unwrap();
    let c = Config::load(
        Some(&path),
        [("CHORUS__SERVER__PORT".to_owned(), "9100".to_owned())],
        &Overrides {
            port: Some(9200),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(c.server.port, 9200);
}

#[test]
fn the_public_url_is_a_plain_http_address() {
    let c = load(
        "[server]\npublic_url = \"https://chorus.example.com/\"\n",
        &[],
    )
    .unwrap();
    assert_eq!(c.public_url(8080), "https://chorus.example.com");
    assert!(c.server.cookie_secure);
    for bad in [
        "chorus.example.com",
        "https://chorus.example.com/?x=1",
        "https://user@chorus.example.com",
        "https://chorus example.com",
    ] {
        let e = load(&format!("[server]\npublic_url = {bad:?}\n"), &[]).unwrap_err();
        assert!(e.to_string().contains("server.public_url"), "{bad}: {e}");
    }
}

#[test]
fn errors_name_the_key_and_its_source() {
    let e = load("[server]\nprot = 1\n", &[]).unwrap_err();
    assert_eq!(e.key, "server.prot");
    assert!(e.to_string().contains("unknown key"), "{e}");
    assert!(e.to_string().contains("chorus.toml"), "{e}");

    let e = load("[server]\nport = \"eighty\"\n", &[]).unwrap_err();
    assert_eq!(e.key, "server.port");

    let e = load("", &[("CHORUS__SERVER__PORT", "99999")]).unwrap_err();
    assert_eq!(e.key, "server.port");
    assert!(e.to_string().contains("CHORUS__SERVER__PORT"), "{e}");

    let e = load("", &[("CHORUS__SERVR__PORT", "1")]).unwrap_err();
    assert_eq!(e.key, "servr");

    let e = load("database_url = \"mysql://x\"\n", &[]).unwrap_err();
    assert_eq!(e.key, "database_url");
    let e = load("[log]\nformat = \"xml\"\n", &[]).unwrap_err();
    assert_eq!(e.key, "log.format");
    let e = load("[server]\nbind = \"localhost:80\"\n", &[]).unwrap_err();
    assert_eq!(e.key, "server.bind");
    let e = load("secret_key = \"c2hvcnQ=\"\n", &[]).unwrap_err();
    assert_eq!(e.key, "secret_key");
    let e = load("[server\nport = 1", &[]).unwrap_err();
    assert!(e.to_string().contains("not valid TOML"), "{e}");
    assert!(e.to_string().contains("line 1"), "{e}");
}

#[test]
fn the_bluesky_appview_for_numbers_is_an_http_url() {
    let c = load("", &[]).unwrap();
    assert_eq!(c.numbers.bluesky_appview_url, None);
    let c = load(
        "[numbers]\nbluesky_appview_url = \"https://public.api.bsky.app/\"\n",
        &[],
    )
    .unwrap();
    assert_eq!(
        c.numbers.bluesky_appview_url.as_deref(),
        Some("https://public.api.bsky.app")
    );
    let c = load(
        "",
        &[(
            "CHORUS__NUMBERS__BLUESKY_APPVIEW_URL",
            "http://localhost:2684",
        )],
    )
    .unwrap();
    assert_eq!(
        c.numbers.bluesky_appview_url.as_deref(),
        Some("http://localhost:2684")
    );
    for bad in ["wss://x", "public.api.bsky.app", "http//x"] {
        let e = load(
            &format!("[numbers]\nbluesky_appview_url = \"{bad}\"\n"),
            &[],
        )
        .unwrap_err();
        assert_eq!(e.key, "numbers.bluesky_appview_url", "{bad}");
    }
}

#[test]
fn secret_key_file_is_created_once() {
    let dir = tempfile::tempdir().unwrap();
    let c = Config::load(
        None,
        std::iter::empty(),
        &Overrides {
            data_dir: Some(dir.path().to_owned()),
            ..Default::default()
        },
    )
    .unwrap();
    let k1 = c.secret_key().unwrap();
    let k2 = c.secret_key().unwrap();
    assert_eq!(k1, k2);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("secret.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[test]
fn outbound_settings_are_validated_and_reach_the_guard() {
    use chorus_outbound::AddressClass::Loopback;
    let c = Config::load(None, std::iter::empty(), &Overrides::default()).unwrap();
    assert!(!c.outbound.allow_private_addresses && c.outbound.proxy.is_none());
    assert!(
        !c.outbound
            .builder()
            .build()
            .unwrap()
            .policy()
            .allows(Loopback)
    );

    let c = load(
        "[outbound]\nallow_private_addresses = true\nproxy = \"http://u:pw@proxy.internal:3128\"\n",
        &[],
    )
    .unwrap();
    assert!(c.outbound.allow_private_addresses);
    assert!(
        c.outbound
            .builder()
            .build()
            .unwrap()
            .policy()
            .allows(Loopback)
    );
    assert!(
        !format!("{c:?}").contains("pw@"),
        "the proxy's credentials never print"
    );

    // ingest.allow_private_addresses opens feeds only.
    let c = load("[ingest]\nallow_private_addresses = true\n", &[]).unwrap();
    assert!(
        !c.outbound
            .builder()
            .build()
            .unwrap()
            .policy()
            .allows(Loopback)
    );
    let feeds = c.outbound.feed_builder(&c.ingest).build().unwrap();
    assert!(feeds.policy().allows(Loopback));

    let c = load("", &[("CHORUS__OUTBOUND__ALLOW_PRIVATE_ADDRESSES", "true")]).unwrap();
    assert!(c.outbound.allow_private_addresses);

    for bad in [
        "socks5://p:1080",
        "proxy.internal:3128",
        "http://",
        "http://p/x",
        "http://p/?a",
    ] {
        let e = load(&format!("[outbound]\nproxy = \"{bad}\"\n"), &[]).unwrap_err();
        assert_eq!(e.key, "outbound.proxy", "{bad}");
        assert!(e.to_string().contains("chorus.toml"), "{e}");
    }
    let e = load("", &[("CHORUS__OUTBOUND__ALLOW_PRIVATE_ADDRESSES", "yes")]).unwrap_err();
    assert_eq!(e.key, "outbound.allow_private_addresses");
    assert!(
        e.to_string()
            .contains("CHORUS__OUTBOUND__ALLOW_PRIVATE_ADDRESSES"),
        "{e}"
    );
    let e = load("[outbound]\nallow_private = true\n", &[]).unwrap_err();
    assert_eq!(e.key, "outbound.allow_private");
}

#[test]
fn secrets_do_not_print() {
    assert_eq!(format!("{:?}", Secret("hunter2".into())), "[redacted]");
}

#[test]
fn reach_has_defaults_ranges_and_names_the_key() {
    let reach = load("", &[]).unwrap().reach;
    assert_eq!(reach.confirm_token_ttl, Duration::from_secs(72 * 3600));
    assert_eq!(
        reach.files_dir,
        Some(Path::new("./chorus-data").join("reach"))
    );
    let set = load("[reach]\nconfirm_token_hours = 24\nmax_asset_mb = 5\n", &[])
        .unwrap()
        .reach;
    assert_eq!(set.confirm_token_ttl, Duration::from_secs(24 * 3600));
    assert_eq!(set.max_asset_bytes, 5 * 1024 * 1024);
    let bad = load("[reach]\nconfirm_token_hours = 0\n", &[]).unwrap_err();
    assert!(
        bad.to_string().contains("reach.confirm_token_hours"),
        "{bad}"
    );
    let short = load(
        "[reach]\nunconfirmed_purge_days = 1\nconfirm_token_hours = 72\n",
        &[],
    )
    .unwrap_err();
    assert!(
        short.to_string().contains("reach.unconfirmed_purge_days"),
        "{short}"
    );
    let unknown = load("[reach]\nconfirm_hours = 1\n", &[]).unwrap_err();
    assert!(unknown.to_string().contains("confirm_hours"), "{unknown}");
}

#[test]
fn text_modes_default_to_the_models_and_name_the_key_when_bad() {
    use chorus_pipeline::{FilterLanguage, SentimentMode};
    let c = load("", &[]).unwrap();
    assert_eq!(c.text.sentiment, SentimentMode::Model);
    assert_eq!(c.text.filter_language, FilterLanguage::Detected);
    let c = load(
        "[text]\nsentiment = \"vader\"\n",
        &[("CHORUS__TEXT__FILTER_LANGUAGE", "Source")],
    )
    .unwrap();
    assert_eq!(c.text.sentiment, SentimentMode::Vader);
    assert_eq!(c.text.filter_language, FilterLanguage::Source);
    let e = load("[text]\nsentiment = \"roberta\"\n", &[]).unwrap_err();
    assert_eq!(e.key, "text.sentiment");
    assert!(e.to_string().contains("use model or vader"), "{e}");
    let e = load("", &[("CHORUS__TEXT__FILTER_LANGUAGE", "declared")]).unwrap_err();
    assert_eq!(e.key, "text.filter_language");
    assert!(e.to_string().contains("use detected or source"), "{e}");
    assert!(
        e.to_string().contains("CHORUS__TEXT__FILTER_LANGUAGE"),
        "{e}"
    );
    let e = load("[text]\nlanguage = \"detected\"\n", &[]).unwrap_err();
    assert_eq!(e.key, "text.language", "an unknown key is named");
}

#[test]
fn nats_is_off_without_a_url_and_each_setting_is_checked() {
    assert_eq!(load("", &[]).unwrap().nats, None);
    assert_eq!(load("[nats]\nurl = \"\"\n", &[]).unwrap().nats, None);
    let c = load(
        "[nats]\nurl = \"nats://127.0.0.1:4222\"\nmax_megabytes = 64\n",
        &[("CHORUS__NATS__ACK_WAIT_SECONDS", "5")],
    )
    .unwrap()
    .nats
    .unwrap();
    assert_eq!(c.url, "nats://127.0.0.1:4222");
    assert_eq!(c.max_bytes, 64 << 20);
    assert_eq!(c.ack_wait, Duration::from_secs(5));
    assert_eq!(
        (c.stream.as_str(), c.consumer.as_str()),
        ("CHORUS_POSTS", "chorus-workers")
    );
    for (toml, key, says) in [
        (
            "url = \"http://nats:4222\"",
            "nats.url",
            "must start with nats://",
        ),
        (
            "url = \"nats://n\"\nstream = \"posts.all\"",
            "nats.stream",
            "not a stream name",
        ),
        (
            "url = \"nats://n\"\nsubject_prefix = \"a..b\"",
            "nats.subject_prefix",
            "dot-separated",
        ),
        (
            "url = \"nats://n\"\npartitions = 0",
            "nats.partitions",
            "use 1 to 1024",
        ),
        (
            "url = \"nats://n\"\nmax_deliver = 0",
            "nats.max_deliver",
            "use 1 to 100",
        ),
        (
            "url = \"nats://n\"\nfetch_batch = 100000",
            "nats.fetch_batch",
            "use 1 to 10000",
        ),
        ("url = \"nats://n\"\nack_wait = 5", "nats.ack_wait", ""),
    ] {
        let e = load(&format!("[nats]\n{toml}\n"), &[]).unwrap_err();
        assert_eq!(e.key, key, "{toml}");
        assert!(e.to_string().contains(says), "{toml}: {e}");
    }
}

#[test]
fn roles_that_need_nats_or_postgresql_refuse_to_start_and_say_why() {
    use crate::cmd::roles::refuse;
    use crate::cmd::serve::Role;
    let sqlite = load("", &[]).unwrap();
    assert_eq!(
        refuse(
            &sqlite,
            &[Role::Web, Role::Publisher, Role::Source, Role::Worker]
        ),
        None
    );
    assert_eq!(refuse(&sqlite, &[Role::Web, Role::Publisher]), None);
    let alone = refuse(&sqlite, &[Role::Worker]).unwrap();
    assert!(
        alone.contains("the worker role alone needs [nats]"),
        "{alone}"
    );
    let alone = refuse(&sqlite, &[Role::Source]).unwrap();
    assert!(
        alone.contains("the source role alone needs [nats]"),
        "{alone}"
    );
    let nats_on_sqlite = load("[nats]\nurl = \"nats://n:4222\"\n", &[]).unwrap();
    let why = refuse(&nats_on_sqlite, &[Role::Worker]).unwrap();
    assert!(
        why.contains("set database_url to a postgres:// URL"),
        "{why}"
    );
    let scaled = load(
        "database_url = \"postgres://c:c@db/chorus\"\n[nats]\nurl = \"nats://n:4222\"\n",
        &[],
    )
    .unwrap();
    assert_eq!(refuse(&scaled, &[Role::Worker]), None);
    assert_eq!(refuse(&scaled, &[Role::Source]), None);
}
