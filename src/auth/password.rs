//! Password hashing with argon2id. Hashing is slow on purpose, so callers in
//! async code run it with `spawn_blocking` (see [`Hasher::verify_async`]).

use argon2::{
    Algorithm, Argon2, Params, Version,
    password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash},
};

use crate::config::PasswordConfig;

/// Hashes and verifies passwords with the configured cost.
#[derive(Clone)]
pub struct Hasher {
    params: Params,
    /// A hash of a random password, verified against when the email is
    /// unknown, so that unknown emails and wrong passwords take the same time.
    dummy: String,
}

impl Hasher {
    pub fn new(cfg: &PasswordConfig) -> anyhow::Result<Self> {
        let params = Params::new(cfg.memory_kib, cfg.iterations, cfg.parallelism, None)
            .map_err(|e| anyhow::anyhow!("config key auth.password: {e}"))?;
        let mut hasher = Hasher { params, dummy: String::new() };
        hasher.dummy = hasher.hash(&super::generate_password()?)?;
        Ok(hasher)
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    /// A PHC string (`$argon2id$v=19$...`) with a fresh random salt.
    pub fn hash(&self, password: &str) -> anyhow::Result<String> {
        self.argon2()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("cannot hash a password: {e}"))
    }

    /// Whether `password` matches `hash`; with no hash (unknown account) the
    /// same work is done against a dummy and the answer is `false`.
    pub fn verify(&self, password: &str, hash: Option<&str>) -> bool {
        let (target, real) = match hash {
            Some(h) => (h, true),
            None => (self.dummy.as_str(), false),
        };
        let Ok(parsed) = PasswordHash::new(target) else {
            return false;
        };
        let ok = self.argon2().verify_password(password.as_bytes(), &parsed).is_ok();
        ok && real
    }

    /// [`Hasher::verify`] off the async executor.
    pub async fn verify_async(&self, password: String, hash: Option<String>) -> bool {
        let hasher = self.clone();
        tokio::task::spawn_blocking(move || hasher.verify(&password, hash.as_deref())).await.unwrap_or(false)
    }

    /// [`Hasher::hash`] off the async executor.
    pub async fn hash_async(&self, password: String) -> anyhow::Result<String> {
        let hasher = self.clone();
        tokio::task::spawn_blocking(move || hasher.hash(&password)).await?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap() -> Hasher {
        Hasher::new(&PasswordConfig { memory_kib: 64, iterations: 1, parallelism: 1 }).unwrap()
    }

    #[test]
    fn a_hash_verifies_its_password_only() {
        let h = cheap();
        let hash = h.hash("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$v=19$"));
        assert!(h.verify("correct horse battery", Some(&hash)));
        assert!(!h.verify("wrong", Some(&hash)));
        assert!(!h.verify("anything", None));
        assert!(!h.verify("anything", Some("not a hash")));
    }

    #[test]
    fn the_same_password_gets_a_different_salt_each_time() {
        let h = cheap();
        assert_ne!(h.hash("same password").unwrap(), h.hash("same password").unwrap());
    }
}
