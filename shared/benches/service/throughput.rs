//! Requests per second of the routes a resource server calls, side by side in one run, as
//! ratios to the JWKS route (which checks no token): what the verification cache buys. A
//! token seen before skips its RS256 signature check; a new token is checked in full. Issue 18's
//! targets: the same token at 90 % of the JWKS route or more, a new token each time at 50 %.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::support::TestApp;

/// Requests in flight at once (keep-alive connections of the app's client).
const CONCURRENCY: usize = 4;
/// One scenario's share of a round; the rounds interleave the scenarios so that drift in the
/// machine's speed falls on all of them alike.
const ROUND: Duration = Duration::from_millis(1_000);
const ROUNDS: usize = 3;
/// Tokens minted for the always-new scenario, per round (more than it can use in a round).
const NEW_TOKENS_PER_ROUND: usize = 30_000;

/// What one scenario sends.
enum Bearer {
    None,
    Same(Arc<str>),
    /// Each request takes the next token; the scenario ends early if they run out.
    New(Arc<Vec<String>>),
}

struct Scenario {
    name: &'static str,
    path: &'static str,
    bearer: Bearer,
}

/// `CONCURRENCY` loops of `scenario` for `ROUND`: the requests answered per second, and how
/// many were sent. Every answer must be a 200.
async fn run(app: &Arc<TestApp>, scenario: &Scenario) -> (f64, usize) {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let deadline = started + ROUND;
    let tasks: Vec<_> = (0..CONCURRENCY)
        .map(|_| {
            let app = Arc::clone(app);
            let next = Arc::clone(&next);
            let path = scenario.path;
            let bearer = match &scenario.bearer {
                Bearer::None => Bearer::None,
                Bearer::Same(token) => Bearer::Same(Arc::clone(token)),
                Bearer::New(tokens) => Bearer::New(Arc::clone(tokens)),
            };
            tokio::spawn(async move {
                let mut answered = 0usize;
                while Instant::now() < deadline {
                    let response = match &bearer {
                        Bearer::None => app.get(path, None).await,
                        Bearer::Same(token) => app.get(path, Some(token)).await,
                        Bearer::New(tokens) => {
                            let Some(token) = tokens.get(next.fetch_add(1, Ordering::Relaxed))
                            else {
                                break;
                            };
                            app.get(path, Some(token)).await
                        }
                    };
                    assert_eq!(response.status, 200, "{path}: {}", response.text);
                    answered += 1;
                }
                answered
            })
        })
        .collect();
    let mut answered = 0;
    for task in tasks {
        answered += task.await.unwrap();
    }
    let elapsed = started.elapsed();
    (answered as f64 / elapsed.as_secs_f64(), answered)
}

pub async fn throughput(app: Arc<TestApp>) {
    let same: Arc<str> = app.mint("johndoe", "me items").await.into();
    let mut scenarios = [
        Scenario {
            name: "GET /.well-known/jwks.json (no token)",
            path: "/.well-known/jwks.json",
            bearer: Bearer::None,
        },
        Scenario {
            name: "GET /status/, the same token",
            path: "/status/",
            bearer: Bearer::Same(Arc::clone(&same)),
        },
        Scenario {
            name: "GET /users/me/, the same token",
            path: "/users/me/",
            bearer: Bearer::Same(same),
        },
        Scenario {
            name: "GET /users/me/, a new token each time",
            path: "/users/me/",
            bearer: Bearer::New(Arc::default()),
        },
    ];
    let mut rates = vec![Vec::new(); scenarios.len()];
    for _ in 0..ROUNDS {
        let minted = Instant::now();
        let mut tokens = Vec::with_capacity(NEW_TOKENS_PER_ROUND);
        for _ in 0..NEW_TOKENS_PER_ROUND {
            tokens.push(app.mint("johndoe", "me items").await);
        }
        let minted = minted.elapsed();
        scenarios[3].bearer = Bearer::New(Arc::new(tokens));
        for (i, scenario) in scenarios.iter().enumerate() {
            let checks = app.state.verifier.signature_checks();
            let (rate, answered) = run(&app, scenario).await;
            let checked = app.state.verifier.signature_checks() - checks;
            // The figures mean what they say only if the cache did what the names claim.
            match scenario.bearer {
                Bearer::None => assert_eq!(checked, 0),
                // At most one per request in flight when the token is first seen.
                Bearer::Same(_) => assert!(
                    checked <= CONCURRENCY as u64,
                    "{}: {checked} checks",
                    scenario.name
                ),
                Bearer::New(_) => {
                    assert_eq!(checked as usize, answered, "{}", scenario.name);
                    assert!(
                        answered < NEW_TOKENS_PER_ROUND,
                        "{}: ran out of tokens (minted in {minted:.1?}): mint more",
                        scenario.name
                    );
                }
            }
            rates[i].push(rate);
        }
    }
    let median = |rates: &mut Vec<f64>| {
        rates.sort_by(f64::total_cmp);
        rates[rates.len() / 2]
    };
    let medians: Vec<f64> = rates.iter_mut().map(median).collect();
    println!(
        "throughput over local HTTP ({CONCURRENCY} requests in flight, {ROUNDS} interleaved rounds of {ROUND:.0?}, median; client and server share the cores):"
    );
    for (scenario, rate) in scenarios.iter().zip(&medians) {
        println!(
            "  {:<44} {:>9.0} req/s  {:.2}x the JWKS route",
            scenario.name,
            rate,
            rate / medians[0]
        );
    }
}
