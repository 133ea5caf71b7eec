//! The rules every option follows, whichever language sets it: durations cross the bindings as
//! seconds (`f64`) and are checked here, once, by [`seconds`] and the options' `validate`.

use std::time::Duration;

use crate::{Error, Result};

/// `secs` seconds as a [`Duration`]: a clear [`Error::InvalidArgument`] naming `name` when it
/// is negative, not a number or too large. Zero is allowed here; `validate` says where it is
/// not.
pub fn seconds(name: &str, secs: f64) -> Result<Duration> {
    Duration::try_from_secs_f64(secs).map_err(|_| {
        Error::invalid_argument(format!(
            "{name} must be a finite, non-negative number of seconds, not {secs}"
        ))
    })
}

/// `value` must be above zero.
pub(crate) fn positive(name: &str, value: Duration) -> Result<()> {
    if value.is_zero() {
        return Err(Error::invalid_argument(format!(
            "{name} must be more than 0 seconds"
        )));
    }
    Ok(())
}

/// `value` must lie in `min..=max`.
pub(crate) fn within(name: &str, value: Duration, min: Duration, max: Duration) -> Result<()> {
    if value < min || value > max {
        return Err(Error::invalid_argument(format!(
            "{name} must be between {} and {} seconds, not {}",
            min.as_secs_f64(),
            max.as_secs_f64(),
            value.as_secs_f64()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_refuse_what_is_not_a_duration() {
        assert_eq!(seconds("t", 1.5).unwrap(), Duration::from_millis(1500));
        assert_eq!(seconds("t", 0.0).unwrap(), Duration::ZERO);
        for bad in [-1.0, f64::NAN, f64::INFINITY, 1e30] {
            let error = seconds("timeout", bad).unwrap_err();
            assert!(matches!(error, Error::InvalidArgument { .. }), "{bad}");
            assert!(error.to_string().contains("timeout"), "{error}");
        }
        assert!(positive("t", Duration::ZERO).is_err());
        assert!(
            within(
                "k",
                Duration::from_secs(4),
                Duration::from_secs(5),
                Duration::MAX
            )
            .is_err()
        );
    }
}
