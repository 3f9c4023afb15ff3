//! Password hashing: Argon2id at the OWASP minimum (m=19456 KiB, t=2, p=1) in PHC strings.
//!
//! Hashing is CPU-bound for tens of milliseconds and needs 19 MiB, so the async entry points run
//! it on tokio's blocking pool (concurrent sign-ins do not queue behind each other on the async
//! threads) and at most one hash per core at a time: more would not finish sooner, only hold
//! more memory.

use std::cell::RefCell;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock};

use argon2::password_hash::phc::{Output, PasswordHash};
use argon2::{Algorithm, Argon2, Block, Params, PasswordHasher as _, Version};
use secrecy::{ExposeSecret as _, SecretString};
use tokio::sync::Semaphore;

/// OWASP Password Storage Cheat Sheet, Argon2id first option.
pub const M_COST_KIB: u32 = 19_456;
pub const T_COST: u32 = 2;
pub const P_COST: u32 = 1;

/// Longest password accepted. Argon2 pre-hashes its input, so this bounds only memory and
/// the request size, not CPU; it is far above any real passphrase.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// A hash of a random, discarded password at the current parameters. Verifying against it
/// costs what a real verification costs, so an unknown username takes as long as a known one.
/// A unit test keeps its parameters equal to the current ones.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$LYb5hMY3Te6Y/Tf+mt0z8w$PNtBa4lt4S7+Pp5bw3L5FJHwUW8Ui2XHh4qNRwr9wXM";

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("password must not be empty")]
    Empty,
    #[error("password must be at most {MAX_PASSWORD_BYTES} bytes")]
    TooLong,
    #[error("password hashing failed: {0}")]
    Hashing(String),
}

/// A password as a client or operator typed it: non-empty, at most [`MAX_PASSWORD_BYTES`].
/// Its `Debug` never shows it, it has no `Display`, and its memory is zeroed when dropped.
#[derive(Clone)]
pub struct Password(SecretString);

impl Password {
    pub fn parse(password: impl Into<String>) -> Result<Self, PasswordError> {
        let password = SecretString::from(password.into());
        check_password_rules(password.expose_secret())?;
        Ok(Self(password))
    }

    /// The password itself, for hashing. Never for logs.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(redacted)")
    }
}

fn argon2() -> Argon2<'static> {
    let params = Params::new(M_COST_KIB, T_COST, P_COST, None).expect("OWASP parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Checks the length rules every stored password must meet.
fn check_password_rules(password: &str) -> Result<(), PasswordError> {
    if password.is_empty() {
        return Err(PasswordError::Empty);
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(PasswordError::TooLong);
    }
    Ok(())
}

/// Hashes a new password with a fresh random salt (blocking: call from a blocking context).
pub fn hash_password_blocking(password: &Password) -> Result<String, PasswordError> {
    argon2()
        .hash_password(password.expose().as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| PasswordError::Hashing(e.to_string()))
}

thread_local! {
    /// Argon2's 19 MiB of working memory, kept per thread and reused by every verification on
    /// it. Allocating it per hash left glibc holding hundreds of MiB (measured: 218 MiB resident
    /// after 50 verifications on one thread, 650 MiB with three threads); reusing it keeps a
    /// process at 19 MiB per hashing thread, with no page faults per hash.
    static WORK_MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// Recomputes the hash `phc` describes for `password` on this thread's reusable memory and
/// compares it in constant time. `None` when `phc` is not a usable Argon2 PHC string.
fn matches_phc(password: &str, phc: &str) -> Option<bool> {
    let parsed = PasswordHash::new(phc).ok()?;
    let (salt, expected) = (parsed.salt.as_ref()?, parsed.hash.as_ref()?);
    let algorithm = Algorithm::try_from(parsed.algorithm.as_str()).ok()?;
    let version = match parsed.version {
        Some(v) => Version::try_from(v).ok()?,
        None => Version::default(),
    };
    let argon2 = Argon2::new(algorithm, version, Params::try_from(&parsed).ok()?);
    let mut buffer = [0u8; Output::MAX_LENGTH];
    let out = buffer.get_mut(..expected.len())?;
    WORK_MEMORY
        .with_borrow_mut(|blocks| {
            let needed = argon2.params().block_count();
            if blocks.len() < needed {
                blocks.resize(needed, Block::new());
            }
            // Every block is overwritten in the first pass, so earlier contents do not matter.
            argon2.hash_password_into_with_memory(
                password.as_bytes(),
                salt.as_ref(),
                out,
                &mut blocks[..needed],
            )
        })
        .ok()?;
    // `Output`'s equality is constant-time.
    Some(Output::new(out).ok()? == *expected)
}

/// Verifies `password` against a stored PHC string, or against the dummy hash when there is no
/// stored one, so both paths cost the same. A malformed stored hash verifies as false (after
/// the same work).
pub fn verify_password_blocking(password: &str, stored: Option<&str>) -> bool {
    let (phc, real) = match stored {
        Some(phc) => (phc, true),
        None => (DUMMY_HASH, false),
    };
    match matches_phc(password, phc) {
        Some(matches) => real && matches,
        None => {
            let _ = matches_phc(password, DUMMY_HASH);
            false
        }
    }
}

/// One permit per core: the most Argon2 computations worth running at once.
static HASHING_SLOTS: LazyLock<Arc<Semaphore>> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    Arc::new(Semaphore::new(cores))
});

