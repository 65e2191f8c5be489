//! The hand-over journal: a file of its own where `send_mail` notes, with one `write(2)`, that
//! a message was written in full to the SMTP server (`+id`) and, once the server answered,
//! that the answer came (`-id`).
//!
//! Why a file and not the outbox: the note must be durable between the message's last byte and
//! the moment the sender could die, and a database commit there was milliseconds (a write lock
//! to wait for, a thread to wake): a sender killed in them sent the message again. An append is
//! microseconds, and a killed process's writes stay in the kernel. A machine that loses power
//! loses the note, and the socket's unsent bytes with it.
//!
//! When a sender starts ([`Journal::replay`]), every message whose last note is `+` was left
//! waiting for its answer by a sender that died: the outbox marks it handed over
//! (`Store::mail_handed_over`), and `send_mail` records it as sent, presumed delivered, instead
//! of sending it again. Then the file starts over.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chorus_store::{Store, StoreError};

/// The journal file of one sender (a data directory's `mail-handed-over.log`).
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    file: Mutex<Option<File>>,
}

impl Journal {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Journal {
            path: path.into(),
            file: Mutex::new(None),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Notes that message `id` was written in full and its answer is awaited.
    pub fn handed_over(&self, id: i64) {
        self.append(&format!("+{id}\n"));
    }

    /// Notes that message `id`'s answer came (accepted or not): nothing to presume.
    pub fn answered(&self, id: i64) {
        self.append(&format!("-{id}\n"));
    }

    /// One `write(2)` of a line. A journal that cannot be written costs only its promise (a
    /// message is sent again after a crash), so the error is logged, not returned.
    fn append(&self, line: &str) {
        let Ok(mut file) = self.file.lock() else {
            return;
        };
        if file.is_none() {
            match OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.path)
            {
                Ok(f) => *file = Some(f),
                Err(e) => {
                    tracing::warn!(path = %self.path.display(), error = %e, "the mail hand-over journal cannot be opened");
                    return;
                }
            }
        }
        if let Some(f) = file.as_mut()
            && let Err(e) = f.write_all(line.as_bytes())
        {
            tracing::warn!(path = %self.path.display(), error = %e, "the mail hand-over journal cannot be written");
        }
    }

    /// Marks in the outbox every message a dead sender left awaiting its answer, then empties
    /// the file. Returns how many were marked.
    pub async fn replay(&self, store: &Store) -> Result<usize, StoreError> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => {
                tracing::warn!(path = %self.path.display(), error = %e, "the mail hand-over journal cannot be read");
                return Ok(0);
            }
        };
        let mut marked = 0;
        for id in awaiting(&text) {
            if store.mail_handed_over(id).await? {
                marked += 1;
            }
        }
        if let Ok(mut file) = self.file.lock() {
            *file = None;
            if let Err(e) = File::create(&self.path) {
                tracing::warn!(path = %self.path.display(), error = %e, "the mail hand-over journal cannot be emptied");
            }
        }
        Ok(marked)
    }
}

/// The messages whose last note in `text` is `+` (a torn last line is ignored: its write did
/// not finish, so the message was not yet noted).
fn awaiting(text: &str) -> Vec<i64> {
    let mut last: BTreeMap<i64, bool> = BTreeMap::new();
    for line in text.split_inclusive('\n') {
        let Some(line) = line.strip_suffix('\n') else {
            continue;
        };
        let (waiting, id) = match line.split_at_checked(1) {
            Some(("+", id)) => (true, id),
            Some(("-", id)) => (false, id),
            _ => continue,
        };
        if let Ok(id) = id.parse::<i64>() {
            last.insert(id, waiting);
        }
    }
    last.into_iter()
        .filter(|(_, w)| *w)
        .map(|(id, _)| id)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_note_of_each_message_counts_and_a_torn_line_does_not() {
        let text = "+1\n+2\n-1\n+3\n-3\n+3\n+4\n-bad\n+5";
        assert_eq!(awaiting(text), vec![2, 3, 4]);
        assert!(awaiting("").is_empty());
    }
}
