//! Password hashing: Argon2id at the OWASP minimum (m=19456 KiB, t=2, p=1) in PHC strings.
//!
//! Hashing is CPU-bound for tens of milliseconds and needs 19 MiB, so the async entry points run
//! it on tokio's blocking pool (concurrent sign-ins do not queue behind each other on the async
//! threads) and at most one hash per core at a time: more would not finish sooner, only hold
//! more memory.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::LazyLock;

use argon2::password_hash::phc::PasswordHash;
use argon2::{Algorithm, Argon2, Params, PasswordHasher as _, PasswordVerifier as _, Version};
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

fn argon2() -> Argon2<'static> {
    let params = Params::new(M_COST_KIB, T_COST, P_COST, None).expect("OWASP parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Checks the length rules every stored password must meet.
pub fn check_password_rules(password: &str) -> Result<(), PasswordError> {
    if password.is_empty() {
        return Err(PasswordError::Empty);
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(PasswordError::TooLong);
    }
    Ok(())
}

/// Hashes a new password with a fresh random salt (blocking: call from a blocking context).
pub fn hash_password_blocking(password: &str) -> Result<String, PasswordError> {
    check_password_rules(password)?;
    argon2()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| PasswordError::Hashing(e.to_string()))
}

/// Argon2 verifications run by this process: lets tests prove that every sign-in pays for one.
static VERIFICATIONS: AtomicU64 = AtomicU64::new(0);

pub fn verifications_so_far() -> u64 {
    VERIFICATIONS.load(Ordering::Relaxed)
}

/// Verifies `password` against a stored PHC string, or against the dummy hash when there is no
/// stored one, so both paths cost the same. A malformed stored hash verifies as false.
pub fn verify_password_blocking(password: &str, stored: Option<&str>) -> bool {
    VERIFICATIONS.fetch_add(1, Ordering::Relaxed);
    let (phc, real) = match stored {
        Some(phc) => (phc, true),
        None => (DUMMY_HASH, false),
    };
    let matches = match PasswordHash::new(phc) {
        Ok(parsed) => argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => {
            // Burn the same time as a real check before failing.
            let _ = argon2().verify_password(password.as_bytes(), DUMMY_HASH);
            false
        }
    };
    real && matches
}

/// One permit per core: the most Argon2 computations worth running at once.
static HASHING_SLOTS: LazyLock<Semaphore> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    Semaphore::new(cores)
});

/// Runs `work` on the blocking pool once a hashing slot is free.
async fn run_hashing<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, PasswordError> {
    let _slot = HASHING_SLOTS
        .acquire()
        .await
        .map_err(|e| PasswordError::Hashing(e.to_string()))?;
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| PasswordError::Hashing(e.to_string()))
}

/// Async wrapper of [`hash_password_blocking`] on the blocking pool.
pub async fn hash_password(password: String) -> Result<String, PasswordError> {
    run_hashing(move || hash_password_blocking(&password)).await?
}

/// Async wrapper of [`verify_password_blocking`] on the blocking pool.
pub async fn verify_password(password: String, stored: Option<String>) -> bool {
    run_hashing(move || verify_password_blocking(&password, stored.as_deref()))
        .await
        .unwrap_or(false)
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

    #[test]
    fn hashes_are_argon2id_phc_strings_at_owasp_parameters() {
        let hash = hash_password_blocking("correct horse").unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(!needs_rehash(&hash));
    }

    #[test]
    fn salts_differ_between_hashes_of_one_password() {
        let a = hash_password_blocking("same").unwrap();
        let b = hash_password_blocking("same").unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn verifies_the_right_password_only() {
        let hash = hash_password_blocking("secret").unwrap();
        assert!(verify_password_blocking("secret", Some(&hash)));
        assert!(!verify_password_blocking("Secret", Some(&hash)));
        assert!(!verify_password_blocking("", Some(&hash)));
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
    }
}
