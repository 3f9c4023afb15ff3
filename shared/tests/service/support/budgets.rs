//! The sign-in counters of a test app, and budgets spent ahead of a measurement.

use token_service::attempts::SignInCounters;
use token_service::domain::lockout::{PER_ACCOUNT, PER_SOURCE};
use token_service::domain::SourceAddress;

use super::{username, TestApp};

impl TestApp {
    /// The counters of a sign-in at account `name` (lockout epoch 0) from `ip`, now.
    pub fn counters(&self, name: &str, ip: &str) -> SignInCounters {
        SignInCounters::new(
            &self.state.lockout,
            Some((&username(name), 0)),
            &SourceAddress::parse(ip).expect("an IP address"),
            self.now(),
        )
    }

    /// Leaves three addresses each locked out of bob's account by a different budget:
    /// 192.0.2.5 by five wrong guesses (account and address), 192.0.2.6 by a spent address
    /// budget, 192.0.2.7 by bob's spent hourly ceiling (the last two straight on the counters).
    pub async fn lock_bob_out_three_ways(&self) {
        for _ in 0..5 {
            self.token_from("192.0.2.5", "username=bob&password=guess")
                .await;
        }
        let source = self.counters("anyone", "192.0.2.6").source;
        for _ in 0..PER_SOURCE.limit {
            self.attempts.count(&source, self.now()).await.unwrap();
        }
        let account = self.counters("bob", "192.0.2.7").account;
        for _ in 0..PER_ACCOUNT.limit {
            self.attempts.count(&account, self.now()).await.unwrap();
        }
    }
}
