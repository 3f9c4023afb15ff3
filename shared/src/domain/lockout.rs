//! Per-account sign-in throttling (RFC 6749 §4.3.2, OWASP Authentication): after a few
//! consecutive failures an account is locked for a back-off that doubles with each further
//! failure, capped, as Cognito does. The lock is derived from two stored fields, so one atomic
//! counter update is all a failure costs.

/// Failures allowed before the first lock.
pub const FREE_FAILURES: u32 = 5;
/// Longest lock, reached after about ten further failures.
pub const MAX_LOCK_SECONDS: i64 = 900;

/// When the account unlocks, if `failed_logins` consecutive failures, the last at
/// `last_failed_login`, lock it at all.
pub fn locked_until(failed_logins: u32, last_failed_login: Option<i64>) -> Option<i64> {
    if failed_logins < FREE_FAILURES {
        return None;
    }
    let doublings = (failed_logins - FREE_FAILURES).min(20);
    let seconds = (1i64 << doublings).min(MAX_LOCK_SECONDS);
    last_failed_login.map(|at| at.saturating_add(seconds))
}

/// True while the account must refuse sign-ins without looking at the password.
pub fn is_locked(failed_logins: u32, last_failed_login: Option<i64>, now: i64) -> bool {
    locked_until(failed_logins, last_failed_login).is_some_and(|until| now < until)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_few_failures_do_not_lock() {
        for n in 0..FREE_FAILURES {
            assert_eq!(locked_until(n, Some(1000)), None);
        }
    }

    #[test]
    fn lock_doubles_and_is_capped() {
        assert_eq!(locked_until(5, Some(1000)), Some(1001));
        assert_eq!(locked_until(6, Some(1000)), Some(1002));
        assert_eq!(locked_until(9, Some(1000)), Some(1016));
        assert_eq!(locked_until(15, Some(1000)), Some(1000 + MAX_LOCK_SECONDS));
        assert_eq!(
            locked_until(u32::MAX, Some(1000)),
            Some(1000 + MAX_LOCK_SECONDS)
        );
    }

    #[test]
    fn locked_only_until_the_deadline() {
        assert!(is_locked(6, Some(1000), 1001));
        assert!(!is_locked(6, Some(1000), 1002));
        assert!(!is_locked(6, None, 1001));
    }
}
