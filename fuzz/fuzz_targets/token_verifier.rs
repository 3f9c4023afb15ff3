//! The token verifier on anything: raw strings, and tokens whose header and payload are the
//! fuzzer's bytes but whose signature is real (the key the verifier trusts signed them), so
//! the claim and header checks behind the signature are fuzzed too. It must answer, never
//! panic or hang, and never accept a token it did not issue unless the payload is valid.
#![no_main]

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use libfuzzer_sys::fuzz_target;
use token_service::keys::store::MemoryKeySetStore;
use token_service::keys::{CachePolicy, KeySetCache};
use token_service::tokens::{IssuerUrl, LocalRsaSigner, Signer, TokenSettings, TokenVerifier};

const ISSUER: &str = "urn:fuzz:issuer";
const NOW: i64 = 1_800_000_000;

struct Fixture {
    runtime: tokio::runtime::Runtime,
    signer: Arc<LocalRsaSigner>,
    verifier: TokenVerifier,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let settings = TokenSettings {
            issuer: IssuerUrl::Fixed(ISSUER.into()),
            audience: "urn:fuzz:api".into(),
            ttl: Duration::from_secs(1800),
            max_lifetime: Some(Duration::from_secs(1800)),
        };
        let keys = Arc::new(KeySetCache::new(
            Arc::new(MemoryKeySetStore::new()),
            CachePolicy::default(),
        ));
        let signer = Arc::new(LocalRsaSigner::generate().unwrap());
        runtime.block_on(signer.publish(&keys, NOW, 1805)).unwrap();
        let verifier = TokenVerifier::published(&settings, keys);
        Fixture {
            runtime,
            signer,
            verifier,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let f = fixture();
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let token = if mode % 2 == 0 {
        String::from_utf8_lossy(rest).into_owned()
    } else {
        // Header and payload from the fuzzer, signed for real.
        let split = rest.iter().position(|b| *b == 0).unwrap_or(rest.len() / 2);
        let (header, payload) = rest.split_at(split);
        let payload = payload.strip_prefix(&[0]).unwrap_or(payload);
        let input = format!("{}.{}", URL_SAFE_NO_PAD.encode(header), URL_SAFE_NO_PAD.encode(payload));
        let signature = f.runtime.block_on(async {
            let key = f.signer.signing_key(NOW).await.unwrap();
            f.signer.sign(&key, input.as_bytes()).await
        });
        match signature {
            Ok(signature) => format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature)),
            Err(_) => return, // over the signing input limit
        }
    };
    let _ = f.runtime.block_on(f.verifier.verify(&token, ISSUER, NOW));
});
