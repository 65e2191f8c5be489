//! A TCP proxy in front of the PDS that can lose a response: once armed with a path, the next
//! request for that path is forwarded to the server in full, and when the server's answer starts
//! coming back both connections are dropped, so the client never reads it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Mutex, watch};

pub struct Proxy {
    pub url: String,
    target: Arc<Mutex<Vec<String>>>,
    /// How many responses were cut.
    pub cuts: Arc<AtomicUsize>,
    /// Bumped to drop every open connection. A watch, not a `Notify`: a connection busy
    /// forwarding bytes at that moment still sees the change at its next turn (`notify_waiters`
    /// only wakes tasks already waiting, so a busy one kept its connection).
    kill: Arc<watch::Sender<u64>>,
}

impl Proxy {
    pub async fn start(upstream: &str) -> Proxy {
        let upstream = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let target: Arc<Mutex<Vec<String>>> = Arc::default();
        let cuts = Arc::new(AtomicUsize::new(0));
        let kill = Arc::new(watch::Sender::new(0u64));
        let (t, c, k) = (target.clone(), cuts.clone(), kill.clone());
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let server = match TcpStream::connect(&upstream).await {
                    Ok(s) => s,
                    Err(_) => continue,
                };
                tokio::spawn(pipe(client, server, t.clone(), c.clone(), k.subscribe()));
            }
        });
        Proxy {
            // "localhost" so the PDS sees the same host name as in its DID documents
            url: format!("http://localhost:{port}"),
            target,
            cuts,
            kill,
        }
    }

    /// Drops every open connection (new ones are accepted as before).
    pub fn drop_connections(&self) {
        self.kill.send_modify(|n| *n += 1);
    }

    /// Cut the response of the next request whose request line contains `path` (each call arms
    /// one cut).
    pub async fn cut_next(&self, path: &str) {
        self.target.lock().await.push(path.to_owned());
    }
}

async fn pipe(
    mut client: TcpStream,
    mut server: TcpStream,
    target: Arc<Mutex<Vec<String>>>,
    cuts: Arc<AtomicUsize>,
    mut kill: watch::Receiver<u64>,
) {
    let cut_pending = AtomicBool::new(false);
    let mut cbuf = vec![0u8; 64 * 1024];
    let mut sbuf = vec![0u8; 64 * 1024];
    loop {
        tokio::select! {
            _ = kill.changed() => return,
            n = client.read(&mut cbuf) => {
                let Ok(n) = n else { return };
                if n == 0 { return; }
                let chunk = &cbuf[..n];
                let head = String::from_utf8_lossy(&chunk[..n.min(200)]);
                let mut t = target.lock().await;
                let line = head.lines().next().unwrap_or("");
                let is_request = line.ends_with("HTTP/1.1") || line.ends_with("HTTP/1.0");
                if is_request && let Some(i) = t.iter().position(|p| line.contains(p.as_str())) {
                    t.remove(i);
                    cut_pending.store(true, Ordering::SeqCst);
                }
                drop(t);
                if server.write_all(chunk).await.is_err() { return; }
            }
            n = server.read(&mut sbuf) => {
                let Ok(n) = n else { return };
                if n == 0 { return; }
                if cut_pending.load(Ordering::SeqCst) {
                    // The server has processed the request and is answering: lose the answer.
                    cuts.fetch_add(1, Ordering::SeqCst);
                    return;
                }
                if client.write_all(&sbuf[..n]).await.is_err() { return; }
            }
        }
    }
}
