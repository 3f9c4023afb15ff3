//! Sign-in attempt counters: the state behind [`crate::domain::lockout`]. Each attempt is
//! counted on three counters *before* its password is checked, each only while under its
//! limit, and whether all three counted it decides whether it is checked at all. Counters live
//! in the tokens table (DynamoDB) or in memory, keyed by budget, subject and window, and
//! expire with their window.
//!
//! An existing account's counters are keyed by a hash of its username and its lockout epoch,
//! so an operator's unlock (a new epoch) starts every counter of the account afresh. Names
//! that are no account share one subject: nothing derived from them (often a password typed
//! into the wrong field) is stored.
//!
//! Beside the counters: the sources each account (or client) signed in from successfully,
//! which the account ceiling does not stop (see [`crate::domain::lockout`]).

mod dynamodb;
mod memory;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

use crate::clock::UnixSeconds;
use crate::domain::lockout::{Budget, Exhausted, LockoutPolicy};
use crate::domain::{ClientId, SourceAddress, Username};
use crate::store::StoreError;

pub use dynamodb::DynamoAttemptStore;
pub use memory::MemoryAttemptStore;

/// One counter of one window, and the most it may count. It is kept a little past its
/// window, then dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counter {
    pub key: String,
    pub limit: u64,
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
            limit: budget.limit,
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

/// That a source signed in to an account (or client) successfully, remembered until
/// `expires_at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownSource {
    pub key: String,
    pub expires_at: UnixSeconds,
}

impl KnownSource {
    fn new(
        subject: &str,
        source: &SourceAddress,
        policy: &LockoutPolicy,
        now: UnixSeconds,
    ) -> Self {
        let remember = i64::try_from(policy.remember_sources_for).unwrap_or(i64::MAX);
        KnownSource {
            key: format!("known#{subject}#{source}"),
            expires_at: now.saturating_add(remember),
        }
    }
}

/// The three counters one sign-in attempt is counted on, and the mark its success leaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInCounters {
    pub source_and_account: Counter,
    pub source: Counter,
    pub account: Counter,
    /// The source as known to the account. Its key carries the lockout epoch, so an unlock
    /// or a new password (which unlocks) forgets every known source: an address that once
    /// held the old password keeps nothing past the ceiling.
    pub known_source: KnownSource,
}

/// The subject of every name that is no account.
const NO_ACCOUNT: &str = "none";

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

/// The subject a client's counters are kept under: `c.` and a hash of its id (an account's
/// subject never starts so: it is 22 base64url characters and a dot).
fn client_subject(client: &ClientId) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, client.as_str().as_bytes());
    format!("c.{}", URL_SAFE_NO_PAD.encode(&digest.as_ref()[..16]))
}

/// What counting an attempt found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counted {
    /// Which of source-and-account, source and account counted the attempt.
    counted: [bool; 3],
    /// Whether the source signed in to the account successfully before.
    pub known: bool,
    /// The narrowest budget that refused it; `None`: admitted.
    pub exhausted: Option<Exhausted>,
}

impl SignInCounters {
    /// The counters of an attempt at `account` (its name and lockout epoch; `None` for a name
    /// that is no account) from `source` at `now`.
    pub fn new(
        policy: &LockoutPolicy,
        account: Option<(&Username, u64)>,
        source: &SourceAddress,
        now: UnixSeconds,
    ) -> Self {
        let account = match account {
            Some((username, lockout_epoch)) => account_subject(username, lockout_epoch),
            None => NO_ACCOUNT.to_owned(),
        };
        SignInCounters {
            known_source: KnownSource::new(&account, source, policy, now),
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

    /// The counters of an attempt to authenticate `client` with a secret from `source` at
    /// `now`: the same budgets as passwords, the same per-source counter (an address that
    /// guesses is one guesser, whatever it guesses), and the client's own two.
    pub fn for_client(
        policy: &LockoutPolicy,
        client: &ClientId,
        source: &SourceAddress,
        now: UnixSeconds,
    ) -> Self {
        let subject = client_subject(client);
        SignInCounters {
            known_source: KnownSource::new(&subject, source, policy, now),
            source_and_account: Counter::new(
                "p",
                &format!("{subject}#{source}"),
                &policy.per_source_and_account,
                now,
            ),
            source: Counter::new("s", source.as_str(), &policy.per_source, now),
            account: Counter::new("a", &subject, &policy.per_account, now),
        }
    }

    /// Counts the attempt on all three counters at once, each only while under its limit,
    /// looks up whether its source is known to the account (at the same time), and says which
    /// budget, if any, refused it. An error means the attempt could not be counted: the
    /// caller must refuse to check the password (fail closed).
    pub async fn count(
        &self,
        store: &dyn AttemptStore,
        policy: &LockoutPolicy,
        now: UnixSeconds,
    ) -> Result<Counted, StoreError> {
        let (pair, source, account, known) = tokio::try_join!(
            store.count(&self.source_and_account, now),
            store.count(&self.source, now),
            store.count(&self.account, now),
            async {
                // Not knowing is the safe side (the ceiling then applies): a failed read
                // must not refuse an attempt whose counts already landed.
                Ok(store
                    .is_known(&self.known_source, now)
                    .await
                    .unwrap_or_else(|err| {
                        tracing::warn!(error = %err, "could not read a known source; treated as unknown");
                        false
                    }))
            },
        )?;
        let counted = [pair, source, account];
        Ok(Counted {
            counted,
            known,
            exhausted: policy.exhausted(counted, known),
        })
    }

    /// After a successful sign-in, in one settlement: the narrow counter starts again, the two
    /// wide ones give back the attempt just counted (so an office behind one address, or an
    /// account that signs in often, never spends its budget by succeeding), and the source
    /// becomes (or stays) known to the account. Only what the attempt counted is given back:
    /// a known source admitted past a full ceiling did not count on it.
    pub async fn settle_success(
        &self,
        store: &dyn AttemptStore,
        counted: &Counted,
    ) -> Result<(), StoreError> {
        let [_, source, account] = counted.counted;
        let refund = |counter, counted: bool| CounterUpdate {
            counter,
            change: Change::Keep {
                refund: counted,
                failure_at: None,
            },
        };
        store
            .settle(
                &[
                    CounterUpdate {
                        counter: &self.source_and_account,
                        change: Change::Clear,
                    },
                    refund(&self.source, source),
                    refund(&self.account, account),
                ],
                Some(&self.known_source),
            )
            .await
    }

    /// After a failed sign-in, in one settlement: when the account last failed (operators' view),
    /// and, if a budget refused the attempt, what it counted on the account's budgets given
    /// back. What it counted on the source's budget stays counted: see
    /// [`crate::domain::lockout`] for why.
    pub async fn settle_failure(
        &self,
        store: &dyn AttemptStore,
        counted: &Counted,
        at: UnixSeconds,
    ) -> Result<(), StoreError> {
        let refused = counted.exhausted.is_some();
        let update = |counter, counted: bool, failure_at| CounterUpdate {
            counter,
            change: Change::Keep {
                refund: refused && counted,
                failure_at,
            },
        };
        let [pair, _, account] = counted.counted;
        store
            .settle(
                &[
                    update(&self.source_and_account, pair, None),
                    update(&self.source, false, None),
                    update(&self.account, account, Some(at)),
                ],
                None,
            )
            .await
    }
}

/// What settling writes to one counter. Every settlement writes all three counters of its
/// attempt, whatever the outcome, so outcomes cannot be told apart by the work they cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CounterUpdate<'a> {
    pub counter: &'a Counter,
    pub change: Change,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Deleted: the count starts again.
    Clear,
    /// Kept, giving back one attempt if `refund` (never below zero: a refund may land after
    /// the counter was cleared), and noting the last failure if given.
    Keep {
        refund: bool,
        failure_at: Option<UnixSeconds>,
    },
}

/// What the sign-in budgets need of a store. Each method is one store operation.
#[async_trait::async_trait]
pub trait AttemptStore: Send + Sync {
    /// Adds one to `counter` atomically if it is under its limit; says whether it did.
    async fn count(&self, counter: &Counter, now: UnixSeconds) -> Result<bool, StoreError>;

