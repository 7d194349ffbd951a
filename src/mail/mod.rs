//! Sending email: the SMTP connection (lettre, rustls), what each email
//! says, signed unsubscribe links, and the sender that drains the outbox
//! after commit. The outbox rows are written by `crate::service::notify` in
//! the events' own transactions; this module only reads and marks them.

mod compose;
pub mod sender;
pub mod unsubscribe;

use std::time::Duration;

use anyhow::Context;
use lettre::{
    AsyncSmtpTransport, AsyncTransport, Tokio1Executor, message::Mailbox, transport::smtp::authentication::Credentials,
};

use crate::config::Config;

pub use compose::compose;

/// How long one SMTP conversation may take.
const SMTP_TIMEOUT: Duration = Duration::from_secs(15);

/// A configured SMTP server and what every email needs.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    pub from: Mailbox,
    /// The start of links in emails, without a trailing `/`.
    pub link_base: String,
    /// The domain of `Message-ID`s and thread ids.
    pub domain: String,
    pub unsubscribe: unsubscribe::Signer,
    /// The catalogue's labels, by subject name.
    labels: std::collections::HashMap<String, String>,
}

/// The SMTP password: the config's, else its file's first line.
fn password(config: &Config) -> anyhow::Result<Option<String>> {
    if !config.mail.password.is_empty() {
        return Ok(Some(config.mail.password.clone()));
    }
    if config.mail.password_file.is_empty() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(&config.mail.password_file)
        .with_context(|| format!("cannot read mail.password_file {}", config.mail.password_file))?;
    Ok(text.lines().next().map(str::to_string))
}

impl Mailer {
    /// The mailer of a configuration (`mail.url` and `mail.from` must be
    /// set); `secret` signs the unsubscribe links. Nothing is sent here.
    pub fn new(config: &Config, secret: &[u8]) -> anyhow::Result<Mailer> {
        let from: Mailbox =
            config.mail.from.parse().with_context(|| format!("mail.from {:?} is not an address", config.mail.from))?;
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(config.mail.url.trim())
            .map_err(|e| anyhow::anyhow!("mail.url: {e}"))?
            .timeout(Some(SMTP_TIMEOUT));
        if let Some(password) = password(config)? {
            let user = url_user(&config.mail.url).unwrap_or_else(|| from.email.to_string());
            builder = builder.credentials(Credentials::new(user, password));
        }
        Ok(Mailer {
            transport: builder.build(),
            domain: from.email.domain().to_string(),
            from,
            link_base: config.mail.link_base(&config.server),
            unsubscribe: unsubscribe::Signer::new(secret),
            labels: config
                .subjects
                .iter()
                .filter(|s| !s.label.is_empty())
                .map(|s| (s.name.clone(), s.label.clone()))
                .collect(),
        })
    }

    /// "Website · forms": the subject's label and the sub-subject.
    pub fn subject_label(&self, subject: &str, sub: Option<&str>) -> String {
        let label = self.labels.get(subject).map_or(subject, String::as_str);
        match sub {
            Some(sub) => format!("{label} · {sub}"),
            None => label.to_string(),
        }
    }

    /// Whether the server answers and accepts us (EHLO, TLS, login).
    pub async fn check(&self) -> anyhow::Result<()> {
        match self.transport.test_connection().await {
            Ok(true) => Ok(()),
            Ok(false) => anyhow::bail!("the SMTP server did not accept the connection"),
            Err(e) => Err(anyhow::anyhow!("{e}")),
        }
    }

    /// Sends one email; answers the server's reply ("250 ...").
    pub async fn send(&self, message: lettre::Message) -> anyhow::Result<String> {
        let response = self.transport.send(message).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        let text: Vec<&str> = response.message().collect();
        Ok(format!("{} {}", response.code(), text.join(" ")))
    }
}

/// The user name of `smtp://user:password@host`, if any.
fn url_user(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let (credentials, _) = rest.rsplit_once('@')?;
    let user = credentials.split(':').next()?;
    (!user.is_empty()).then(|| user.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_user_comes_from_the_url() {
        assert_eq!(url_user("smtp://ada:secret@mail.example:587"), Some("ada".into()));
        assert_eq!(url_user("smtps://mail.example"), None);
    }
}
