//! Table tests on real posts from `shared/data/social_corpus/ira_tweets/tweets_sample.csv.gz`:
//! queries in English, Spanish, Arabic, Russian and Japanese, each checked against every
//! selected post (the set of posts it matches must be exactly the expected one).

use std::collections::BTreeSet;
use std::io::BufReader;

use chorus_query::{Matcher, Post, Scratch};

use super::support::{shared_dir, skip};

/// (label, author_id, publish_date, start of the content) — picks one real row.
const ROWS: &[(&str, &str, &str, &str)] = &[
    (
        "E1",
        "LyndaWKing",
        "2016-12-05 14:46:00",
        "Funny asf but i cant",
    ),
    (
        "E2",
        "alanisstrs",
        "2017-08-12 05:56:00",
        "RT RealKyleMorris: \"Trump",
    ),
    ("E3", "queenofthewo", "2015-09-20 14:31:00", "I am in game!"),
    (
        "S1",
        "CannonSher",
        "2015-06-06 03:52:00",
        "Miguel Herrera (México)",
    ),
    (
        "S2",
        "dannythehappies",
        "2016-11-08 10:01:00",
        "#WriteAPanel 1. Hijos",
    ),
    (
        "A1",
        "MuhammadMusa23",
        "2015-10-15 07:43:00",
        "'@AlMayadeenNews",
    ),
    ("A2", "MidEastView", "2016-02-11 07:18:00", "علماء: العسل"),
    ("R1", "Neme_si", "2015-12-21 13:54:00", "Совет ЕС"),
    (
        "R2",
        "pozitiffchikka",
        "2015-08-18 15:06:00",
        "Россия и Украина",
    ),
    (
        "R3",
        "Fedor_Belovodov",
        "2015-09-06 21:17:00",
        "Украинские артисты",
    ),
    (
        "J1",
        "WatchMeWalkin",
        "2017-02-19 07:59:00",
        "米国軍事介入リスト",
    ),
    (
        "J2",
        "JohnieBoyCooks",
        "2016-01-07 19:44:00",
        "忘れられた戦争",
    ),
];

/// (query, labels of the rows it must match; every other row must not match).
const TABLE: &[(&str, &[&str])] = &[
    // English
    ("trump AND \"north korea\"", &["E2"]),
    ("#AllWentWrongWhen", &["E3"]),
    ("allwentwrongwhen", &["E3"]),
    ("@YaBoyColeJones", &["E1"]),
    ("yaboycolejones NEAR/2 bitches", &["E1"]),
    ("yaboycolejones NEAR/1 bitches", &[]),
    ("don't", &["E2"]),
    ("kenny ONEAR/2 killed", &["E3"]),
    ("killed ONEAR/2 kenny", &[]),
    ("killed NEAR/2 kenny", &["E3"]),
    ("game -kenny", &[]),
    ("\"korea situation\"~1 OR \"situation korea\"~1", &["E2"]),
    ("site:t.co lang:en -#AllWentWrongWhen", &["E2"]),
    ("site:t.co lang:en", &["E2", "E3"]),
    ("raw:\"NBA=\"", &["E1"]),
    ("raw:\"nba=\"", &[]),
    // Spanish
    ("méxico AND \"copa america\"", &["S1"]),
    ("=México", &["S1"]),
    ("=mexico", &[]),
    ("español", &["S2"]),
    ("=español", &[]),
    ("#noticias lang:es", &["S1"]),
    ("hijos NEAR/2 hillary", &["S2"]),
    ("escuel*", &["S2"]),
    // Arabic
    ("#داعش", &["A1"]),
    ("الارهاب", &["A1"]),
    ("@AlMayadeenNews", &["A1"]),
    ("العسل", &["A2"]),
    ("العَسَل", &["A2"]),
    ("\"العسل يقتل\"", &["A2"]),
    ("العسل -الجروح", &[]),
    ("الشعوب ONEAR/1 العربية", &["A1"]),
    // Russian
    ("санкции AND ЕС", &["R1"]),
    ("#ОдинНарод", &["R2"]),
    ("одиннарод", &["R2"]),
    ("украин*", &["R2", "R3"]),
    ("\"цирке никулина\"", &["R3"]),
    ("санкци* NEAR/2 рф", &["R1"]),
    ("санкци* NEAR/1 рф", &[]),
    ("lang:ru -украин*", &["R1"]),
    // Japanese (no spaces: a query word matches its characters in sequence)
    ("軍事介入", &["J1"]),
    ("イエメン", &["J2"]),
    ("#イエメン", &["J2"]),
    ("日本", &["J1"]),
    ("\"戦争犯罪\"", &["J2"]),
    ("東京", &[]),
    ("米国 AND 日本", &["J1"]),
    ("130回", &["J1"]),
    ("１３０回", &["J1"]),
    ("戦争 -イエメン", &[]),
    ("lang:ja 戦争", &["J2"]),
    // across languages
    ("lang:ar OR lang:ja", &["A1", "A2", "J1", "J2"]),
    ("author:neme_si OR author:@MidEastView", &["A2", "R1"]),
];

