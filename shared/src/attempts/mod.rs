//! Sign-in attempt counters: the state behind [`crate::domain::lockout`]. Each attempt adds one
//! to three counters *before* its password is checked, and the counts found decide whether it
//! is checked at all. Counters live in the tokens table (DynamoDB) or in memory, keyed by
//! budget, subject and window, and expire with their window.
//!
//! Account counters are keyed by a hash of the username and the account's lockout epoch, so
//! no username (often a mistyped password) is stored, and an operator's unlock (a new epoch)
//! starts every counter of the account afresh.

mod dynamodb;
mod memory;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

use crate::clock::UnixSeconds;
use crate::domain::lockout::{Budget, Exhausted, LockoutPolicy};
use crate::domain::{SourceAddress, Username};
use crate::store::StoreError;

pub use dynamodb::DynamoAttemptStore;
pub use memory::MemoryAttemptStore;

/// One counter of one window. It is kept a little past its window, then dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counter {
    pub key: String,
    pub expires_at: UnixSeconds,
}

/// How long a counter outlives its window, so a sign-in that straddles the boundary can still
/// settle on the counter it was counted on.
const KEEP_AFTER_WINDOW: i64 = 60;

impl Counter {
    fn new(kind: &str, subject: &str, budget: &Budget, now: UnixSeconds) -> Self {
        let window = budget.window(now);
        Counter {
            key: format!(
                "att#{kind}#{subject}#{}:{}",
                budget.window_seconds, window.index
            ),
            expires_at: window.ends_at.saturating_add(KEEP_AFTER_WINDOW),
        }
    }
}

/// A counter as stored, for operators.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CounterState {
    pub count: u64,
    pub last_failure: Option<UnixSeconds>,
}

/// The three counters one sign-in attempt is counted on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInCounters {
    pub source_and_account: Counter,
    pub source: Counter,
    pub account: Counter,
}

/// The subject an account's counters are kept under: a hash of the name (never the name) and
/// the account's lockout epoch.
fn account_subject(username: &Username, lockout_epoch: u64) -> String {
    let digest =
        aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, username.as_str().as_bytes());
    // 128 bits of the hash: collisions are out of reach, and the key stays short.
    format!(
        "{}.{lockout_epoch}",
        URL_SAFE_NO_PAD.encode(&digest.as_ref()[..16])
    )
}

impl SignInCounters {
    pub fn new(
        policy: &LockoutPolicy,
        username: &Username,
        lockout_epoch: u64,
        source: &SourceAddress,
        now: UnixSeconds,
    ) -> Self {
        let account = account_subject(username, lockout_epoch);
        SignInCounters {
            source_and_account: Counter::new(
                "p",
                &format!("{account}#{source}"),
                &policy.per_source_and_account,
                now,
            ),
            source: Counter::new("s", source.as_str(), &policy.per_source, now),
            account: Counter::new("a", &account, &policy.per_account, now),
        }
    }

    /// Counts the attempt on all three counters at once and says which budget, if any, it
    /// overruns. An error means the attempt could not be counted: the caller must refuse to
    /// check the password (fail closed).
    pub async fn count(
        &self,
        store: &dyn AttemptStore,
        policy: &LockoutPolicy,
        now: UnixSeconds,
    ) -> Result<Option<Exhausted>, StoreError> {
        let (pair, source, account) = tokio::try_join!(
            store.count(&self.source_and_account, now),
            store.count(&self.source, now),
            store.count(&self.account, now),
        )?;
        Ok(policy.exhausted([pair, source, account]))
    }

    /// After a successful sign-in, in one write: the narrow counter starts again, and the two
    /// wide ones give back the attempt just counted (so an office behind one address, or an
    /// account that signs in often, never spends its budget by succeeding).
    pub async fn settle_success(&self, store: &dyn AttemptStore) -> Result<(), StoreError> {
        store
            .settle_success(&self.source_and_account, [&self.source, &self.account])
            .await
    }

    /// After a refused sign-in, in one write: when the account last failed (operators' view).
    pub async fn note_failure(
        &self,
        store: &dyn AttemptStore,
        at: UnixSeconds,
    ) -> Result<(), StoreError> {
        store.note_failure(&self.account, at).await
    }
}

/// What the sign-in budgets need of a store. Each method is one store operation.
#[async_trait::async_trait]
pub trait AttemptStore: Send + Sync {
    /// Adds one to `counter` atomically and returns the count before (0 for a new counter).
    async fn count(&self, counter: &Counter, now: UnixSeconds) -> Result<u64, StoreError>;

    /// Deletes `cleared` and takes one off each of `refunded`, in one write.
    async fn settle_success(
        &self,
        cleared: &Counter,
        refunded: [&Counter; 2],
    ) -> Result<(), StoreError>;

    /// Records `at` as the last failure counted on `counter`.
    async fn note_failure(&self, counter: &Counter, at: UnixSeconds) -> Result<(), StoreError>;

    /// The counter as stored (zero if absent).
    async fn read(&self, counter: &Counter) -> Result<CounterState, StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counters(name: &str, epoch: u64, source: &str, now: UnixSeconds) -> SignInCounters {
        SignInCounters::new(
            &LockoutPolicy::default(),
            &Username::parse(name).unwrap(),
            epoch,
            &SourceAddress::parse(source).unwrap(),
            now,
        )
    }

    #[test]
    fn keys_name_budget_subject_and_window_but_never_the_username() {
        let c = counters("johndoe", 0, "203.0.113.7", 1_000_000);
        assert!(c.source_and_account.key.starts_with("att#p#"));
        assert!(c.source_and_account.key.ends_with("#203.0.113.7#300:3333"));
        assert_eq!(c.source.key, "att#s#203.0.113.7#900:1111");
        assert!(c.account.key.ends_with(".0#3600:277"));
        for key in [&c.source_and_account.key, &c.source.key, &c.account.key] {
            assert!(!key.contains("johndoe"), "{key}");
        }
        assert_eq!(
            c.source_and_account.expires_at,
            1_000_200 + KEEP_AFTER_WINDOW
        );
    }

    #[test]
    fn an_unlock_starts_the_account_counters_afresh_but_not_the_sources() {
        let before = counters("johndoe", 0, "203.0.113.7", 1_000_000);
        let after = counters("johndoe", 1, "203.0.113.7", 1_000_000);
        assert_ne!(before.account, after.account);
        assert_ne!(before.source_and_account, after.source_and_account);
        assert_eq!(before.source, after.source);
    }

    #[test]
    fn other_accounts_and_sources_have_other_counters() {
        let a = counters("johndoe", 0, "203.0.113.7", 1_000_000);
        let b = counters("alice", 0, "203.0.113.7", 1_000_000);
        let c = counters("johndoe", 0, "198.51.100.1", 1_000_000);
        assert_ne!(a.account, b.account);
        assert_eq!(a.source, b.source);
        assert_eq!(a.account, c.account);
        assert_ne!(a.source_and_account, c.source_and_account);
    }
}
