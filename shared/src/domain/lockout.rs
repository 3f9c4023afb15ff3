//! The sign-in budgets (RFC 6749 §4.3.2, OWASP Authentication): how many unsuccessful sign-ins
//! a client may make before it is refused without a password check.
//!
//! Three budgets, each a count per fixed time window:
//! - per account *and* source address: the lock a guesser meets, which does not lock the
//!   account's owner out from anywhere else;
//! - per source address across all accounts: slows credential stuffing from one address;
//! - per account across all sources: a much higher ceiling, the last line against a guesser
//!   with many addresses.
//!
//! Every attempt is counted *before* its password is checked, on each counter only while that
//! counter is under its limit (one conditional update each), and it is admitted only if all
//! three counted it, so parallel guesses cannot race past a budget. An attempt that is refused
//! gives back what it counted on the account's budgets (not on the source's, see below), so
//! hammering a locked account from one address cannot spend the account's ceiling. A success
//! gives its attempt back to the two wide budgets and clears the narrow one. Windows are fixed, so failures age out when
//! their window ends: no request can keep a lock alive past it.
//!
//! Two rules keep the budgets from telling anything or locking owners out:
//! - The per-source budget counts every attempt it has room for, refused or not: a refusal
//!   gives back only what it counted on the account's own budgets. Otherwise how much of an
//!   address's budget a request spent would depend on whether the name it tried exists (names
//!   that are no account share one narrow counter, which an attacker can fill), and an
//!   attacker could read that back through its own account's sign-ins.
//! - A source that signed in to an account successfully before (a *known source*, remembered
//!   for [`LockoutPolicy::remember_sources_for`], forgotten by an unlock or a new password)
//!   is not stopped by the account-wide ceiling:
//!   a guesser with many addresses can spend the ceiling, but not shut the owner out from
//!   where the owner signs in. Its narrow budget and the per-source budget still hold.

use crate::clock::UnixSeconds;

/// At most `limit` attempts per window of `window_seconds`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    pub limit: u64,
    pub window_seconds: u64,
}

/// A window of a budget: its number (counted from the epoch) and when it ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub index: i64,
    pub ends_at: UnixSeconds,
}

impl Budget {
    /// The window `now` falls in.
    pub fn window(&self, now: UnixSeconds) -> Window {
        let length = self.window_seconds.max(1) as i64;
        let index = now.div_euclid(length);
        Window {
            index,
            ends_at: index.saturating_add(1).saturating_mul(length),
        }
    }

    /// Whether an attempt that finds `counted` attempts in its window may be counted too.
    pub fn admits(&self, counted: u64) -> bool {
        counted < self.limit
    }
}

/// Which budget refused an attempt (for logs and metrics; the client sees one generic answer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exhausted {
    SourceAndAccount,
    Source,
    Account,
}

impl Exhausted {
    pub fn as_str(self) -> &'static str {
        match self {
            Exhausted::SourceAndAccount => "locked for this source",
            Exhausted::Source => "source budget spent",
            Exhausted::Account => "account ceiling reached",
        }
    }
}

/// The three budgets of a deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    pub per_source_and_account: Budget,
    pub per_source: Budget,
    pub per_account: Budget,
    /// How long a source that signed in successfully stays known to the account (seconds).
    pub remember_sources_for: u64,
}

/// Five tries per account and address per five minutes, as users expect of a sign-in form.
pub const PER_SOURCE_AND_ACCOUNT: Budget = Budget {
    limit: 5,
    window_seconds: 300,
};
/// Fifty attempts per address per fifteen minutes, across accounts, successes given back: an
/// office behind one address mistypes far less than that, a credential-stuffing list far more.
pub const PER_SOURCE: Budget = Budget {
    limit: 50,
    window_seconds: 900,
};
/// A hundred failures per account per hour from all addresses together.
pub const PER_ACCOUNT: Budget = Budget {
    limit: 100,
    window_seconds: 3600,
};

/// Thirty days, as long as a session lasts: an owner who signs in monthly stays known.
pub const REMEMBER_SOURCES_FOR: u64 = 30 * 24 * 3600;

impl Default for LockoutPolicy {
    fn default() -> Self {
        LockoutPolicy {
            per_source_and_account: PER_SOURCE_AND_ACCOUNT,
            per_source: PER_SOURCE,
            per_account: PER_ACCOUNT,
            remember_sources_for: REMEMBER_SOURCES_FOR,
        }
    }
}

impl LockoutPolicy {
    /// The first budget, narrowest first, that did not count an attempt (`counted` in the
    /// order source-and-account, source, account); `None` admits it. A `known` source is not
    /// held to the account ceiling.
    pub fn exhausted(&self, counted: [bool; 3], known: bool) -> Option<Exhausted> {
        match counted {
            [false, _, _] => Some(Exhausted::SourceAndAccount),
            [_, false, _] => Some(Exhausted::Source),
            [_, _, false] if !known => Some(Exhausted::Account),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_fixed_and_end_on_their_boundary() {
        let budget = Budget {
            limit: 5,
            window_seconds: 300,
        };
        assert_eq!(
            budget.window(1_000_000),
            Window {
                index: 3333,
                ends_at: 1_000_200
            }
        );
        assert_eq!(budget.window(1_000_199).index, 3333);
        assert_eq!(budget.window(1_000_200).index, 3334);
        assert_eq!(budget.window(-1).index, -1);
        let zero = Budget {
            limit: 1,
            window_seconds: 0,
        };
        assert_eq!(zero.window(7).ends_at, 8);
    }

    #[test]
    fn a_budget_admits_exactly_its_limit() {
        let budget = PER_SOURCE_AND_ACCOUNT;
        let admitted = (0..20).filter(|before| budget.admits(*before)).count();
        assert_eq!(admitted, 5);
        assert!(!Budget {
            limit: 0,
            window_seconds: 1
        }
        .admits(0));
    }

    #[test]
    fn the_narrowest_spent_budget_is_named() {
        let policy = LockoutPolicy::default();
        for known in [false, true] {
            assert_eq!(policy.exhausted([true, true, true], known), None);
            assert_eq!(
                policy.exhausted([false, true, true], known),
                Some(Exhausted::SourceAndAccount)
            );
            assert_eq!(
                policy.exhausted([true, false, true], known),
                Some(Exhausted::Source)
            );
            assert_eq!(
                policy.exhausted([false, false, false], known),
                Some(Exhausted::SourceAndAccount)
            );
        }
        assert_eq!(
            policy.exhausted([true, true, false], false),
            Some(Exhausted::Account)
        );
    }

    #[test]
    fn a_known_source_passes_the_ceiling_and_nothing_else() {
        let policy = LockoutPolicy::default();
        assert_eq!(policy.exhausted([true, true, false], true), None);
        assert_eq!(
            policy.exhausted([true, false, false], true),
            Some(Exhausted::Source)
        );
        assert_eq!(
            policy.exhausted([false, true, false], true),
            Some(Exhausted::SourceAndAccount)
        );
    }

    #[test]
    fn the_ceiling_is_far_above_the_narrow_lock() {
        let policy = LockoutPolicy::default();
        assert!(policy.per_account.limit >= 10 * policy.per_source_and_account.limit);
        assert!(policy.per_source.limit > policy.per_source_and_account.limit);
    }
}
