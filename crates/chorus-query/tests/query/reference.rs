//! A deliberately simple reference evaluator: one query at a time, straight from the AST, by
//! brute force over token positions. No indexes, no anchors, no shortcuts.

use chorus_query::text::{TokenKind, Tokens};
use chorus_query::{Field, Node, Post, Word, WordKind};

/// Does `w` match the token at position `i`?
fn word_at(w: &Word, t: &Tokens, i: usize) -> bool {
    let kind_ok = match w.kind {
        WordKind::Any => true,
        WordKind::Hashtag => t.kind(i) == TokenKind::Hashtag,
        WordKind::Mention => t.kind(i) == TokenKind::Mention,
    };
    if !kind_ok {
        return false;
    }
    let tok = if w.exact_accents {
        t.exact(i)
    } else {
        t.folded(i)
    };
    if w.wildcard {
        let p: Vec<char> = w.text.chars().collect();
        let s: Vec<char> = tok.chars().collect();
        return glob(&p, &s);
    }
    tok == w.text
}

fn glob(p: &[char], s: &[char]) -> bool {
    match p.split_first() {
        None => s.is_empty(),
        Some(('*', rest)) => (0..=s.len()).any(|k| glob(rest, &s[k..])),
        Some(('?', rest)) => !s.is_empty() && glob(rest, &s[1..]),
        Some((c, rest)) => s.first() == Some(c) && glob(rest, &s[1..]),
    }
}

/// All `(start, end)` spans where the phrase `ws` occurs.
fn spans(ws: &[Word], t: &Tokens) -> Vec<(usize, usize)> {
    (0..t.len())
        .filter(|&s| {
            s + ws.len() <= t.len() && ws.iter().enumerate().all(|(k, w)| word_at(w, t, s + k))
        })
        .map(|s| (s, s + ws.len()))
        .collect()
}

/// Lucene sloppy phrase by enumeration of every injective position assignment.
fn sloppy(ws: &[Word], slop: u32, t: &Tokens) -> bool {
    fn go(ws: &[Word], i: usize, used: &mut Vec<usize>, slop: i64, t: &Tokens) -> bool {
        if i == ws.len() {
            let adj: Vec<i64> = used
                .iter()
                .enumerate()
                .map(|(k, &p)| p as i64 - k as i64)
                .collect();
            let (lo, hi) = (
                adj.iter().min().copied().unwrap_or(0),
                adj.iter().max().copied().unwrap_or(0),
            );
            return hi - lo <= slop;
        }
        for p in 0..t.len() {
            if !used.contains(&p) && word_at(&ws[i], t, p) {
                used.push(p);
                if go(ws, i + 1, used, slop, t) {
                    return true;
                }
                used.pop();
            }
        }
        false
    }
    go(ws, 0, &mut Vec::new(), i64::from(slop), t)
}

fn field(post: &Post<'_>, f: Field, v: &str) -> bool {
    let low = |s: &str| s.chars().flat_map(char::to_lowercase).collect::<String>();
    match f {
        Field::Lang => post.lang.is_some_and(|l| {
            let l = l.to_ascii_lowercase();
            l == v || l.starts_with(&format!("{v}-"))
        }),
        Field::Country => post.country.is_some_and(|c| c.to_ascii_uppercase() == v),
        Field::Network => post.network.is_some_and(|n| n.to_ascii_lowercase() == v),
        Field::Author => post
            .author
            .is_some_and(|a| low(a.strip_prefix('@').unwrap_or(a)) == v),
        Field::Site => post.domains.iter().any(|d| {
            let d = low(d.trim_end_matches('.'));
            d == v || d.ends_with(&format!(".{v}"))
        }),
    }
}

/// Evaluate `n` on a post whose text was tokenized into `t`.
pub fn eval(n: &Node, post: &Post<'_>, t: &Tokens) -> bool {
    match n {
        Node::And(xs) => xs.iter().all(|x| eval(x, post, t)),
        Node::Or(xs) => xs.iter().any(|x| eval(x, post, t)),
        Node::Not(x) => !eval(x, post, t),
        Node::Phrase(ws) => !spans(ws, t).is_empty(),
        Node::Sloppy { words, slop } => sloppy(words, *slop, t),
        Node::Near {
            left,
            right,
            gap,
            ordered,
        } => {
            let l: Vec<_> = left.iter().flat_map(|a| spans(a, t)).collect();
            let r: Vec<_> = right.iter().flat_map(|a| spans(a, t)).collect();
            let gap = *gap as usize;
            l.iter().any(|&(a0, a1)| {
                r.iter().any(|&(b0, b1)| {
                    (a1 <= b0 && b0 - a1 <= gap) || (!*ordered && b1 <= a0 && a0 - b1 <= gap)
                })
            })
        }
        Node::Field { field: f, value } => field(post, *f, value),
        Node::Raw(s) => post.text.contains(s.as_str()),
    }
}
