//! A small HTTP/1.1 server on a loopback port, written out by hand so a test can answer
//! anything: redirects, lies about length, a body that trickles, no answer at all. It records
//! every request it reads, so a test can assert that nothing reached it.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chorus_outbound::{Builder, Client, Limits, Policy};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One request as the server read it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    /// The request target: a path, or an absolute URL when sent to a proxy.
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// How to answer.
#[derive(Debug, Clone)]
pub enum Reply {
    /// 200 with this body.
    Ok(&'static str),
    /// This status with this body.
    Status(u16, &'static str),
    /// A redirect with this status to this `Location`.
    Redirect(u16, String),
    /// 200 declaring `Content-Length: len`, then `len` bytes.
    Sized(usize),
    /// 200 without a length (until the connection closes): `len` bytes.
    Unsized(usize),
    /// 200 with a length of 1000, one byte every `every`.
    Trickle(Duration),
    /// Read the request, never answer.
    Silent,
}

type Handler = dyn Fn(&Seen) -> Reply + Send + Sync;

/// A server that answers with `handler` until the test ends.
pub struct Server {
    pub addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Server {
    pub async fn start(handler: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        let log = seen.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let handler = handler.clone();
                let log = log.clone();
                tokio::spawn(async move {
                    let _ = serve(stream, &*handler, &log).await;
                });
            }
        });
        Server { addr, seen }
    }

    /// A server that answers every request with `reply`.
    pub async fn always(reply: Reply) -> Server {
        Server::start(move |_| reply.clone()).await
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

async fn serve(
    mut stream: TcpStream,
    handler: &Handler,
    log: &Mutex<Vec<Seen>>,
) -> std::io::Result<()> {
    let Some(seen) = read_request(&mut stream).await? else {
        return Ok(());
    };
    let reply = handler(&seen);
    log.lock().unwrap().push(seen);
    let head = |status: &str, extra: &str| {
        format!("HTTP/1.1 {status}\r\nconnection: close\r\ncontent-type: text/plain\r\n{extra}\r\n")
    };
    match reply {
        Reply::Ok(body) => {
            let h = head("200 OK", &format!("content-length: {}\r\n", body.len()));
            stream.write_all(h.as_bytes()).await?;
            stream.write_all(body.as_bytes()).await?;
        }
        Reply::Status(status, body) => {
            let h = head(
                &format!("{status} Whatever"),
                &format!("content-length: {}\r\n", body.len()),
            );
            stream.write_all(h.as_bytes()).await?;
            stream.write_all(body.as_bytes()).await?;
        }
        Reply::Redirect(status, location) => {
            let h = head(
                &format!("{status} Redirect"),
                &format!("location: {location}\r\ncontent-length: 0\r\n"),
            );
            stream.write_all(h.as_bytes()).await?;
        }
        Reply::Sized(len) | Reply::Unsized(len) => {
            let extra = match reply {
                Reply::Sized(_) => format!("content-length: {len}\r\n"),
                _ => String::new(),
            };
            stream.write_all(head("200 OK", &extra).as_bytes()).await?;
            let block = vec![b'x'; 64 << 10];
            let mut left = len;
            while left > 0 {
                let n = left.min(block.len());
                stream.write_all(&block[..n]).await?;
                left -= n;
            }
        }
        Reply::Trickle(every) => {
            stream
                .write_all(head("200 OK", "content-length: 1000\r\n").as_bytes())
                .await?;
            for _ in 0..1000 {
                stream.write_all(b"x").await?;
                stream.flush().await?;
                tokio::time::sleep(every).await;
            }
        }
        Reply::Silent => tokio::time::sleep(Duration::from_secs(3600)).await,
    }
    stream.shutdown().await
}

/// Reads one request: its head, and a body of `content-length` bytes.
async fn read_request(stream: &mut TcpStream) -> std::io::Result<Option<Seen>> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1024];
    let end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let n = stream.read(&mut byte).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&byte[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next().unwrap_or_default().split(' ');
    let method = first.next().unwrap_or_default().to_owned();
    let target = first.next().unwrap_or_default().to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let len: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[end + 4..].to_vec();
    while body.len() < len {
        let n = stream.read(&mut byte).await?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&byte[..n]);
    }
    Ok(Some(Seen {
        method,
        target,
        headers,
        body,
    }))
}

/// Short limits, so refusals by time come quickly.
pub fn quick() -> Limits {
    Limits {
        connect_timeout: Duration::from_secs(2),
        timeout: Duration::from_secs(5),
        max_body_bytes: 64 << 10,
        max_redirects: 5,
    }
}

/// A production-strict client that may reach each `(name, server)` only by that name.
pub fn client(pins: &[(&str, &Server)]) -> Client {
    builder(Policy::public_only(), pins).build().unwrap()
}

pub fn builder(policy: Policy, pins: &[(&str, &Server)]) -> Builder {
    pins.iter()
        .fold(Builder::new(policy).limits(quick()), |b, (name, server)| {
            b.pin_for_tests(name, server.addr)
        })
}
