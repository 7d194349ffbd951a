//! Login tokens: JWT, HS256 only, with `exp`, `nbf`, `iat`, `iss`, `aud`,
//! `sub`, the token kind and the account's token version. A token of one kind
//! is refused where the other is expected; a token whose version no longer
//! matches the account (password changed, account disabled) is refused.

use std::{
    collections::HashMap,
    path::Path,
    sync::{Arc, Mutex},
};

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::domain::AccountKind;

const ISSUER: &str = "ticketing";
const AUDIENCE: &str = "ticketing-api";
/// Clock leeway for `exp` and `nbf`: a few seconds, not the library's minute.
const LEEWAY_SECS: u64 = 5;
/// How many verified tokens are remembered (see [`TokenKeys::verify`]).
const REMEMBERED_TOKENS: usize = 4096;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    /// Which kind of account the token speaks for.
    pub kind: AccountKind,
    /// The account's token version when the token was issued.
    pub ver: i64,
    /// The token's own id, by which signing out revokes it (tokens from
    /// before there were ids have none and cannot be signed out one by one).
    #[serde(default)]
    pub jti: String,
    pub iat: u64,
    pub nbf: u64,
    pub exp: u64,
    pub iss: String,
    pub aud: String,
}

impl Claims {
    pub fn account_id(&self) -> Option<i64> {
        self.sub.parse().ok()
    }

    /// The time rules at `now`: not expired, already valid, not issued in
    /// the future (each with the leeway).
    fn current_at(&self, now: u64) -> bool {
        self.exp.saturating_add(LEEWAY_SECS) >= now
            && self.nbf <= now.saturating_add(LEEWAY_SECS)
            && self.iat <= now.saturating_add(LEEWAY_SECS)
    }
}

/// The signing keys and the validation rules, built once at start-up.
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl_secs: u64,
    /// Tokens that passed every check, by their exact text.
    verified: Mutex<HashMap<Box<str>, Arc<Claims>>>,
}

impl TokenKeys {
    pub fn new(secret: &[u8], ttl_minutes: u64) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.leeway = LEEWAY_SECS;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.set_audience(&[AUDIENCE]);
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "nbf", "iat", "iss", "aud", "sub"]);
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            ttl_secs: ttl_minutes * 60,
            verified: Mutex::new(HashMap::new()),
        }
    }

    /// Issues a token; returns it with its expiry (seconds since the epoch).
    pub fn issue(&self, kind: AccountKind, account_id: i64, version: i64) -> anyhow::Result<(String, u64)> {
        let now = jsonwebtoken::get_current_timestamp();
        let mut id = [0u8; 16];
        super::random_bytes(&mut id)?;
        let claims = Claims {
            sub: account_id.to_string(),
            kind,
            ver: version,
            jti: id.iter().map(|b| format!("{b:02x}")).collect(),
            iat: now,
            nbf: now,
            exp: now + self.ttl_secs,
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)?;
        Ok((token, claims.exp))
    }

    /// Verifies signature, algorithm and every time and identity claim. Also
    /// refused: a header with `crit` (extensions this server does not know
    /// must not be ignored, RFC 7515 §4.1.11), an `iat` in the future, and a
    /// lifetime (`exp - iat`) longer than this server gives out.
    ///
    /// A client sends the same token with every request, and what it says
    /// cannot change, so the claims of the last [`REMEMBERED_TOKENS`] tokens
    /// that passed are kept by their exact text (all forgotten when that many
    /// are held): only the time rules are checked again. Whether the account
    /// still stands, and whether the token was signed out, is still read
    /// from the database on every request.
    pub fn verify(&self, token: &str) -> Option<Arc<Claims>> {
        self.verify_at(token, jsonwebtoken::get_current_timestamp())
    }

    fn verify_at(&self, token: &str, now: u64) -> Option<Arc<Claims>> {
        let remembered = self.verified.lock().ok().and_then(|held| held.get(token).cloned());
        if let Some(claims) = remembered {
            return claims.current_at(now).then_some(claims);
        }
        if header_has_crit(token) {
            return None;
        }
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation).ok()?.claims;
        if !claims.current_at(now) || claims.exp < claims.iat || claims.exp - claims.iat > self.ttl_secs {
            return None;
        }
        let claims = Arc::new(claims);
        if let Ok(mut held) = self.verified.lock() {
            if held.len() >= REMEMBERED_TOKENS {
                held.clear();
            }
            held.insert(token.into(), claims.clone());
        }
        Some(claims)
    }
}

/// Whether the token's header names critical extensions (or cannot be read).
fn header_has_crit(token: &str) -> bool {
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
    let Some(header) = token.split('.').next() else { return true };
    let Ok(bytes) = URL_SAFE_NO_PAD.decode(header) else { return true };
    match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(serde_json::Value::Object(fields)) => fields.contains_key("crit"),
        _ => true,
    }
}

