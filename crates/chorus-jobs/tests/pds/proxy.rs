//! An HTTP proxy in front of the PDS that fails requests on cue. Armed with faults for an XRPC
//! method, the next requests for it answer 500 — without reaching the PDS ([`Fault::Refuse`])
//! or after the PDS has done the work ([`Fault::Lose`], a server error with the effect made).
//! Everything else passes through untouched. Every request is logged with its time and the
//! status the client saw. One request per connection (`Connection: close`).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Answer 500 without forwarding.
    Refuse,
    /// Forward, let the PDS do it, then answer 500 instead of its answer.
    Lose,
    /// Answer 429 (rate limited) with `Retry-After: 1`, without forwarding.
    RateLimit,
}

/// A request as the client saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub nsid: String,
    pub at: Instant,
    pub status: u16,
    /// The request's body, as the client sent it.
    pub body: Vec<u8>,
}

#[derive(Default)]
struct State {
    faults: HashMap<String, VecDeque<Fault>>,
    log: Vec<Seen>,
}

pub struct Proxy {
    pub url: String,
    state: Arc<Mutex<State>>,
}

impl Proxy {
    pub async fn start(upstream: &str) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let state: Arc<Mutex<State>> = Arc::default();
        let upstream = upstream.trim_end_matches('/').to_owned();
        let http = crate::peer::http();
        let s = state.clone();
        tokio::spawn(async move {
            while let Ok((conn, _)) = listener.accept().await {
                tokio::spawn(serve(conn, upstream.clone(), http.clone(), s.clone()));
            }
        });
        Proxy {
            // "localhost", the host name the PDS uses for itself
            url: format!("http://localhost:{port}"),
            state,
        }
    }

    /// The next requests for `nsid` fail as listed, in order.
    pub fn arm(&self, nsid: &str, faults: &[Fault]) {
        let mut s = self.state.lock().unwrap();
        s.faults
            .entry(nsid.to_owned())
            .or_default()
            .extend(faults.iter().copied());
    }

    /// Every request for `nsid` so far.
    pub fn seen(&self, nsid: &str) -> Vec<Seen> {
        let s = self.state.lock().unwrap();
        s.log.iter().filter(|r| r.nsid == nsid).cloned().collect()
    }

    pub fn forget(&self) {
        self.state.lock().unwrap().log.clear();
    }
}

async fn serve(
    mut conn: TcpStream,
    upstream: String,
    http: chorus_outbound::Client,
    state: Arc<Mutex<State>>,
) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match conn.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next().unwrap_or("").split(' ');
    let (method, target) = (
        request_line.next().unwrap_or("GET").to_owned(),
        request_line.next().unwrap_or("/").to_owned(),
    );
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + length {
        match conn.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let body = buf[head_end..head_end + length].to_vec();
    let nsid = target
        .strip_prefix("/xrpc/")
        .unwrap_or(&target)
        .split('?')
        .next()
        .unwrap_or("")
        .to_owned();
    let at = Instant::now();
    let fault = state
        .lock()
        .unwrap()
        .faults
        .get_mut(&nsid)
        .and_then(VecDeque::pop_front);
    let (status, content_type, answer) = if fault == Some(Fault::Refuse) {
        server_error()
    } else if fault == Some(Fault::RateLimit) {
        let body = br#"{"error":"RateLimitExceeded","message":"Rate Limit Exceeded"}"#;
        (429, "application/json".into(), body.to_vec())
    } else {
        let method = chorus_outbound::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = http.request(method, &format!("{upstream}{target}"));
        for (k, v) in &headers {
            if !matches!(
                k.as_str(),
                "host" | "connection" | "content-length" | "accept-encoding" | "keep-alive"
            ) {
                req = req.header(k.as_str(), v.as_str());
            }
        }
        let resp = req.body(body.clone()).send().await.unwrap();
        let status = resp.status().as_u16();
        let content_type = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("application/json")
            .to_owned();
        let bytes = resp.bytes().await.unwrap();
        if fault == Some(Fault::Lose) {
            server_error()
        } else {
            (status, content_type, bytes)
        }
    };
    state.lock().unwrap().log.push(Seen {
        nsid,
        at,
        status,
        body,
    });
    let retry = if status == 429 {
        "retry-after: 1\r\n"
    } else {
        ""
    };
    let mut out = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n{retry}connection: close\r\n\r\n",
        answer.len()
    )
    .into_bytes();
    out.extend_from_slice(&answer);
    let _ = conn.write_all(&out).await;
    let _ = conn.shutdown().await;
}

fn server_error() -> (u16, String, Vec<u8>) {
    let body = br#"{"error":"InternalServerError","message":"Internal Server Error"}"#;
    (500, "application/json".into(), body.to_vec())
}
