//! The sender: after commit, it takes the emails that are due from the
//! outbox, checks each again against who may see what, sends it, and marks
//! it sent; a failure is retried after a doubling wait, and given up as
//! dead after `mail.max_attempts`. It keeps nothing in memory that the
//! outbox does not hold, so a restart (or a SIGKILL) loses nothing: an email
//! whose sending was cut off is sent again, with the same `Message-ID`.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use super::{Mailer, compose};
use crate::{config::MailConfig, store::Store};

/// How often the outbox is looked at when nothing was due.
const IDLE: Duration = Duration::from_millis(500);
/// Emails taken from the outbox at a time.
const BATCH: u32 = 20;

/// What the sender has seen of the SMTP server, for `/healthz` and metrics.
#[derive(Default)]
pub struct MailHealth {
    /// The last failure's text, cleared by the next success.
    last_error: Mutex<Option<String>>,
    pub sent: AtomicU64,
    pub failed: AtomicU64,
    pub dead: AtomicU64,
}

impl MailHealth {
    pub fn last_error(&self) -> Option<String> {
        self.last_error.lock().ok().and_then(|e| e.clone())
    }

    pub fn set_error(&self, error: Option<String>) {
        if let Ok(mut slot) = self.last_error.lock() {
            *slot = error;
        }
    }
}

/// Runs for the life of the process: drains what is due, then waits a
/// little. Stopping mid-batch loses nothing (see the module's comment).
pub async fn run(store: Store, mailer: Arc<Mailer>, cfg: MailConfig, health: Arc<MailHealth>) {
    loop {
        let busy = match drain(&store, &mailer, &cfg, &health).await {
            Ok(sent) => sent > 0,
            Err(e) => {
                tracing::warn!(error = %e, "the mail outbox cannot be read");
                false
            }
        };
        if busy {
            continue;
        }
        tokio::time::sleep(IDLE).await;
    }
}

/// Sends one batch of due emails, all at once over the connection pool
/// (an SMTP conversation waits on round trips, so one at a time would cap
/// the rate at a few dozen a second); answers how many were taken.
async fn drain(store: &Store, mailer: &Arc<Mailer>, cfg: &MailConfig, health: &MailHealth) -> anyhow::Result<usize> {
    let due = store.due_mail(BATCH).await?;
    let taken = due.len();
    let mut sending = tokio::task::JoinSet::new();
    for d in due {
        let mailer = mailer.clone();
        sending.spawn(async move {
            let outcome = match compose(&mailer, &d) {
                Ok(message) => mailer.send(message).await,
                Err(e) => Err(e),
            };
            (d.row.id, d.row.attempts, outcome)
        });
    }
    let mut sent = Vec::with_capacity(taken);
    while let Some(done) = sending.join_next().await {
        let Ok((id, attempts, outcome)) = done else { continue };
        match outcome {
            Ok(answer) => {
                sent.push(id);
                health.sent.fetch_add(1, Ordering::Relaxed);
                health.set_error(None);
                tracing::debug!(outbox_id = id, answer = %answer, "email sent");
            }
            Err(e) => {
                let error = e.to_string();
                let dead =
                    store.mail_failed(id, attempts, error.clone(), cfg.max_attempts, cfg.retry_max_delay_secs).await?;
                health.failed.fetch_add(1, Ordering::Relaxed);
                if dead {
                    health.dead.fetch_add(1, Ordering::Relaxed);
                    tracing::error!(outbox_id = id, error = %error, "an email is given up after its last attempt");
                } else {
                    tracing::warn!(outbox_id = id, error = %error, "an email could not be sent; it will be tried again");
                }
                health.set_error(Some(error));
            }
        }
    }
    // A crash before this line sends the batch's emails again after the
    // restart, with the same Message-IDs.
    store.mail_sent(sent).await?;
    Ok(taken)
}
