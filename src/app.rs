//! The application state every handler shares.

use std::sync::Arc;

use crate::{
    auth::{Hasher, TokenKeys, token::load_secret},
    config::Config,
    domain::{FieldError, Subject},
    limits::{LoginLimiter, WriteLimiter},
    mail::{Mailer, sender::MailHealth},
    metrics::Metrics,
    service::notify::MailPolicy,
    store::Store,
};

/// What every request handler shares, behind one `Arc`: a request clones
/// the state a few times (once per extractor), and one reference count is
/// cheaper than one per part.
#[derive(Clone)]
pub struct AppState(Arc<App>);

/// The parts of [`AppState`].
pub struct App {
    pub store: Store,
    pub config: Arc<Config>,
    pub keys: Arc<TokenKeys>,
    pub hasher: Hasher,
    pub limiter: Arc<LoginLimiter>,
    pub writes: Arc<WriteLimiter>,
    pub metrics: Arc<Metrics>,
    /// The SMTP server, when mail is on and its configuration could be used.
    pub mailer: Option<Arc<Mailer>>,
    /// What the sender has seen of the SMTP server.
    pub mail_health: Arc<MailHealth>,
    /// Signs and checks unsubscribe links (also when mail is off, so old
    /// links keep working).
    pub unsubscribe: Arc<crate::mail::unsubscribe::Signer>,
}

impl std::ops::Deref for AppState {
    type Target = App;

    fn deref(&self) -> &App {
        &self.0
    }
}

impl AppState {
    /// Opens the storage (migrating it) and builds everything from `config`.
    pub fn open(config: Config) -> anyhow::Result<Self> {
        let store = Store::open(&config.database)
            .map_err(|e| anyhow::anyhow!("cannot open the database {}: {e}", config.database.location()))?;
        Self::with_store(config, store)
    }

    pub fn with_store(config: Config, store: Store) -> anyhow::Result<Self> {
        let secret = load_secret(&config.auth.secret, &config.auth.secret_file, &config.generated_secret_path())?;
        let keys = TokenKeys::new(&secret, config.auth.token_ttl_minutes);
        let hasher = Hasher::new(&config.auth.password)?;
        let limiter = LoginLimiter::new(&config.auth.rate_limit);
        let writes = WriteLimiter::new(&config.limits);
        let mail_health = Arc::new(MailHealth::default());
        let mailer = if config.mail.enabled {
            match Mailer::new(&config, &secret) {
                Ok(mailer) => Some(Arc::new(mailer)),
                Err(e) => {
                    tracing::warn!(error = %e, "mail is enabled but cannot be used; emails wait in the outbox");
                    mail_health.set_error(Some(e.to_string()));
                    None
                }
            }
        } else {
            None
        };
        // With mail on, events write their emails even while the server
        // cannot be reached: they wait in the outbox.
        let policy = config.mail.enabled.then(|| MailPolicy {
            coalesce_micros: i64::try_from(config.mail.coalesce_secs).unwrap_or(0).saturating_mul(1_000_000),
        });
        let store = store.with_mail(policy);
        let unsubscribe = Arc::new(crate::mail::unsubscribe::Signer::new(&secret));
        Ok(AppState(Arc::new(App {
            mailer,
            mail_health,
            unsubscribe,
            store,
            config: Arc::new(config),
            keys: Arc::new(keys),
            hasher,
            limiter: Arc::new(limiter),
            writes: Arc::new(writes),
            metrics: Arc::new(Metrics::default()),
        })))
    }

    /// Checks a subject (and sub-subject) against the catalogue. With an
    /// empty catalogue any well-formed subject is accepted.
    pub fn check_subject(&self, subject: &Subject, sub_subject: Option<&Subject>) -> Result<(), FieldError> {
        let catalogue = &self.config.subjects;
        if catalogue.is_empty() {
            return Ok(());
        }
        let Some(entry) = catalogue.iter().find(|e| e.name == subject.as_str()) else {
            let names: Vec<&str> = catalogue.iter().map(|e| e.name.as_str()).collect();
            return Err(FieldError::new("subject", "unknown_subject", format!("must be one of {}", names.join(", "))));
        };
        if let Some(sub) = sub_subject
            && !entry.sub_subjects.is_empty()
            && !entry.sub_subjects.iter().any(|s| s == sub.as_str())
        {
            return Err(FieldError::new(
                "sub_subject",
                "unknown_sub_subject",
                format!("must be one of {} for {}", entry.sub_subjects.join(", "), entry.name),
            ));
        }
        Ok(())
    }
}
