//! Exponential backoff with jitter, shared by the MQTT reconnect loop and HTTP retries.

use std::time::Duration;

use crate::{Error, Result};

/// When and how often to try again.
#[derive(Clone, Debug, PartialEq)]
pub struct RetryPolicy {
    /// Delay before the first retry.
    pub initial_delay: Duration,
    /// Longest delay between two tries.
    pub max_delay: Duration,
    /// Growth factor per try.
    pub multiplier: f64,
    /// Fraction of each delay that is randomised (0 = none, 1 = anywhere in `0..=delay`), so
    /// that a fleet reconnecting after an outage does not come back in lockstep.
    pub jitter: f64,
    /// Retries after the first try; `None` = unlimited.
    pub max_retries: Option<u32>,
}

impl Default for RetryPolicy {
    /// 1 s doubling to 60 s, 20 % jitter, unlimited: the device client's reconnect policy.
    fn default() -> Self {
        Self {
            initial_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(60),
            multiplier: 2.0,
            jitter: 0.2,
            max_retries: None,
        }
    }
}

impl RetryPolicy {
    /// Never retry: the first failure is the answer.
    pub fn no_retries() -> Self {
        Self {
            max_retries: Some(0),
            ..Self::default()
        }
    }

    /// The policy with delays of at most `max_delay` (the first one included), e.g. the
    /// official SDKs' `connection_retry_interval`.
    pub fn capped_at(self, max_delay: Duration) -> Self {
        Self {
            initial_delay: self.initial_delay.min(max_delay),
            max_delay,
            ..self
        }
    }

    /// Checks the policy: delays finite with `initial_delay <= max_delay`, `multiplier >= 1`,
    /// `jitter` in `0..=1`.
    pub fn validate(&self, name: &str) -> Result<()> {
        if self.initial_delay > self.max_delay {
            return Err(Error::invalid_argument(format!(
                "{name}: the initial delay must not exceed the maximum delay"
            )));
        }
        if !(self.multiplier >= 1.0 && self.multiplier.is_finite()) {
            return Err(Error::invalid_argument(format!(
                "{name}: the multiplier must be a finite number of at least 1"
            )));
        }
        if !(0.0..=1.0).contains(&self.jitter) {
            return Err(Error::invalid_argument(format!(
                "{name}: the jitter must be between 0 and 1"
            )));
        }
        Ok(())
    }

    /// The delay before retry number `retry` (0 = the first retry), or `None` when the policy
    /// allows no more.
    pub fn delay(&self, retry: u32) -> Option<Duration> {
        if self.max_retries.is_some_and(|max| retry >= max) {
            return None;
        }
        let base = self.initial_delay.as_secs_f64() * self.multiplier.powi(retry.min(64) as i32);
        let capped = base.min(self.max_delay.as_secs_f64());
        let jitter = self.jitter.clamp(0.0, 1.0);
        let spread = capped * jitter * rand::random::<f64>();
        Some(Duration::from_secs_f64(capped - spread))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_caps_and_stops() {
        let policy = RetryPolicy {
            jitter: 0.0,
            max_retries: Some(5),
            ..RetryPolicy::default()
        };
        let delays: Vec<_> = (0..6).map(|n| policy.delay(n)).collect();
        assert_eq!(delays[0], Some(Duration::from_secs(1)));
        assert_eq!(delays[3], Some(Duration::from_secs(8)));
        assert_eq!(delays[5], None);
        let capped = RetryPolicy {
            jitter: 0.0,
            ..RetryPolicy::default()
        };
        assert_eq!(capped.delay(30), Some(Duration::from_secs(60)));
        assert_eq!(RetryPolicy::no_retries().delay(0), None);
    }

    #[test]
    fn jitter_stays_within_its_fraction() {
        let policy = RetryPolicy::default();
        for _ in 0..100 {
            let delay = policy.delay(2).unwrap().as_secs_f64();
            assert!((3.2..=4.0).contains(&delay), "{delay}");
        }
    }
}
