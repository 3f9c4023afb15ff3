//! Properties of issuing and verifying over generated inputs.

use super::*;
use proptest::prelude::*;
use std::sync::OnceLock;

/// One published key for every case: RSA key generation is slow.
fn shared() -> &'static Rs256 {
    static SHARED: OnceLock<Rs256> = OnceLock::new();
    SHARED.get_or_init(|| block_on(rs256()))
}

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(future)
}

proptest! {
    /// Whatever is presented, verification answers, never panics.
    #[test]
    fn verify_never_panics(token in "\\PC{0,600}") {
        let _ = block_on(shared().verifier.verify(&token, ISS, NOW));
    }

    /// Near-JWT shapes: three base64url-ish parts.
    #[test]
    fn verify_never_panics_on_jws_shapes(
        a in "[A-Za-z0-9_-]{0,120}",
        b in "[A-Za-z0-9_-]{0,200}",
        c in "[A-Za-z0-9_-]{0,400}",
    ) {
        let token = format!("{a}.{b}.{c}");
        prop_assert!(block_on(shared().verifier.verify(&token, ISS, NOW)).is_err());
    }

    /// Issue then verify gives back exactly what was issued.
    #[test]
    fn issue_then_verify_returns_the_same_claims(
        subject in "[A-Za-z0-9._@+-]{1,64}",
        me in any::<bool>(),
        items in any::<bool>(),
        client_id in proptest::option::of("[!-~]{1,128}"),
        ago in 0i64..1800,
    ) {
        let t = shared();
        let subject = Username::parse(&subject).unwrap();
        let scope: ScopeSet = [(me, Scope::Me), (items, Scope::Items)]
            .into_iter()
            .filter_map(|(on, scope)| on.then_some(scope))
            .collect();
        let issued_at = NOW - ago;
        let issued = block_on(t.issuer.issue(
            ISS,
            &subject,
            &scope,
            client_id.as_deref(),
            issued_at,
        ))
        .unwrap();
        let claims = block_on(t.verifier.verify(&issued.access_token, ISS, NOW)).unwrap();
        prop_assert_eq!(claims.subject(), Ok(crate::tokens::TokenSubject::User(subject)));
        prop_assert_eq!(claims.scope, scope);
        prop_assert_eq!(claims.client_id, client_id);
        prop_assert_eq!(claims.iat, issued_at);
        prop_assert_eq!(claims.exp, issued_at + 1800);
        prop_assert_eq!(claims.iss, ISS);
    }
}
