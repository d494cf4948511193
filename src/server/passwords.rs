//! Password hashing with Argon2id (SPEC §7). Hashing is CPU-heavy and takes
//! 19 MiB per hash, so it runs on the blocking pool behind a gate: a few at
//! once, a short queue that waits a little, and `Busy` beyond that. That is
//! what bounds the memory anonymous sign-in and first-run calls can take.

use crate::domain::AppError;
use argon2::{
    password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Argon2,
};
use std::{
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, OnceLock,
    },
    time::Duration,
};
use tokio::sync::Semaphore;

/// How long a request waits for a hashing slot before it is told to retry.
const MAX_WAIT: Duration = Duration::from_secs(5);
/// Requests waiting per slot; more are refused at once, holding nothing.
const QUEUE_PER_SLOT: usize = 32;

struct HashGate {
    slots: Arc<Semaphore>,
    waiting: AtomicUsize,
    max_waiting: usize,
}

static GATE: OnceLock<HashGate> = OnceLock::new();

/// Sets how many hashes may run at once; the first call wins (one server per
/// process). Without a call, one per CPU.
pub fn limit_concurrent_hashes(slots: usize) {
    let _ = GATE.set(HashGate::new(slots));
}

impl HashGate {
    fn new(slots: usize) -> Self {
        let slots = slots.max(1);
        HashGate {
            slots: Arc::new(Semaphore::new(slots)),
            waiting: AtomicUsize::new(0),
            max_waiting: slots * QUEUE_PER_SLOT,
        }
    }

    fn get() -> &'static HashGate {
        GATE.get_or_init(|| {
            HashGate::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
        })
    }

    /// Runs `work` on the blocking pool once a slot is free. The slot is held
    /// by the work itself, so a client that hangs up does not free it early.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AppError> {
        if self.waiting.fetch_add(1, Ordering::SeqCst) >= self.max_waiting {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            return Err(AppError::Busy);
        }
        let slot = tokio::time::timeout(MAX_WAIT, self.slots.clone().acquire_owned()).await;
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        let slot = match slot {
            Ok(Ok(slot)) => slot,
            Ok(Err(_)) | Err(_) => return Err(AppError::Busy),
        };
        tokio::task::spawn_blocking(move || {
            let _slot = slot;
            work()
        })
        .await
        .map_err(|e| internal("password hashing task", e))
    }
}

pub const MIN_PASSWORD_LEN: usize = 8;
/// Long passphrases are welcome; this only stops absurd request bodies.
pub const MAX_PASSWORD_LEN: usize = 1024;

pub fn check_password_rules(password: &str) -> Result<(), AppError> {
    let length = password.chars().count();
    if length < MIN_PASSWORD_LEN {
        return Err(AppError::invalid(format!(
            "The password must have at least {MIN_PASSWORD_LEN} characters."
        )));
    }
    if length > MAX_PASSWORD_LEN {
        return Err(AppError::invalid(format!(
            "The password must have at most {MAX_PASSWORD_LEN} characters."
        )));
    }
    Ok(())
}

pub async fn hash_password(password: String) -> Result<String, AppError> {
    HashGate::get()
        .run(move || {
            let salt = SaltString::generate(&mut OsRng);
            Argon2::default()
                .hash_password(password.as_bytes(), &salt)
                .map(|hash| hash.to_string())
        })
        .await?
        .map_err(|e| internal("password hashing", e))
}

/// Whether `password` matches the stored hash; `Busy` when no hashing slot
/// came free in time.
pub async fn verify_password(password: String, phc: String) -> Result<bool, AppError> {
    HashGate::get()
        .run(move || {
            PasswordHash::new(&phc)
                .map(|parsed| {
                    Argon2::default()
                        .verify_password(password.as_bytes(), &parsed)
                        .is_ok()
                })
                .unwrap_or(false)
        })
        .await
}

/// Does the work of one verification against a hash of nothing in
/// particular: a failed sign-in for an unknown email, or for a user with no
/// password yet, then takes as long as a wrong password.
pub async fn verify_against_nothing(password: String) -> Result<(), AppError> {
    HashGate::get()
        .run(move || {
            if let Ok(parsed) = PasswordHash::new(dummy_hash()) {
                let _ = Argon2::default().verify_password(password.as_bytes(), &parsed);
            }
        })
        .await
}

fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(b"not a real password", &salt)
            .unwrap()
            .to_string()
    })
}

fn internal(context: &str, error: impl std::fmt::Display) -> AppError {
    tracing::error!("{context}: {error}");
    AppError::Internal
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_and_verify() {
        let hash = hash_password("correct horse battery".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(
            verify_password("correct horse battery".into(), hash.clone())
                .await
                .unwrap()
        );
        assert!(!verify_password("wrong horse battery".into(), hash)
            .await
            .unwrap());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_gate_runs_few_at_once_and_refuses_a_long_queue() {
        let gate = Arc::new(HashGate::new(1));
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let calls = (0..40).map(|_| {
            let (gate, running, most) = (gate.clone(), running.clone(), most.clone());
            tokio::spawn(async move {
                gate.run(move || {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(20));
                    running.fetch_sub(1, Ordering::SeqCst);
                })
                .await
            })
        });
        let results: Vec<_> = futures_join_all(calls).await;
        assert_eq!(
            most.load(Ordering::SeqCst),
            1,
            "one slot: never two at once"
        );
        let busy = results
            .iter()
            .filter(|r| **r == Err(AppError::Busy))
            .count();
        assert!(
            busy >= 40 - 1 - QUEUE_PER_SLOT,
            "beyond the queue, callers are refused: {busy}"
        );
        assert!(results.iter().filter(|r| r.is_ok()).count() >= 1);
    }

    async fn futures_join_all<T>(
        handles: impl Iterator<Item = tokio::task::JoinHandle<T>>,
    ) -> Vec<T> {
        let mut out = Vec::new();
        for handle in handles.collect::<Vec<_>>() {
            out.push(handle.await.unwrap());
        }
        out
    }

    #[test]
    fn minimum_length_is_eight() {
        assert!(check_password_rules("1234567").is_err());
        assert!(check_password_rules("12345678").is_ok());
        assert!(check_password_rules(&"x".repeat(200)).is_ok());
    }
}
