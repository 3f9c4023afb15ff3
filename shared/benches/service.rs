//! Prints speed and memory figures for the hot paths. Not a pass/fail test: run it and read.
//!
//!     cargo bench -p token-service --bench service

#[path = "../tests/service/support/mod.rs"]
mod support;

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

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    println!(
        "cores: {}",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );

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
    let token = app.mint("johndoe", "me items").await;
    measure_async(20_000, || async {
        app.state
            .verifier
            .verify(&token, support::ISSUER, NOW)
            .await
            .unwrap();
    })
    .await
    .print("jwt verify (RS256, key from the cached set, all claims)");
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
    measure_async(30, || async {
        let r = app.token("username=nobody&password=secret").await;
        assert_eq!(r.status, 400);
    })
    .await
    .print("POST /token, unknown user (must match above)");
    uniform_cost(&app).await;
    let token = app.mint("johndoe", "me items").await;
    measure_async(5_000, || async {
        assert_eq!(app.get("/users/me/", Some(&token)).await.status, 200);
    })
    .await
    .print("GET /users/me/ over local HTTP");

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
    let tasks: Vec<_> = (0..SIGN_INS)
        .map(|_| {
            let app = Arc::clone(&app);
            tokio::spawn(async move { app.token("username=johndoe&password=secret").await.status })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap(), 200);
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
}

/// Token issue and `POST /token` with the signer a deployment uses (KMS, here moto's over
/// HTTP on 127.0.0.1) against the in-process key, as a ratio: the machine is noisy, the ratio
/// is what carries over.
async fn kms_vs_local_signing(app: &TestApp) {
    use token_service::keys::store::MemoryKeySetStore;
    use token_service::keys::{CachePolicy, KeySetCache};
    use token_service::tokens::{KmsSigner, TokenIssuer};

    let kms = aws_sdk_kms::Client::new(&aws_config::load_from_env().await);
    let key = kms
        .create_key()
        .key_spec(aws_sdk_kms::types::KeySpec::Rsa2048)
        .key_usage(aws_sdk_kms::types::KeyUsageType::SignVerify)
        .send()
        .await
        .expect("moto's KMS")
        .key_metadata()
        .unwrap()
        .arn()
        .unwrap()
        .to_owned();
    let keys = Arc::new(KeySetCache::new(
        Arc::new(MemoryKeySetStore::new()),
        CachePolicy::default(),
    ));
    let issuer = TokenIssuer::new(
        &support::token_settings(),
        Arc::new(KmsSigner::new(kms, keys, Some(key))),
    );
    let user = support::username("johndoe");
    let scope = ScopeSet::parse("me items").unwrap();
    // The first issue publishes the key (GetPublicKey, key-set write); not measured.
    issuer
        .issue(support::ISSUER, &user, &scope, None, NOW)
        .await
        .unwrap();
    let local = measure_async(300, || async {
        app.issuer
            .issue(support::ISSUER, &user, &scope, None, NOW)
            .await
            .unwrap();
    })
    .await;
    local.print("jwt issue, in-process RSA key");
    let remote = measure_async(300, || async {
        issuer
            .issue(support::ISSUER, &user, &scope, None, NOW)
            .await
            .unwrap();
    })
    .await;
    remote.print("jwt issue, KMS Sign (moto over HTTP)");

    let kms_state = token_service::AppState {
        issuer: Some(Arc::new(issuer)),
        ..app.state.clone()
    };
    let routers = [
        (
            "POST /token, in-process RSA key",
            token_service::http::router_of_all(app.state.clone()),
        ),
        (
            "POST /token, KMS Sign (moto)",
            token_service::http::router_of_all(kms_state),
        ),
    ];
    let mut p50s = Vec::new();
    for (name, router) in routers {
        let stats = measure_async(40, || {
            let router = router.clone();
            async move {
                use tower::ServiceExt as _;
                let request = axum::http::Request::post("/token")
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(axum::body::Body::from(
                        "username=johndoe&password=secret&scope=me",
                    ))
                    .unwrap();
                let response = router.oneshot(request).await.unwrap();
                assert_eq!(response.status(), 200);
            }
        })
        .await;
        stats.print(name);
        p50s.push(stats.percentile(0.5));
    }
    println!(
        "KMS signing vs in-process: issue p50 {:.1}x, POST /token p50 {:.2}x",
        remote.percentile(0.5).as_secs_f64() / local.percentile(0.5).as_secs_f64(),
        p50s[1].as_secs_f64() / p50s[0].as_secs_f64()
    );
}

/// The median `POST /token` time of every sign-in outcome, and the largest ratio between them:
/// timing must not tell a wrong password from an unknown, disabled or locked account.
async fn uniform_cost(app: &TestApp) {
    const RUNS: usize = 30;
    let johndoe = app
        .store
        .get(&support::username("johndoe"))
        .await
        .unwrap()
        .unwrap();
    // Fresh accounts per attempt where failures would otherwise lock the account and turn
    // the outcome into "locked".
    for i in 0..RUNS + 1 {
        for (prefix, disabled) in [("wrong", false), ("disabled", true)] {
            let mut user = johndoe.clone();
            user.username = support::username(&format!("{prefix}{i}"));
            user.disabled = disabled;
            app.store.insert(&user).await.unwrap();
        }
    }
    let mut locked = johndoe.clone();
    locked.username = support::username("locked");
    locked.failed_logins = 20;
    locked.last_failed_login = Some(NOW);
    app.store.insert(&locked).await.unwrap();

    /// (outcome, the form of attempt `i`, the status it must get)
    type Outcome<'a> = (&'a str, &'a dyn Fn(usize) -> String, u16);
    let outcomes: [Outcome; 5] = [
        (
            "success",
            &|_| "username=johndoe&password=secret".into(),
            200,
        ),
        (
            "wrong password",
            &|i| format!("username=wrong{i}&password=nope"),
            400,
        ),
        (
            "unknown user",
            &|_| "username=nobody&password=secret".into(),
            400,
        ),
        (
            "disabled user",
            &|i| format!("username=disabled{i}&password=secret"),
            400,
        ),
        (
            "locked account",
            &|_| "username=locked&password=secret".into(),
            400,
        ),
    ];
    let mut medians = Vec::new();
    for (name, form, status) in outcomes {
        let mut i = 0;
        let stats = measure_async(RUNS, || {
            i += 1;
            let form = form(i);
            async move {
                assert_eq!(app.token(&form).await.status, status, "{name}");
            }
        })
        .await;
        stats.print(&format!("POST /token, {name}"));
        medians.push((name, stats.percentile(0.5)));
    }
    let failures = &medians[1..];
    let ratio = |set: &[(&str, Duration)]| {
        let max = set.iter().map(|(_, d)| *d).max().unwrap();
        let min = set.iter().map(|(_, d)| *d).min().unwrap();
        max.as_secs_f64() / min.as_secs_f64()
    };
    println!(
        "sign-in cost: largest ratio between failure outcomes {:.3} (target < 1.05); with success {:.3}",
        ratio(failures),
        ratio(&medians)
    );
}
