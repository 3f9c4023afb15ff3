//! Signing a person in with a username and password: the one procedure behind every way of
//! doing it (the password grant; the hosted sign-in page of the code flow), so that the
//! sign-in budgets, the uniform cost, disabled users and the log events cannot differ
//! between them.

use crate::app::AppState;
use crate::attempts::{AttemptStore, SignInCounters};
use crate::clock::UnixSeconds;
use crate::domain::lockout::LockoutPolicy;
use crate::domain::{SourceAddress, User, Username};
use crate::error::ApiError;
use crate::passwords::{Password, PasswordHasher};
use crate::store::{StoreError, UserStore};

/// What signing in reads and writes, and nothing else (the IAM policy of every function that
/// signs people in must allow exactly these).
#[derive(Clone, Copy)]
pub struct SignInStores<'a> {
    pub users: &'a dyn UserStore,
    pub attempts: &'a dyn AttemptStore,
    pub passwords: &'a PasswordHasher,
    pub lockout: &'a LockoutPolicy,
}

impl<'a> SignInStores<'a> {
    pub fn of(state: &'a AppState) -> Self {
        SignInStores {
            users: state.store.as_ref(),
            attempts: state.attempts.as_ref(),
            passwords: &state.passwords,
            lockout: &state.lockout,
        }
    }
}

/// The account a sign-in names, read before anything is counted. The read depends on nothing
/// but the name, so callers run it beside their own first reads (the client's record).
#[derive(Debug)]
pub struct Candidate {
    username: Username,
    user: Option<User>,
}

impl Candidate {
    pub async fn read(users: &dyn UserStore, username: &Username) -> Result<Self, StoreError> {
        Ok(Candidate {
            username: username.clone(),
            user: users.get(username).await?,
        })
    }
}

/// A person who proved their password.
#[derive(Debug)]
pub struct Authenticated {
    pub user: User,
    /// Whether they had signed in from this source before (it then keeps its own budget past
    /// the account-wide ceiling).
    pub known_source: bool,
}

/// Why signing in did not succeed, grouped by what the person may be told.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// One answer for an unknown name, a wrong password, a disabled account and a spent
    /// budget, so that none of them can be told apart.
    #[error("Incorrect username or password")]
    Refused,
    /// A store could not count or read: never an answer about the credentials.
    #[error(transparent)]
    Unavailable(#[from] StoreError),
}

impl From<SignInError> for ApiError {
    fn from(err: SignInError) -> Self {
        match err {
            SignInError::Refused => ApiError::InvalidGrant,
            SignInError::Unavailable(err) => err.into(),
        }
    }
}

/// Checks `password` for the `candidate` account, coming from `source`. The attempt is counted
/// against the sign-in budgets before the password is looked at ([`SignInCounters::count`]):
/// parallel guesses each see a different count, so no more of them are checked than the
/// budgets allow, and a store that cannot count refuses (503) rather than check unguarded.
///
/// Every attempt then costs the same work whether the user exists, is disabled or is locked
/// out: one read, three counts and a known-source read, one Argon2 verification (against a
/// dummy hash when there is nothing real to check) and one settlement of all three counters
/// (a success's clears and refunds, a refusal's refunds, a failure's note), so neither the
/// answer nor its timing says which usernames exist or which budget is spent.
///
/// On success, `then` (what the sign-in is for: a session, a code) runs at the same time as
/// the settlement, so the person waits for one round of writes, not two.
pub async fn authenticate<T>(
    stores: SignInStores<'_>,
    candidate: Candidate,
    password: &Password,
    source: &SourceAddress,
    now: UnixSeconds,
    then: impl AsyncFnOnce(&User) -> T,
) -> Result<(Authenticated, T), SignInError> {
    let Candidate { username, user } = candidate;
    let counters = SignInCounters::new(
        stores.lockout,
        user.as_ref().map(|u| (&u.username, u.lockout_epoch)),
        source,
        now,
    );
    let counted = counters.count(stores.attempts, stores.lockout, now).await?;
    let exhausted = counted.exhausted;

    let stored_hash = user
        .as_ref()
        .filter(|_| exhausted.is_none())
        .map(|u| u.password_hash.clone());
    let password_ok = stores.passwords.verify(password, stored_hash).await;

    match user {
        Some(user) if password_ok && !user.disabled => {
            let (settled, (), done) = tokio::join!(
                counters.settle_success(stores.attempts, &counted),
                rehash_if_outdated(stores, &user, password),
                then(&user),
            );
            // A failed write must not cost the person the sign-in: the attempt then simply
            // stays counted, which errs on the safe side.
            if let Err(err) = settled {
                tracing::error!(error = %err, "could not settle a successful sign-in");
            }
            let signed_in = Authenticated {
                user,
                known_source: counted.known,
            };
            Ok((signed_in, done))
        }
        user => {
            let reason = match (&user, exhausted) {
                (_, Some(exhausted)) => exhausted.as_str(),
                (None, None) => "unknown user",
                (Some(_), None) if password_ok => "user disabled",
                (Some(_), None) => "wrong password",
            };
            // A failed write must not change the answer, or it would tell outcomes apart.
            if let Err(err) = counters
                .settle_failure(stores.attempts, &counted, now)
                .await
            {
                tracing::error!(error = %err, "could not settle a failed sign-in");
            }
            let locked_out = exhausted.is_some();
            match user {
                Some(user) => tracing::warn!(
                    event = "sign_in_refused",
                    username = %user.username,
                    %source,
                    reason,
                    locked_out,
                    "sign-in refused"
                ),
                // Not the name itself: people type passwords into the username field.
                None => tracing::warn!(
                    event = "sign_in_refused",
                    username_len = username.as_str().len(),
                    %source,
                    reason,
                    locked_out,
                    "sign-in refused"
                ),
            }
            Err(SignInError::Refused)
        }
    }
}

/// Upgrades a hash made at other parameters, only if it is still the hash this sign-in read
/// (an operator's new password may have landed meanwhile). It may not cost the person their
/// sign-in, so a failure is logged, not returned.
async fn rehash_if_outdated(stores: SignInStores<'_>, user: &User, password: &Password) {
    if !crate::passwords::needs_rehash(&user.password_hash) {
        return;
    }
    let rehashed = match stores.passwords.hash(password).await {
        Ok(hash) => stores
            .users
            .upgrade_password_hash(&user.username, &user.password_hash, &hash)
            .await
            .map_err(|e| e.to_string()),
        Err(err) => Err(err.to_string()),
    };
    match rehashed {
        Ok(true) => {
            tracing::info!(username = %user.username, "password re-hashed at current parameters")
        }
        Ok(false) => tracing::info!(
            username = %user.username,
            "password changed during sign-in; the new one is kept as it is"
        ),
        Err(error) => {
            tracing::error!(username = %user.username, %error, "password re-hash failed")
        }
    }
}