/// Finds the signing secret: the configured one, else the configured file,
/// else the generated file beside the database (created on first start with
/// owner-only permissions). Never logged.
pub fn load_secret(configured: &str, file: &str, generated: &Path) -> anyhow::Result<Vec<u8>> {
    if !configured.is_empty() {
        return Ok(configured.as_bytes().to_vec());
    }
    if !file.is_empty() {
        let bytes = std::fs::read(file).map_err(|e| anyhow::anyhow!("cannot read auth.secret_file {file}: {e}"))?;
        let trimmed = bytes.trim_ascii().to_vec();
        anyhow::ensure!(trimmed.len() >= 32, "auth.secret_file {file}: the secret must be at least 32 bytes");
        return Ok(trimmed);
    }
    match std::fs::read(generated) {
        Ok(bytes) if bytes.len() >= 32 => Ok(bytes),
        Ok(_) => {
            anyhow::bail!("the secret file {} is too short; delete it to have a new one made", generated.display())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut raw = [0u8; 32];
            super::random_bytes(&mut raw)?;
            let secret: Vec<u8> = raw.iter().flat_map(|b| format!("{b:02x}").into_bytes()).collect();
            write_private(generated, &secret)?;
            Ok(secret)
        }
        Err(e) => anyhow::bail!("cannot read the secret file {}: {e}", generated.display()),
    }
}

fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let mut file =
        crate::files::create_private(path).map_err(|e| anyhow::anyhow!("cannot create {}: {e}", path.display()))?;
    file.write_all(bytes)?;
    file.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    #[test]
    fn a_token_signs_and_verifies_with_the_crypto_backend() {
        let keys = TokenKeys::new(SECRET, 60);
        let (token, exp) = keys.issue(AccountKind::Admin, 7, 3).unwrap();
        let claims = keys.verify(&token).expect("valid");
        assert_eq!(claims.account_id(), Some(7));
        assert_eq!(claims.kind, AccountKind::Admin);
        assert_eq!(claims.ver, 3);
        assert_eq!(claims.exp, exp);
        assert_eq!(claims.jti.len(), 32);
        let (again, _) = keys.issue(AccountKind::Admin, 7, 3).unwrap();
        assert_ne!(keys.verify(&again).unwrap().jti, claims.jti, "every token has its own id");
    }

    #[test]
    fn a_token_from_another_key_or_edited_is_refused() {
        let keys = TokenKeys::new(SECRET, 60);
        let other = TokenKeys::new(b"another secret that is 32 bytes!", 60);
        let (token, _) = other.issue(AccountKind::User, 1, 1).unwrap();
        assert!(keys.verify(&token).is_none());

        let (token, _) = keys.issue(AccountKind::User, 1, 1).unwrap();
        let parts: Vec<&str> = token.split('.').collect();
        let mut payload: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        payload["kind"] = "admin".into();
        let edited = format!("{}.{}.{}", parts[0], URL_SAFE_NO_PAD.encode(payload.to_string()), parts[2]);
        assert!(keys.verify(&edited).is_none());
    }

    #[test]
    fn a_remembered_token_still_expires_and_an_edited_copy_is_still_refused() {
        let keys = TokenKeys::new(SECRET, 1);
        let (token, exp) = keys.issue(AccountKind::User, 1, 1).unwrap();
        let now = jsonwebtoken::get_current_timestamp();
        assert!(keys.verify_at(&token, now).is_some());
        assert!(keys.verify_at(&token, now).is_some(), "remembered");
        assert!(keys.verify_at(&token, exp + LEEWAY_SECS).is_some(), "within the leeway");
        assert!(keys.verify_at(&token, exp + LEEWAY_SECS + 1).is_none(), "expired, though remembered");
        let mut edited = token.clone();
        edited.push('A');
        assert!(keys.verify_at(&edited, now).is_none(), "the signature no longer matches");
    }

    #[test]
    fn the_remembered_tokens_are_bounded() {
        let keys = TokenKeys::new(SECRET, 60);
        for _ in 0..REMEMBERED_TOKENS + 10 {
            let (token, _) = keys.issue(AccountKind::User, 1, 1).unwrap();
            assert!(keys.verify(&token).is_some());
        }
        let held = keys.verified.lock().unwrap().len();
        assert!(held <= REMEMBERED_TOKENS, "{held} held");
        assert!(held > 0);
    }

    #[test]
    fn the_secret_is_generated_once_with_owner_only_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db.secret");
        let first = load_secret("", "", &path).unwrap();
        assert_eq!(first.len(), 64);
        assert_eq!(load_secret("", "", &path).unwrap(), first);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        assert_eq!(
            load_secret("configured-secret-of-enough-length!!", "", &path).unwrap(),
            b"configured-secret-of-enough-length!!"
        );
    }
}
