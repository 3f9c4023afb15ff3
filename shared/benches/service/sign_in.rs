//! Sign-in figures: signing through KMS against the in-process key, and the cost of every
//! sign-in outcome.

use std::sync::Arc;
use std::time::{Duration, Instant};

use token_service::domain::ScopeSet;

use super::measure_async;
use super::support::{self, TestApp, NOW};

/// Token issue and `POST /token` with the signer a deployment uses (KMS, here moto's over
/// HTTP on 127.0.0.1) against the in-process key, as a ratio: the machine is noisy, the ratio
/// is what carries over.
pub async fn kms_vs_local_signing(app: &TestApp) {
    use token_service::keys::store::{update_key_set, MemoryKeySetStore};
    use token_service::keys::{CachePolicy, KeyLocation, KeyRecord, KeySet, KeySetCache};
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
    // Published first, as the operator does after a deploy; the signer never writes the set.
    let public = token_service::tokens::signer::kms_public_key(&kms, &key)
        .await
        .expect("moto's KMS");
    let record = KeyRecord::new(&public, KeyLocation::Kms { key_id: key }, NOW, NOW);
    let store = Arc::new(MemoryKeySetStore::new());
    update_key_set(store.as_ref(), |set: &mut KeySet| {
        set.bootstrap(record.clone(), NOW)
    })
    .await
    .expect("an empty set takes its first key");
    let keys = Arc::new(KeySetCache::new(store, CachePolicy::default()));
    let issuer = TokenIssuer::new(
        &support::token_settings(),
        Arc::new(KmsSigner::new(kms, keys)),
    );
    let user = support::username("johndoe");
    let scope = ScopeSet::parse("me items").unwrap();
    // The first issue reads the key set; not measured.
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

    let kms_state = token_service::AppState::from(token_service::AppParts {
        issuer: Some(Arc::new(issuer)),
        ..app.state.parts()
    });
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
/// timing must not tell a wrong password from an unknown, disabled or locked-out account, nor
/// which budget locked it out.
pub async fn uniform_cost(app: &TestApp) {
    const RUNS: usize = 30;
    // Each attempt of an outcome that must not lock comes from its own address, so no budget
    // turns it into "locked out". The locked-out outcomes are spent before they are timed.
    app.lock_bob_out_three_ways().await;

    /// (outcome, the address and form of attempt `i`, the status it must get)
    type Outcome<'a> = (&'a str, &'a dyn Fn(usize) -> (String, String), u16);
    let fresh = |net: u8, form: &'static str| {
        move |i: usize| {
            (
                format!("10.{net}.{}.{}", i / 250, i % 250 + 1),
                form.to_owned(),
            )
        }
    };
    let success = fresh(1, "username=johndoe&password=secret");
    let wrong = fresh(2, "username=johndoe&password=nope");
    let unknown = fresh(3, "username=nobody&password=secret");
    let disabled = fresh(4, "username=alice&password=secretalice");
    let locked = |_| {
        (
            "192.0.2.5".to_owned(),
            "username=bob&password=bobpassword".to_owned(),
        )
    };
    let spent = |_| {
        (
            "192.0.2.6".to_owned(),
            "username=bob&password=bobpassword".to_owned(),
        )
    };
    let ceiling = |_| {
        (
            "192.0.2.7".to_owned(),
            "username=bob&password=nope".to_owned(),
        )
    };
    let outcomes: [Outcome; 7] = [
        ("success", &success, 200),
        ("wrong password", &wrong, 400),
        ("unknown user", &unknown, 400),
        ("disabled user", &disabled, 400),
        ("locked out (address and account)", &locked, 400),
        ("locked out (address budget)", &spent, 400),
        ("locked out (account ceiling)", &ceiling, 400),
    ];
    // Interleaved: every round times one attempt of each outcome, starting at a different one
    // each round, so the machine's drift during the run (this one is shared and noisy) falls
    // on every outcome alike instead of on whichever was measured last.
    let mut samples: Vec<Vec<Duration>> = vec![Vec::with_capacity(RUNS); outcomes.len()];
    for round in 0..=RUNS {
        for k in 0..outcomes.len() {
            let index = (round + k) % outcomes.len();
            let (name, form, status) = outcomes[index];
            let (ip, form) = form(round);
            let start = Instant::now();
            assert_eq!(app.token_from(&ip, &form).await.status, status, "{name}");
            // Round 0 warms up.
            if round > 0 {
                samples[index].push(start.elapsed());
            }
        }
    }
    let mut medians = Vec::new();
    for ((name, _, _), samples) in outcomes.iter().zip(samples) {
        let stats = crate::Stats { samples };
        stats.print(&format!("POST /token, {name}"));
        medians.push((*name, stats.percentile(0.5)));
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
