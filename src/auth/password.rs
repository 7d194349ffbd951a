//! Password hashing with argon2id. Hashing is slow on purpose, so callers in
//! async code run it with `spawn_blocking` (see [`Hasher::verify_async`]).

use argon2::{
    Algorithm, Argon2, Params, Version,
    password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash},
};

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use tokio::sync::{Semaphore, SemaphorePermit};

use crate::config::PasswordConfig;

/// Hashes and verifies passwords with the configured cost, a few at a time.
#[derive(Clone)]
pub struct Hasher {
    params: Params,
    gate: Arc<HashGate>,
    /// A hash of a random password, verified against when the email is
    /// unknown, so that unknown emails and wrong passwords take the same time.
    dummy: String,
}

impl Hasher {
    pub fn new(cfg: &PasswordConfig) -> anyhow::Result<Self> {
        let params = Params::new(cfg.memory_kib, cfg.iterations, cfg.parallelism, None)
            .map_err(|e| anyhow::anyhow!("config key auth.password: {e}"))?;
        let mut hasher = Hasher { params, gate: Arc::new(HashGate::new(cfg.max_concurrent)), dummy: String::new() };
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

    /// Whether `password` matches `hash`; with no hash (unknown account) or
    /// one that is not a hash, the same work is done against a dummy and the
    /// answer is `false`.
    pub fn verify(&self, password: &str, hash: Option<&str>) -> bool {
        // An account without a usable hash (invited, not yet set) costs the
        // same work as any other, so timing does not tell it apart.
        let (target, real) = match hash.filter(|h| PasswordHash::new(h).is_ok()) {
            Some(h) => (h, true),
            None => (self.dummy.as_str(), false),
        };
        let Ok(parsed) = PasswordHash::new(target) else {
            return false;
        };
        let ok = self.argon2().verify_password(password.as_bytes(), &parsed).is_ok();
        ok && real
    }

    /// [`Hasher::verify`] off the async executor, once the gate lets it in.
    pub async fn verify_async(&self, password: String, hash: Option<String>) -> Result<bool, Busy> {
        let _turn = self.gate.enter().await?;
        let hasher = self.clone();
        Ok(tokio::task::spawn_blocking(move || hasher.verify(&password, hash.as_deref())).await.unwrap_or(false))
    }

    /// [`Hasher::hash`] off the async executor, once the gate lets it in.
    pub async fn hash_async(&self, password: String) -> anyhow::Result<String> {
        let _turn = self.gate.enter().await.map_err(|Busy| anyhow::anyhow!("too many passwords are being hashed"))?;
        let hasher = self.clone();
        tokio::task::spawn_blocking(move || hasher.hash(&password)).await?
    }
}

/// How many password hashes run at once (argon2id holds its memory cost, 19
/// MiB by default, while it runs), and how many may wait for a turn.
struct HashGate {
    running: Semaphore,
    waiting: AtomicUsize,
    max_waiting: usize,
}

/// The gate is full: answer 503 and ask the client to come back.
#[derive(Debug)]
pub struct Busy;

impl HashGate {
    fn new(max_concurrent: u32) -> Self {
        let max = max_concurrent.max(1) as usize;
        HashGate { running: Semaphore::new(max), waiting: AtomicUsize::new(0), max_waiting: max * 4 }
    }

    /// A turn to hash, once one is free; `Busy` when too many already wait.
    async fn enter(&self) -> Result<SemaphorePermit<'_>, Busy> {
        if let Ok(permit) = self.running.try_acquire() {
            return Ok(permit);
        }
        if self.waiting.fetch_add(1, Ordering::SeqCst) >= self.max_waiting {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            return Err(Busy);
        }
        let permit = self.running.acquire().await;
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        permit.map_err(|_| Busy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap() -> Hasher {
        Hasher::new(&PasswordConfig { memory_kib: 64, iterations: 1, parallelism: 1, max_concurrent: 1 }).unwrap()
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

    #[tokio::test]
    async fn the_hash_gate_lets_a_few_run_some_wait_and_refuses_the_rest() {
        let gate = HashGate::new(1);
        let first = gate.enter().await.unwrap();
        let waiting: Vec<_> = (0..4).map(|_| gate.enter()).collect();
        let mut waiting: Vec<_> = waiting.into_iter().map(Box::pin).collect();
        for w in &mut waiting {
            assert!(futures_poll_once(w.as_mut()).is_none(), "waits for a turn");
        }
        assert!(gate.enter().await.is_err(), "the fifth waiter is refused");
        drop(first);
        assert!(waiting.remove(0).await.is_ok());
    }

    /// Polls a future once with a no-op waker.
    fn futures_poll_once<F: std::future::Future>(f: std::pin::Pin<&mut F>) -> Option<F::Output> {
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        match f.poll(&mut cx) {
            std::task::Poll::Ready(v) => Some(v),
            std::task::Poll::Pending => None,
        }
    }
}