/// Runs `work` on the blocking pool once a hashing slot is free. The slot is released on the
/// blocking thread the moment the work ends, so the next hash starts without waiting for this
/// task to be polled again.
async fn run_hashing<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, PasswordError> {
    let slot = Arc::clone(&HASHING_SLOTS)
        .acquire_owned()
        .await
        .map_err(|e| PasswordError::Hashing(e.to_string()))?;
    tokio::task::spawn_blocking(move || {
        let result = work();
        drop(slot);
        result
    })
    .await
    .map_err(|e| PasswordError::Hashing(e.to_string()))
}

/// Argon2 for request handling: on the blocking pool, at most one hash per core, and counted,
/// so tests can prove that every sign-in pays for exactly one verification.
#[derive(Debug, Default)]
pub struct PasswordHasher {
    verifications: AtomicU64,
    /// Of those, the ones against a stored hash (not the dummy): what a guesser gets.
    checks_of_stored_hashes: AtomicU64,
}

impl PasswordHasher {
    pub fn new() -> Self {
        Self::default()
    }

    /// [`hash_password_blocking`] on the blocking pool.
    pub async fn hash(&self, password: &Password) -> Result<String, PasswordError> {
        let password = password.clone();
        run_hashing(move || hash_password_blocking(&password)).await?
    }

    /// [`verify_password_blocking`] on the blocking pool. A failure to run counts as a
    /// mismatch: it can only refuse a sign-in, never allow one.
    pub async fn verify(&self, password: &Password, stored: Option<String>) -> bool {
        self.verifications.fetch_add(1, Ordering::Relaxed);
        if stored.is_some() {
            self.checks_of_stored_hashes.fetch_add(1, Ordering::Relaxed);
        }
        let password = password.clone();
        run_hashing(move || verify_password_blocking(password.expose(), stored.as_deref()))
            .await
            .unwrap_or(false)
    }

    /// Verifications started through this hasher.
    pub fn verifications(&self) -> u64 {
        self.verifications.load(Ordering::Relaxed)
    }

    /// Verifications made against a stored hash (the dummy hash not counted): how many
    /// guesses were really checked.
    pub fn checks_of_stored_hashes(&self) -> u64 {
        self.checks_of_stored_hashes.load(Ordering::Relaxed)
    }
}

