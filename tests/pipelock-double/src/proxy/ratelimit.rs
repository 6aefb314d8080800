//! Per-domain request rate limit: a sliding window of one minute per base domain, counted for
//! every request pipelock scans (each CONNECT, each plain request, each request inside an
//! intercepted tunnel), refused ones included, as pipelock's `CheckAndRecord` does.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(60);

pub struct RateLimiter {
    max_per_minute: usize,
    seen: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl RateLimiter {
    pub fn new(max_per_minute: usize) -> Self {
        Self {
            max_per_minute,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Records a request to `host`; false when its base domain is over the limit.
    pub fn admit(&self, host: &str) -> bool {
        let now = Instant::now();
        let mut seen = self
            .seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let times = seen.entry(base_domain(host)).or_default();
        while times
            .front()
            .is_some_and(|t| now.duration_since(*t) >= WINDOW)
        {
            times.pop_front();
        }
        if times.len() >= self.max_per_minute {
            return false;
        }
        times.push_back(now);
        true
    }
}

/// The registrable domain, so rotating subdomains share one window. Pipelock uses the public
/// suffix list; the double takes the last two labels (the same for every name the tests use,
/// different for suffixes such as `co.uk`).
fn base_domain(host: &str) -> String {
    if host.parse::<IpAddr>().is_ok() {
        return host.to_owned();
    }
    let labels: Vec<&str> = host.split('.').collect();
    labels[labels.len().saturating_sub(2)..].join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subdomains_share_a_window_and_the_limit_holds() {
        let limiter = RateLimiter::new(3);
        assert!(limiter.admit("a.x.test"));
        assert!(limiter.admit("b.x.test"));
        assert!(limiter.admit("x.test"));
        assert!(!limiter.admit("c.x.test"));
        assert!(limiter.admit("y.test"));
        assert_eq!(base_domain("10.0.0.1"), "10.0.0.1");
        assert_eq!(base_domain("localhost"), "localhost");
    }
}