fn code(lang: &str) -> &'static str {
    match lang {
        "English" => "en",
        "Spanish" => "es",
        "Arabic" => "ar",
        "Russian" => "ru",
        "Japanese" => "ja",
        _ => "und",
    }
}

#[test]
fn multilingual_table_on_real_posts() {
    let path = shared_dir().join("data/social_corpus/ira_tweets/tweets_sample.csv.gz");
    let Ok(file) = std::fs::File::open(&path) else {
        return skip(&format!("corpus not found at {}", path.display()));
    };
    let mut rdr = csv::Reader::from_reader(BufReader::new(flate2::read::GzDecoder::new(file)));
    let headers = rdr.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (c_author, c_content, c_lang, c_date) = (
        col("author_id"),
        col("content"),
        col("language"),
        col("publish_date"),
    );
    let mut found: Vec<Option<(String, String, &'static str)>> = vec![None; ROWS.len()];
    for rec in rdr.records() {
        let rec = rec.unwrap();
        for (i, (_, author, date, start)) in ROWS.iter().enumerate() {
            if found[i].is_none()
                && &rec[c_author] == *author
                && &rec[c_date] == *date
                && rec[c_content].starts_with(start)
            {
                found[i] = Some((
                    rec[c_content].to_owned(),
                    rec[c_author].to_owned(),
                    code(&rec[c_lang]),
                ));
            }
        }
    }
    let rows: Vec<(String, String, &'static str)> = found
        .into_iter()
        .zip(ROWS)
        .map(|(f, r)| f.unwrap_or_else(|| panic!("row {} not in the corpus", r.0)))
        .collect();

    let mut m = Matcher::new();
    for (i, (q, _)) in TABLE.iter().enumerate() {
        if let Err(e) = m.add_str(i as u64, q) {
            panic!("{}", e.render(q));
        }
    }
    // per row: which queries matched
    let mut got: Vec<BTreeSet<&str>> = vec![BTreeSet::new(); TABLE.len()];
    let mut scratch = Scratch::new();
    for ((text, author, lang), (label, ..)) in rows.iter().zip(ROWS) {
        let domains: Vec<&str> = text
            .split_whitespace()
            .filter_map(|w| {
                w.split_once("://")
                    .map(|(_, rest)| rest.split('/').next().unwrap_or(""))
            })
            .collect();
        let post = Post {
            text,
            lang: Some(lang),
            country: None,
            network: Some("twitter"),
            author: Some(author),
            domains: &domains,
        };
        for &qi in m.matches(&post, &mut scratch) {
            got[qi as usize].insert(label);
        }
    }
    let mut bad = Vec::new();
    for ((q, want), got) in TABLE.iter().zip(&got) {
        let want: BTreeSet<&str> = want.iter().copied().collect();
        if &want != got {
            bad.push(format!("{q}: want {want:?}, got {got:?}"));
        }
    }
    assert!(bad.is_empty(), "mismatches:\n{}", bad.join("\n"));
}