/// True when a stored hash is not Argon2id v19 at exactly the current parameters, so it is
/// replaced at the next successful sign-in: raising the parameters here upgrades every user.
pub fn needs_rehash(stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return true;
    };
    if parsed.algorithm != Algorithm::Argon2id.ident() || parsed.version != Some(0x13) {
        return true;
    }
    match Params::try_from(&parsed) {
        Ok(p) => (p.m_cost(), p.t_cost(), p.p_cost()) != (M_COST_KIB, T_COST, P_COST),
        Err(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pw(text: &str) -> Password {
        Password::parse(text).unwrap()
    }

    #[test]
    fn hashes_are_argon2id_phc_strings_at_owasp_parameters() {
        let hash = hash_password_blocking(&pw("correct horse")).unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(!needs_rehash(&hash));
    }

    #[test]
    fn salts_differ_between_hashes_of_one_password() {
        let a = hash_password_blocking(&pw("same")).unwrap();
        let b = hash_password_blocking(&pw("same")).unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn verifies_the_right_password_only() {
        let hash = hash_password_blocking(&pw("secret")).unwrap();
        assert!(verify_password_blocking("secret", Some(&hash)));
        assert!(!verify_password_blocking("Secret", Some(&hash)));
        assert!(!verify_password_blocking("", Some(&hash)));
    }

    #[test]
    fn reused_memory_verification_agrees_with_the_crates_verifier() {
        use argon2::PasswordVerifier as _;
        // Different parameters in turn, so the reused buffer is dirty and resized between runs.
        let hashers = [
            argon2(),
            Argon2::new(
                Algorithm::Argon2id,
                Version::V0x13,
                Params::new(8, 3, 1, None).unwrap(),
            ),
            Argon2::new(
                Algorithm::Argon2i,
                Version::V0x10,
                Params::new(64, 1, 2, Some(16)).unwrap(),
            ),
            Argon2::new(
                Algorithm::Argon2d,
                Version::V0x13,
                Params::new(4096, 1, 1, Some(64)).unwrap(),
            ),
        ];
        for (i, hasher) in hashers.iter().enumerate() {
            let password = format!("password-{i}");
            let phc = hasher
                .hash_password(password.as_bytes())
                .unwrap()
                .to_string();
            let parsed = PasswordHash::new(&phc).unwrap();
            assert!(hasher.verify_password(password.as_bytes(), &parsed).is_ok());
            assert_eq!(matches_phc(&password, &phc), Some(true), "{phc}");
            assert_eq!(matches_phc("other", &phc), Some(false), "{phc}");
            assert!(verify_password_blocking(&password, Some(&phc)));
        }
    }

    #[test]
    fn no_stored_hash_or_a_broken_one_never_verifies() {
        assert!(!verify_password_blocking("anything", None));
        assert!(!verify_password_blocking(
            "anything",
            Some("not a phc string")
        ));
    }

    #[test]
    fn dummy_hash_uses_the_current_parameters() {
        assert!(!needs_rehash(DUMMY_HASH), "regenerate DUMMY_HASH");
    }

    #[test]
    fn weaker_or_foreign_hashes_need_rehash() {
        let weak = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(4096, 1, 1, None).unwrap(),
        )
        .hash_password(b"pw")
        .unwrap()
        .to_string();
        assert!(needs_rehash(&weak));
        assert!(needs_rehash("$2b$12$abcdefghijklmnopqrstuv"));
    }

    #[test]
    fn length_rules() {
        assert!(matches!(
            check_password_rules(""),
            Err(PasswordError::Empty)
        ));
        let long = "x".repeat(MAX_PASSWORD_BYTES + 1);
        assert!(matches!(
            check_password_rules(&long),
            Err(PasswordError::TooLong)
        ));
        assert!(check_password_rules(&"x".repeat(MAX_PASSWORD_BYTES)).is_ok());
        assert!(matches!(Password::parse(""), Err(PasswordError::Empty)));
    }

    #[test]
    fn passwords_never_show_in_debug_output() {
        let password = pw("hunter2-is-my-password");
        let shown = format!("{password:?} {:?}", Some(&password));
        assert!(!shown.contains("hunter2"), "{shown}");
        assert_eq!(password.expose(), "hunter2-is-my-password");
    }

    #[tokio::test]
    async fn the_hasher_counts_its_verifications() {
        let hasher = PasswordHasher::new();
        let hash = hasher.hash(&pw("secret")).await.unwrap();
        assert!(hasher.verify(&pw("secret"), Some(hash.clone())).await);
        assert!(!hasher.verify(&pw("other"), Some(hash)).await);
        assert!(!hasher.verify(&pw("secret"), None).await);
        assert_eq!(hasher.verifications(), 3);
        assert_eq!(hasher.checks_of_stored_hashes(), 2);
    }
}
