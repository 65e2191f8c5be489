//! SMTP connections for [`crate::mail::Mailer`]: a small pool of open connections, and one
//! message sent over one of them in steps, so the caller can record that the whole message is
//! in the operating system's hands before the server has answered.
//!
//! Why: a sender killed after the server has the message's final `.` but before it has
//! recorded the server's `250` sends the message again when it restarts — a duplicate — and
//! under load that window is the server's whole processing time. So the caller's note runs the
//! moment the socket has taken the `.` (on a plain connection, [`Watched`] runs it inside the
//! write that took it), or else right after the body and `.` were written, if none of the
//! writes had to wait, before the reply is read. A message so marked is presumed
//! delivered after a crash: the kernel sends what a killed process wrote. Killed before the
//! mark, the message is sent again: the window for a duplicate shrinks to the time between
//! the write and the mark's commit. A body the socket could not take at once (a large
//! attachment), or a connection with implicit TLS (lettre owns that socket), is not marked:
//! sent again after a crash, as before. Nothing is ever presumed sent that was not written.
//!
//! Why a pool: a connection's greeting, EHLO (and TLS and AUTH) cost more than a message; a
//! local maildev answers about 10 new connections a second but 500 messages a second over one.
//! Built on lettre's connection ([`AsyncSmtpConnection`]): its `send` does MAIL, RCPT, DATA and
//! the body in one call, which leaves no room for the mark.

use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, DEFAULT_MECHANISMS};
use lettre::transport::smtp::client::{AsyncSmtpConnection, AsyncTokioStream, Tls};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
use lettre::transport::smtp::extension::{ClientId, Extension, MailBodyParameter, MailParameter};

use crate::mail::SendError;

/// Connections kept open at most (the worker runs four jobs at a time).
pub const POOL_SIZE: usize = 8;

/// A connection unused this long is closed rather than reused: servers drop idle clients
/// (Postfix after 300 s), and a connection they dropped costs a failed NOOP to find out.
const IDLE: Duration = Duration::from_secs(60);

/// A note a sender makes once a message is written in full (see the module's contract).
pub type Note = Box<dyn FnOnce() + Send>;

/// An open connection and, when Chorus owns its socket, what [`Watched`] shares with it.
struct Open {
    conn: AsyncSmtpConnection,
    watch: Option<Arc<Watch>>,
}

/// Between a connection's socket and its sender: whether a write had to wait, and the note to
/// make when the final `.` is written.
#[derive(Default)]
struct Watch {
    waited: AtomicBool,
    armed: Mutex<Option<Note>>,
}

impl Watch {
    fn arm(&self, note: Option<Note>) {
        self.waited.store(false, Ordering::SeqCst);
        if let Ok(mut armed) = self.armed.lock() {
            *armed = note;
        }
    }

    fn take(&self) -> Option<Note> {
        self.armed.lock().ok().and_then(|mut armed| armed.take())
    }
}

/// Where and how to connect, and the open connections not in use.
pub struct Connections {
    host: String,
    port: u16,
    timeout: Duration,
    hello: ClientId,
    tls: Tls,
    credentials: Option<Credentials>,
    idle: Mutex<Vec<(Open, Instant)>>,
}

impl std::fmt::Debug for Connections {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connections")
            .field("host", &self.host)
            .field("port", &self.port)
            .finish()
    }
}

