//! Rate limits: failed sign-ins (per client address, per email and address,
//! per email) and writes per account.
//! Every map here is keyed by what a client sends, so each is bounded.

use std::{
    collections::HashMap,
    hash::Hash,
    net::{IpAddr, Ipv4Addr},
    num::NonZeroU32,
    sync::Mutex,
    time::{Duration, Instant},
};

use crate::config::{LimitsConfig, RateLimitConfig};
use governor::{
    DefaultKeyedRateLimiter, Quota, RateLimiter,
    clock::{Clock, DefaultClock},
};

/// How long failures are counted for.
const WINDOW: Duration = Duration::from_secs(60);
/// How long an address that signed in to an account stays exempt from the
/// account's all-addresses limit.
const KNOWN_FOR: Duration = Duration::from_secs(30 * 24 * 3600);
/// The most keys any one map holds. Sign-ins are slowed by password hashing
/// to a few thousand a minute, so a map this size is never full of live
/// windows; should it be, the oldest entry makes room.
const MAX_KEYS: usize = 100_000;

/// A map of `K` to `V` that never holds more than [`MAX_KEYS`] entries:
/// entries past `keep` are dropped first, then the oldest.
struct Bounded<K, V> {
    entries: Mutex<HashMap<K, (Instant, V)>>,
    capacity: usize,
}

impl<K: Hash + Eq + Clone, V> Bounded<K, V> {
    fn new() -> Self {
        Self::with_capacity(MAX_KEYS)
    }

    fn with_capacity(capacity: usize) -> Self {
        Bounded { entries: Mutex::new(HashMap::new()), capacity }
    }

    /// Runs `f` on the entry for `key` (made with `init` when missing or
    /// older than `keep`); the entry's time is when it was made.
    fn with<R>(&self, key: &K, keep: Duration, init: impl FnOnce() -> V, f: impl FnOnce(Instant, &mut V) -> R) -> R {
        let now = Instant::now();
        let mut map = self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if map.get(key).is_some_and(|(since, _)| now.duration_since(*since) >= keep) {
            map.remove(key);
        }
        if !map.contains_key(key) && map.len() >= self.capacity {
            map.retain(|_, (since, _)| now.duration_since(*since) < keep);
            if map.len() >= self.capacity
                && let Some(oldest) = map.iter().min_by_key(|(_, (since, _))| *since).map(|(k, _)| k.clone())
            {
                map.remove(&oldest);
            }
        }
        let (since, value) = map.entry(key.clone()).or_insert_with(|| (now, init()));
        f(*since, value)
    }

    fn peek<R>(&self, key: &K, keep: Duration, f: impl FnOnce(Instant, &V) -> R) -> Option<R> {
        let map = self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        map.get(key).filter(|(since, _)| since.elapsed() < keep).map(|(since, v)| f(*since, v))
    }

    fn remove(&self, key: &K) {
        self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).remove(key);
    }

    fn len(&self) -> usize {
        self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).len()
    }
}

/// Failures per key in a fixed one-minute window.
struct Failures<K> {
    limit: u32,
    counts: Bounded<K, u32>,
}

impl<K: Hash + Eq + Clone> Failures<K> {
    fn new(limit: u32) -> Self {
        Failures { limit: limit.max(1), counts: Bounded::new() }
    }

    /// `Err(seconds)` when the key has used up its failures for this window.
    fn check(&self, key: &K) -> Result<(), u64> {
        let over = self.counts.peek(key, WINDOW, |since, count| {
            (*count >= self.limit).then(|| WINDOW.saturating_sub(since.elapsed()).as_secs().max(1))
        });
        match over.flatten() {
            Some(wait) => Err(wait),
            None => Ok(()),
        }
    }

    fn fail(&self, key: &K) {
        self.counts.with(key, WINDOW, || 0, |_, count| *count = count.saturating_add(1));
    }
}

/// Failed sign-ins, counted three ways. Only failures count, so a correct
/// password from a person's own address is never held back by what
/// strangers do elsewhere:
/// - per (email, address), tightly: guessing one account from one place;
/// - per address, generously: one place guessing many accounts;
/// - per email from all addresses, loosely: a guess spread over many
///   places. An address that signed in to the account before is exempt, so
///   this one cannot lock the owner out either.
///
/// A success clears its (email, address) count. Both login endpoints share
/// one limiter (an email is the same person's whichever door they use).
pub struct LoginLimiter {
    per_pair: Failures<(String, IpAddr)>,
    per_address: Failures<IpAddr>,
    per_email: Failures<String>,
    known: Bounded<(String, IpAddr), ()>,
}

/// The key of an email: as people type it, it is the same account.
fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

fn address_key(address: Option<IpAddr>) -> IpAddr {
    address.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}

impl LoginLimiter {
    pub fn new(cfg: &RateLimitConfig) -> Self {
        LoginLimiter {
            per_pair: Failures::new(cfg.per_email_per_minute),
            per_address: Failures::new(cfg.per_address_per_minute),
            per_email: Failures::new(cfg.per_email_all_addresses_per_minute),
            known: Bounded::new(),
        }
    }

