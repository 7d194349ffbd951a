//! The login rate limit: per client address and per email, so neither one
//! address nor a spread-out attack on one account can guess passwords fast.

use std::{net::IpAddr, num::NonZeroU32};

use governor::{
    DefaultKeyedRateLimiter, Quota, RateLimiter,
    clock::{Clock, DefaultClock},
};

use crate::config::RateLimitConfig;

pub struct LoginLimiter {
    by_address: DefaultKeyedRateLimiter<IpAddr>,
    by_email: DefaultKeyedRateLimiter<String>,
}

fn per_minute(n: u32) -> Quota {
    Quota::per_minute(NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN))
}

impl LoginLimiter {
    pub fn new(cfg: &RateLimitConfig) -> Self {
        LoginLimiter {
            by_address: RateLimiter::keyed(per_minute(cfg.per_address_per_minute)),
            by_email: RateLimiter::keyed(per_minute(cfg.per_email_per_minute)),
        }
    }

    /// Counts one attempt; `Err(seconds)` says how long to wait.
    pub fn check(&self, address: Option<IpAddr>, email: &str) -> Result<(), u64> {
        let clock = DefaultClock::default();
        let wait = |not_until: governor::NotUntil<_>| not_until.wait_time_from(clock.now()).as_secs().max(1);
        if let Some(ip) = address {
            self.by_address.check_key(&ip).map_err(wait)?;
        }
        self.by_email.check_key(&email.trim().to_lowercase()).map_err(wait)?;
        // Forget keys that are back to full allowance, so memory stays bounded.
        if self.by_email.len() > 10_000 || self.by_address.len() > 10_000 {
            self.by_email.retain_recent();
            self.by_address.retain_recent();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attempts_past_the_quota_are_refused_with_a_wait() {
        let limiter = LoginLimiter::new(&RateLimitConfig { per_address_per_minute: 100, per_email_per_minute: 2 });
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        assert!(limiter.check(Some(ip), "a@x").is_ok());
        assert!(limiter.check(Some(ip), "A@x ").is_ok());
        let wait = limiter.check(Some(ip), "a@x").unwrap_err();
        assert!((1..=60).contains(&wait), "{wait}");
        assert!(limiter.check(Some(ip), "b@x").is_ok(), "another email is not limited");
    }
}
