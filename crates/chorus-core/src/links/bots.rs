//! Which clicks are not people: a small, documented rule by user agent. It keeps the obvious
//! automatons out of the human count; a bot that pretends to be a browser is counted as a
//! person (nothing short of tracking tells them apart, and Chorus does not track).
//!
//! A user agent is a bot when it is missing or blank, or when, in lower case, it contains one
//! of [`MARKERS`]. The markers cover crawlers by their own names (`bot`, `crawl`, `spider`,
//! `slurp`), the link-preview fetchers of the networks and chat apps (Bluesky's `cardyb`,
//! `facebookexternalhit`, `twitterbot`, `slackbot`, `discordbot`, `whatsapp`, Mastodon's
//! `http.rb`, `embedly`, `iframely`, `skypeuripreview`), and HTTP libraries and command-line
//! tools that no person browses with (`curl/`, `wget/`, `python-requests`, …). One exception:
//! the phone maker CUBOT's name contains `bot` and appears in its phones' browsers.

/// Lower-case fragments that mark a user agent as a bot.
pub const MARKERS: &[&str] = &[
    // Crawlers and anything calling itself a bot (Googlebot, bingbot, Twitterbot, Slackbot,
    // Discordbot, TelegramBot, LinkedInBot, Applebot, GPTBot, ClaudeBot, …).
    "bot",
    "crawl",
    "spider",
    "slurp",
    // Link-preview fetchers of networks and messengers.
    "cardyb",
    "facebookexternalhit",
    "facebookcatalog",
    "meta-externalagent",
    "whatsapp",
    "skypeuripreview",
    "embedly",
    "iframely",
    "http.rb",
    "preview",
    // HTTP libraries and tools.
    "curl/",
    "wget/",
    "python-requests",
    "python-urllib",
    "python-httpx",
    "aiohttp",
    "go-http-client",
    "java/",
    "okhttp",
    "libwww-perl",
    "node-fetch",
    "axios/",
    "undici",
    "reqwest",
    "scrapy",
    "headlesschrome",
    "lighthouse",
];

/// Whether a click with this user agent is a bot's (see the module's rule).
pub fn is_bot(user_agent: Option<&str>) -> bool {
    let Some(ua) = user_agent.map(str::trim).filter(|ua| !ua.is_empty()) else {
        return true;
    };
    let ua = ua.to_ascii_lowercase().replace("cubot", "");
    MARKERS.iter().any(|m| ua.contains(m))
}