impl Connections {
    pub fn new(
        host: String,
        port: u16,
        timeout: Duration,
        hello: ClientId,
        tls: Tls,
        credentials: Option<Credentials>,
    ) -> Self {
        Connections {
            host,
            port,
            timeout,
            hello,
            tls,
            credentials,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Sends `message` (formatted) to `envelope`'s recipients: MAIL, RCPT, DATA, the body and
    /// its `.` — `note` made as soon as all of it is known to be out (see the module's
    /// contract; never on a connection with implicit TLS) —, then the reply. A connection that
    /// worked goes back to the pool; one that failed is closed.
    pub async fn send(
        &self,
        envelope: &Envelope,
        message: &[u8],
        note: Option<Note>,
    ) -> Result<(), SendError> {
        let Open { mut conn, watch } = self.take().await?;
        let options = match mail_options(&conn, envelope, message) {
            Ok(options) => options,
            Err(e) => {
                self.put(Open { conn, watch });
                return Err(e);
            }
        };
        let steps = async {
            conn.command(Mail::new(envelope.from().cloned(), options))
                .await?;
            for to in envelope.to() {
                conn.command(Rcpt::new(to.clone(), vec![])).await?;
            }
            conn.command(Data).await?;
            Ok::<_, lettre::transport::smtp::Error>(())
        };
        if let Err(e) = steps.await {
            conn.abort().await;
            return Err(SendError::from(&e));
        }
        if let Some(watch) = &watch {
            watch.arm(note);
        }
        let reply = {
            let mut reply = pin!(conn.message(message));
            // The first poll writes the body and its `.` (and flushes) before it waits for the
            // reply. If the socket did not make the note as it took the `.` (TLS, a split
            // write), it is made now — unless a write had to wait, when some of the message may
            // still sit in a buffer above the socket.
            let first = std::future::poll_fn(|cx| Poll::Ready(reply.as_mut().poll(cx))).await;
            if let Some(watch) = &watch
                && let Some(note) = watch.take()
                && first.is_pending()
                && !watch.waited.load(Ordering::SeqCst)
            {
                note();
            }
            match first {
                Poll::Ready(reply) => reply,
                Poll::Pending => reply.await,
            }
        };
        match reply {
            Ok(_) => {
                self.put(Open { conn, watch });
                Ok(())
            }
            Err(e) => {
                conn.abort().await;
                Err(SendError::from(&e))
            }
        }
    }

    /// An open connection: an idle one that still answers NOOP, else a new one.
    async fn take(&self) -> Result<Open, SendError> {
        loop {
            let next = self.idle.lock().ok().and_then(|mut idle| idle.pop());
            let Some((mut open, since)) = next else { break };
            if since.elapsed() < IDLE && open.conn.test_connected().await {
                return Ok(open);
            }
            open.conn.abort().await;
        }
        self.connect().await
    }

    fn put(&self, open: Open) {
        if open.conn.has_broken() {
            return;
        }
        if let Ok(mut idle) = self.idle.lock()
            && idle.len() < POOL_SIZE
        {
            idle.push((open, Instant::now()));
        }
    }

    async fn connect(&self) -> Result<Open, SendError> {
        let lettre = |e: lettre::transport::smtp::Error| SendError::from(&e);
        // A socket that cannot connect is a connection error: it may pass.
        let socket = |e: std::io::Error| SendError {
            transient: true,
            message: format!("SMTP: connecting to {}:{}: {e}", self.host, self.port),
        };
        let mut watch = None;
        let mut conn = match &self.tls {
            // lettre wraps the socket in TLS before the greeting itself.
            Tls::Wrapper(params) => AsyncSmtpConnection::connect_tokio1(
                (self.host.as_str(), self.port),
                Some(self.timeout),
                &self.hello,
                Some(params.clone()),
                None,
            )
            .await
            .map_err(lettre)?,
            _ => {
                let address = (self.host.as_str(), self.port);
                let tcp =
                    tokio::time::timeout(self.timeout, tokio::net::TcpStream::connect(address))
                        .await
                        .map_err(|_| socket(std::io::ErrorKind::TimedOut.into()))?
                        .map_err(socket)?;
                // lettre writes a body and its final `.` in two writes; with Nagle's algorithm
                // the `.` waits for the body's ACK, which the server delays (40 ms on Linux)
                // because it answers only after the `.`: 40 ms a message.
                tcp.set_nodelay(true).map_err(socket)?;
                let shared = Arc::new(Watch::default());
                watch = Some(shared.clone());
                let watched = Watched { tcp, watch: shared };
                AsyncSmtpConnection::connect_with_transport(Box::new(watched), &self.hello)
                    .await
                    .map_err(lettre)?
            }
        };
        if let Tls::Required(params) = &self.tls {
            conn.starttls(params.clone(), &self.hello)
                .await
                .map_err(lettre)?;
        }
        if let Some(credentials) = &self.credentials {
            conn.auth(DEFAULT_MECHANISMS, credentials)
                .await
                .map_err(lettre)?;
        }
        Ok(Open { conn, watch })
    }
}

/// How lettre ends a message's body: its own write, after the body's.
const FINAL_DOT: &[u8] = b"\r\n.\r\n";

/// The socket under a connection. It notes whether a write or flush had to wait (returned
/// `Pending`: then bytes written before may still sit in a buffer above the kernel, TLS's), and
/// on a plain connection makes the armed note inside the write that took the final `.`, so
/// nothing runs between the two.
struct Watched {
    tcp: tokio::net::TcpStream,
    watch: Arc<Watch>,
}

impl std::fmt::Debug for Watched {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watched").field("tcp", &self.tcp).finish()
    }
}

impl Watched {
    fn note<T>(&self, poll: Poll<T>) -> Poll<T> {
        if poll.is_pending() {
            self.watch.waited.store(true, Ordering::SeqCst);
        }
        poll
    }
}

impl tokio::io::AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.tcp).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let poll = Pin::new(&mut self.tcp).poll_write(cx, buf);
        if buf == FINAL_DOT
            && matches!(poll, Poll::Ready(Ok(n)) if n == buf.len())
            && let Some(note) = self.watch.take()
        {
            // The kernel has the whole message: a process killed from here on leaves it to be
            // sent, so it must not be sent again.
            note();
        }
        self.note(poll)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let poll = Pin::new(&mut self.tcp).poll_flush(cx);
        self.note(poll)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.tcp).poll_shutdown(cx)
    }
}

impl AsyncTokioStream for Watched {
    fn peer_addr(&self) -> std::io::Result<std::net::SocketAddr> {
        self.tcp.peer_addr()
    }
}

/// MAIL's parameters, as lettre's own `send` picks them: SMTPUTF8 for addresses beyond ASCII
/// and 8BITMIME for a body beyond ASCII, each only if the server supports it.
fn mail_options(
    conn: &AsyncSmtpConnection,
    envelope: &Envelope,
    message: &[u8],
) -> Result<Vec<MailParameter>, SendError> {
    let refuse = |why: &str| SendError {
        transient: false,
        message: format!("SMTP: {why}"),
    };
    let mut options = Vec::new();
    let ascii = |a: &lettre::Address| AsRef::<str>::as_ref(a).is_ascii();
    if !(envelope.from().is_none_or(ascii) && envelope.to().iter().all(ascii)) {
        if !conn.server_info().supports_feature(Extension::SmtpUtfEight) {
            return Err(refuse(
                "an address is not ASCII and the server does not support SMTPUTF8",
            ));
        }
        options.push(MailParameter::SmtpUtfEight);
    }
    if !message.is_ascii() {
        if !conn.server_info().supports_feature(Extension::EightBitMime) {
            return Err(refuse(
                "the message is not ASCII and the server does not support 8BITMIME",
            ));
        }
        options.push(MailParameter::Body(MailBodyParameter::EightBitMime));
    }
    Ok(options)
}
