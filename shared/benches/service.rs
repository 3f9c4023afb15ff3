//! Prints speed and memory figures for the hot paths. Not a pass/fail test: run it and read.
//!
//!     cargo bench -p token-service --bench service
//!     cargo bench -p token-service --bench service -- throughput     # that part alone

#[path = "../tests/service/support/mod.rs"]
mod support;

#[path = "service/sign_in.rs"]
mod sign_in;

#[path = "service/code_flow.rs"]
mod code_flow;

#[path = "service/throughput.rs"]
mod throughput;

use sign_in::{kms_vs_local_signing, uniform_cost};

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use support::{Backend, TestApp, NOW};
use token_service::domain::ScopeSet;
use token_service::passwords;
use token_service::store::MemoryUserStore;

struct Stats {
    samples: Vec<Duration>,
}

impl Stats {
    fn percentile(&self, p: f64) -> Duration {
        let mut sorted = self.samples.clone();
        sorted.sort();
        sorted[((sorted.len() - 1) as f64 * p).round() as usize]
    }

    fn print(&self, name: &str) {
        let total: Duration = self.samples.iter().sum();
        println!(
            "{name:<44} n={:<6} mean={:>10.3?} p50={:>10.3?} p99={:>10.3?}",
            self.samples.len(),
            total / self.samples.len() as u32,
            self.percentile(0.5),
            self.percentile(0.99),
        );
    }
}

fn measure(n: usize, mut op: impl FnMut()) -> Stats {
    op(); // warm-up
    let samples = (0..n)
        .map(|_| {
            let start = Instant::now();
            op();
            start.elapsed()
        })
        .collect();
    Stats { samples }
}

async fn measure_async<F: Future>(n: usize, mut op: impl FnMut() -> F) -> Stats {
    op().await;
    let mut samples = Vec::with_capacity(n);
    for _ in 0..n {
        let start = Instant::now();
        op().await;
        samples.push(start.elapsed());
    }
    Stats { samples }
}

fn peak_rss_kib() -> Option<u64> {
    status_kib("VmHWM:")
}

fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// A confidential client's own token (client credentials, HTTP Basic: one Argon2
/// verification of the secret) and introspection of a user's access token (the caller's
/// secret checked too), on `app`'s stores.
async fn clients(app: &TestApp, stores: &str) {
    let basic = support::basic("service", support::SERVICE_SECRET);
    let headers = [("authorization", basic.as_str())];
    measure_async(30, || async {
        let r = app
            .token_with(&headers, "grant_type=client_credentials")
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    })
    .await
    .print(&format!("POST /token client_credentials, {stores}"));
    let token = app.mint("johndoe", "me items").await;
    let form = format!("token={token}");
    measure_async(30, || async {
        let r = app.introspect(&headers, &form).await;
        assert_eq!(r.json()["active"], true, "{}", r.text);
    })
    .await
    .print(&format!("POST /introspect, {stores}"));
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    println!(
        "cores: {}",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
    // `cargo bench -p token-service --bench service -- throughput`: that part alone.
    if std::env::args().skip(1).any(|arg| arg == "throughput") {
        let app = TestApp::start_with(
            Arc::new(MemoryUserStore::with_users(support::test_users())),
            Backend::MemoryOverSocket,
        )
        .await;
        throughput::throughput(Arc::new(app)).await;
        return;
    }

    let hash = passwords::hash_password_blocking(&support::password("secret")).unwrap();
    measure(20, || {
        assert!(passwords::verify_password_blocking("secret", Some(&hash)))
    })
    .print("argon2id verify (m=19456,t=2,p=1)");
    measure(20, || {
        assert!(!passwords::verify_password_blocking("secret", None))
    })
    .print("argon2id verify, unknown user (dummy hash)");

    // The machine's own ceiling for parallel Argon2 (memory-bound: shared caches and memory
    // bandwidth, or vCPUs that are hyper-threads of one core, cap it below the core count).
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let per_thread = 8;
    let start = Instant::now();
    for _ in 0..per_thread * cores {
        passwords::verify_password_blocking("secret", Some(&hash));
    }
    let one_thread = start.elapsed();
    let start = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..cores {
            scope.spawn(|| {
                for _ in 0..per_thread {
                    passwords::verify_password_blocking("secret", Some(&hash));
                }
            });
        }
    });
    let all_threads = start.elapsed();
    println!(
        "{} argon2id verifications: 1 thread {one_thread:.3?}, {cores} threads {all_threads:.3?} (machine ceiling {:.2}x)",
        per_thread * cores,
        one_thread.as_secs_f64() / all_threads.as_secs_f64()
    );
    println!(
        "resident memory after the Argon2 runs: {:.1} MiB",
        status_kib("VmRSS:").unwrap_or(0) as f64 / 1024.0
    );
    let app = TestApp::start_with(
        Arc::new(MemoryUserStore::with_users(support::test_users())),
        Backend::MemoryOverSocket,
    )
    .await;
    let user = support::username("johndoe");
    let scope = ScopeSet::parse("me items").unwrap();
    measure_async(5_000, || async {
        app.issuer
            .issue(support::ISSUER, &user, &scope, None, NOW)
            .await
            .unwrap();
    })
    .await
    .print("jwt issue (RS256, in-process key)");
    // Each token's first verification checks its RS256 signature; later ones find it in the
    // verification cache and check only what depends on the time and the key set.
    const TOKENS: usize = 2_000;
    let mut tokens = Vec::with_capacity(TOKENS + 1);
    for _ in 0..=TOKENS {
        tokens.push(app.mint("johndoe", "me items").await);
    }
    let verify_each = || {
        let next = std::cell::Cell::new(0);
        let (tokens, app) = (&tokens, &app);
        move || {
            let token = &tokens[next.replace(next.get() + 1)];
            async move {
                app.state
                    .verifier
                    .verify(token, support::ISSUER, NOW)
                    .await
                    .unwrap();
            }
        }
    };
    let checks = app.state.verifier.signature_checks();
    let first = measure_async(TOKENS, verify_each()).await;
    first.print("jwt verify, first sight (RS256 signature)");
    let again = measure_async(TOKENS, verify_each()).await;
    again.print("jwt verify, seen before (verification cache)");
    assert_eq!(
        app.state.verifier.signature_checks() - checks,
        TOKENS as u64 + 1,
        "the second pass checked no signature"
    );
    println!(
        "verification cache: a token seen before verifies {:.1}x faster (p50)",
        first.percentile(0.5).as_secs_f64() / again.percentile(0.5).as_secs_f64()
    );
    let secret = token_service::tokens::SigningSecret::new(vec![7u8; 32]).unwrap();
    let hs256 = token_service::tokens::TokenIssuer::new(
        &support::token_settings(),
        Arc::new(token_service::tokens::Hs256Signer::new(&secret)),
    );
    measure_async(20_000, || async {
        hs256
            .issue(support::ISSUER, &user, &scope, None, NOW)
            .await
            .unwrap();
    })
    .await
    .print("jwt issue (HS256 local opt-in, for comparison)");

    measure_async(30, || async {
        let r = app
            .token("username=johndoe&password=secret&scope=me+items")
            .await;
        assert_eq!(r.status, 200);
    })
    .await
    .print("POST /token over local HTTP, in-memory users");
    let mut unknown = 0;
    measure_async(30, || {
        // A new name each time: one name from one address would meet its budget after five.
        unknown += 1;
        let form = format!("username=nobody{unknown}&password=secret");
        let app = &app;
        async move {
            assert_eq!(app.token(&form).await.status, 400);
        }
    })
    .await
    .print("POST /token, unknown user (must match above)");
    // Outcomes from chosen addresses: straight into the router.
    let direct = TestApp::start_with(
        Arc::new(MemoryUserStore::with_users(support::test_users())),
        Backend::Memory,
    )
    .await;
    uniform_cost(&direct).await;
    let token = app.mint("johndoe", "me items").await;
    measure_async(5_000, || async {
        assert_eq!(app.get("/users/me/", Some(&token)).await.status, 200);
    })
    .await
    .print("GET /users/me/ over local HTTP");
    clients(&app, "over local HTTP, in memory").await;
    code_flow::code_flow(&app).await;
    if std::env::var("AWS_ENDPOINT_URL_DYNAMODB").is_ok() {
        let on_moto = TestApp::start(Backend::DynamoDb).await;
        clients(&on_moto, "DynamoDB on moto").await;
    } else {
        println!(
            "(client credentials and introspection on DynamoDB: run under scripts/with-moto.sh)"
        );
    }

    if std::env::var("AWS_ENDPOINT_URL_KMS").is_ok() {
        kms_vs_local_signing(&app).await;
    } else {
        println!("(KMS signing figures: run under scripts/with-moto.sh)");
    }

    let rss_before = peak_rss_kib();
    // Sign-ins one after another, then all at once: with hashing on the blocking pool the
    // concurrent batch finishes in about sequential / cores.
    const SIGN_INS: usize = 32;
    let start = Instant::now();
    for _ in 0..SIGN_INS {
        assert_eq!(
            app.token("username=johndoe&password=secret").await.status,
            200
        );
    }
    let sequential = start.elapsed();
    let app = Arc::new(app);
    let start = Instant::now();
    // Four at a time: the sign-in budget admits at most five attempts of one account from one
    // address in flight at once (each is counted before its password is checked).
    for _ in 0..SIGN_INS / 4 {
        let tasks: Vec<_> = (0..4)
            .map(|_| {
                let app = Arc::clone(&app);
                tokio::spawn(
                    async move { app.token("username=johndoe&password=secret").await.status },
                )
            })
            .collect();
        for task in tasks {
            assert_eq!(task.await.unwrap(), 200);
        }
    }
    let concurrent = start.elapsed();
    println!(
        "{SIGN_INS} sign-ins: sequential {sequential:.3?}, concurrent {concurrent:.3?} (speed-up {:.2}x)",
        sequential.as_secs_f64() / concurrent.as_secs_f64()
    );

    if let (Some(before), Some(after)) = (rss_before, peak_rss_kib()) {
        println!(
            "peak resident memory: {:.1} MiB before the sign-in batches, {:.1} MiB after",
            before as f64 / 1024.0,
            after as f64 / 1024.0
        );
    }

    throughput::throughput(app).await;
}