    /// Whether this sign-in may be tried; `Err(seconds)` says how long to wait.
    pub fn check(&self, address: Option<IpAddr>, email: &str) -> Result<(), u64> {
        let (email, address) = (email_key(email), address_key(address));
        let pair = (email, address);
        self.per_pair.check(&pair)?;
        self.per_address.check(&address)?;
        if self.known.peek(&pair, KNOWN_FOR, |_, ()| ()).is_none() {
            self.per_email.check(&pair.0)?;
        }
        Ok(())
    }

    /// Counts a failed sign-in (wrong password, unknown email, disabled account).
    pub fn failed(&self, address: Option<IpAddr>, email: &str) {
        let pair = (email_key(email), address_key(address));
        self.per_pair.fail(&pair);
        self.per_address.fail(&pair.1);
        self.per_email.fail(&pair.0);
    }

    /// A successful sign-in: the pair's failures are forgotten and the address
    /// becomes known for the account.
    pub fn succeeded(&self, address: Option<IpAddr>, email: &str) {
        let pair = (email_key(email), address_key(address));
        self.per_pair.counts.remove(&pair);
        self.known.with(&pair, KNOWN_FOR, || (), |_, ()| ());
    }

    /// How many keys the limiter holds in all (for the memory tests).
    pub fn tracked(&self) -> usize {
        self.per_pair.counts.len() + self.per_address.counts.len() + self.per_email.counts.len() + self.known.len()
    }
}

/// Who a write is counted against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Writer {
    User(i64),
    Admin(i64),
}

/// Writes per account: a token bucket of `write_burst`, refilled at
/// `writes_per_minute`. Keys are account ids, which the server issues, so
/// the map is bounded by the number of accounts; idle buckets are dropped.
pub struct WriteLimiter {
    buckets: Option<DefaultKeyedRateLimiter<Writer>>,
}

impl WriteLimiter {
    pub fn new(cfg: &LimitsConfig) -> Self {
        let buckets = NonZeroU32::new(cfg.writes_per_minute).map(|rate| {
            let burst = NonZeroU32::new(cfg.write_burst).unwrap_or(NonZeroU32::MIN);
            RateLimiter::keyed(Quota::per_minute(rate).allow_burst(burst))
        });
        WriteLimiter { buckets }
    }

    /// Spends one write; `Err(seconds)` when the account must wait.
    pub fn spend(&self, who: Writer) -> Result<(), u64> {
        let Some(buckets) = &self.buckets else { return Ok(()) };
        let clock = DefaultClock::default();
        buckets.check_key(&who).map_err(|not_until| not_until.wait_time_from(clock.now()).as_secs().max(1))?;
        if buckets.len() > 10_000 {
            buckets.retain_recent();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(pair: u32, address: u32, email: u32) -> RateLimitConfig {
        RateLimitConfig {
            per_email_per_minute: pair,
            per_address_per_minute: address,
            per_email_all_addresses_per_minute: email,
        }
    }

    fn ip(last: u8) -> Option<IpAddr> {
        Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, last)))
    }

    #[test]
    fn failures_past_the_quota_are_refused_with_a_wait_and_successes_do_not_count() {
        let limiter = LoginLimiter::new(&limits(2, 100, 100));
        for _ in 0..5 {
            limiter.check(ip(1), "a@x").unwrap();
            limiter.succeeded(ip(1), "a@x");
        }
        limiter.failed(ip(1), "a@x");
        limiter.failed(ip(1), "A@x ");
        let wait = limiter.check(ip(1), "a@x").unwrap_err();
        assert!((1..=60).contains(&wait), "{wait}");
        assert!(limiter.check(ip(1), "b@x").is_ok(), "another email is not limited");
        assert!(limiter.check(ip(2), "a@x").is_ok(), "the same email from another address is not limited");
    }

    #[test]
    fn strangers_failures_do_not_lock_out_an_address_that_signed_in_before() {
        let limiter = LoginLimiter::new(&limits(5, 100, 10));
        limiter.succeeded(ip(1), "owner@x");
        for stranger in 10..40 {
            limiter.failed(ip(stranger), "owner@x");
        }
        assert!(limiter.check(ip(99), "owner@x").is_err(), "a new address waits once the email is under attack");
        assert!(limiter.check(ip(1), "owner@x").is_ok(), "the owner's own address is not held back");
    }

    #[test]
    fn the_maps_stay_bounded_whatever_the_keys() {
        let map: Bounded<u64, u32> = Bounded::with_capacity(100);
        for i in 0..1000 {
            map.with(&i, WINDOW, || 0, |_, n| *n += 1);
        }
        assert_eq!(map.len(), 100);
        assert!(map.peek(&999, WINDOW, |_, n| *n).is_some(), "the newest key is kept");
    }

    #[test]
    fn writes_past_the_burst_wait_and_zero_turns_the_limit_off() {
        let limiter = WriteLimiter::new(&LimitsConfig { writes_per_minute: 60, write_burst: 3 });
        for _ in 0..3 {
            limiter.spend(Writer::User(1)).unwrap();
        }
        assert!(limiter.spend(Writer::User(1)).is_err());
        assert!(limiter.spend(Writer::Admin(1)).is_ok(), "each account has its own bucket");
        let off = WriteLimiter::new(&LimitsConfig { writes_per_minute: 0, write_burst: 0 });
        for _ in 0..1000 {
            off.spend(Writer::User(1)).unwrap();
        }
    }
}
