//! One-time invitation links: a random token for the link, and the SHA-256
//! of it for the database (a stolen database holds no usable link).

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};

use crate::{config::Config, domain::Timestamp, service::accounts::NewInvitation};

/// A link about to be handed out: what the database keeps, and what the
/// person is given (the URL, shown once, never stored).
pub struct Link {
    pub stored: NewInvitation,
    pub url: String,
}

impl Link {
    /// A fresh link under the configured public URL (`mail.public_url`,
    /// else `server.public_url`, else the bind address), valid for the
    /// configured time from now.
    pub fn new(config: &Config) -> anyhow::Result<Self> {
        let (token, token_hash) = new_token()?;
        let ttl_micros = i64::try_from(config.auth.invitation_ttl_hours).unwrap_or(i64::MAX / 4) * 3_600_000_000;
        let expires = Timestamp(Timestamp::now().micros().saturating_add(ttl_micros));
        let url = format!("{}/invite/{token}", config.mail.link_base(&config.server));
        Ok(Link { stored: NewInvitation { token_hash, expires, url: url.clone() }, url })
    }
}

/// A new link's token (32 random bytes, URL-safe) and its hash.
pub fn new_token() -> anyhow::Result<(String, String)> {
    let mut raw = [0u8; 32];
    super::random_bytes(&mut raw)?;
    let token = URL_SAFE_NO_PAD.encode(raw);
    let hash = hash(&token);
    Ok((token, hash))
}

/// The stored form of a token: its SHA-256, in hex. Any text hashes, so a
/// guessed or malformed token simply finds nothing.
pub fn hash(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_only_their_hash_is_kept() {
        let (a, hash_a) = new_token().unwrap();
        let (b, _) = new_token().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(hash(&a), hash_a);
        assert_eq!(hash_a.len(), 64);
        assert!(!hash_a.contains(&a));
    }
}