    /// Writes `updates` (to distinct counters) as one settlement, with the mark of a
    /// `known` source if given: one write each, at once.
    async fn settle(
        &self,
        updates: &[CounterUpdate<'_>],
        known: Option<&KnownSource>,
    ) -> Result<(), StoreError>;

    /// Whether `source` is marked and the mark has not expired at `now`.
    async fn is_known(&self, source: &KnownSource, now: UnixSeconds) -> Result<bool, StoreError>;

    /// The counter as stored (zero if absent).
    async fn read(&self, counter: &Counter) -> Result<CounterState, StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counters(name: &str, epoch: u64, source: &str, now: UnixSeconds) -> SignInCounters {
        let username = Username::parse(name).unwrap();
        SignInCounters::new(
            &LockoutPolicy::default(),
            Some((&username, epoch)),
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
    fn names_that_are_no_account_share_one_subject_and_leave_no_trace() {
        let policy = LockoutPolicy::default();
        let source = SourceAddress::parse("203.0.113.7").unwrap();
        let none = SignInCounters::new(&policy, None, &source, 1_000_000);
        assert_eq!(none.account.key, "att#a#none#3600:277");
        assert_eq!(
            none.source_and_account.key,
            "att#p#none#203.0.113.7#300:3333"
        );
        assert_eq!(none.account.limit, policy.per_account.limit);
    }

    #[test]
    fn a_client_has_counters_of_its_own_and_shares_the_source_budget() {
        let policy = LockoutPolicy::default();
        let source = SourceAddress::parse("203.0.113.7").unwrap();
        let id = ClientId::parse("johndoe").unwrap();
        let client = SignInCounters::for_client(&policy, &id, &source, 1_000_000);
        let user = counters("johndoe", 0, "203.0.113.7", 1_000_000);
        assert!(
            client.account.key.starts_with("att#a#c."),
            "{}",
            client.account.key
        );
        assert_ne!(client.account, user.account);
        assert_ne!(client.source_and_account, user.source_and_account);
        assert_eq!(client.source, user.source);
        assert!(!client.account.key.contains("johndoe"));
    }

    #[test]
    fn an_unlock_forgets_known_sources_and_keys_name_neither_user_nor_password() {
        let before = counters("johndoe", 0, "203.0.113.7", 1_000_000);
        let after = counters("johndoe", 1, "203.0.113.7", 1_000_000);
        assert_ne!(before.known_source, after.known_source);
        assert!(before.known_source.key.starts_with("known#"));
        assert!(before.known_source.key.ends_with("#203.0.113.7"));
        assert!(!before.known_source.key.contains("johndoe"));
        assert_eq!(
            before.known_source.expires_at,
            1_000_000 + crate::domain::lockout::REMEMBER_SOURCES_FOR as i64
        );
        let elsewhere = counters("johndoe", 0, "198.51.100.1", 1_000_000);
        assert_ne!(before.known_source, elsewhere.known_source);
        let client = SignInCounters::for_client(
            &LockoutPolicy::default(),
            &ClientId::parse("johndoe").unwrap(),
            &SourceAddress::parse("203.0.113.7").unwrap(),
            1_000_000,
        );
        assert_ne!(client.known_source, before.known_source);
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
