//! The deployed path for the signing key: read from Secrets Manager once at start-up, through
//! a real Secrets Manager-compatible server (moto, started by scripts/test.sh).

use std::collections::HashMap;

use token_service::app::StartupError;
use token_service::config::{Config, Mode, SecretSource};
use token_service::domain::Username;
use token_service::AppState;

async fn secret_arn(value: &str) -> String {
    assert!(
        std::env::var("AWS_ENDPOINT_URL_SECRETS_MANAGER").is_ok(),
        "needs a Secrets Manager server: run scripts/test.sh"
    );
    let aws = aws_config::load_from_env().await;
    let client = aws_sdk_secretsmanager::Client::new(&aws);
    let name = format!("jwt-test-{}-{}", std::process::id(), value.len());
    client
        .create_secret()
        .name(name)
        .secret_string(value)
        .send()
        .await
        .expect("create secret")
        .arn
        .expect("an ARN")
}

fn function_config(arn: &str) -> Config {
    let vars = HashMap::from([
        ("JWT_SECRET_ARN", arn.to_owned()),
        // An environment value must not override the managed key.
        (
            "JWT_SECRET",
            "environment-value-that-must-not-be-used-000".to_owned(),
        ),
        ("USER_STORE", "memory".to_owned()),
    ]);
    Config::from_lookup(Mode::Function, |name| vars.get(name).cloned()).unwrap()
}

#[tokio::test]
#[ignore = "needs a Secrets Manager server: scripts/test.sh runs it"]
async fn functions_sign_with_the_key_from_secrets_manager() {
    let key = "k".repeat(64);
    let config = function_config(&secret_arn(&key).await);
    assert!(matches!(config.secret, SecretSource::SecretsManager(_)));
    let state = AppState::from_config(&config).await.unwrap();

    let johndoe = Username::parse("johndoe").unwrap();
    let issued = state
        .tokens
        .issue(&johndoe, &Default::default(), None, state.now())
        .unwrap();
    // The token verifies with the managed key, and only with it.
    let validation = {
        let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
        v.set_audience(&[&config.tokens.audience]);
        v
    };
    let decode = |secret: &[u8]| {
        jsonwebtoken::decode::<serde_json::Value>(
            &issued.access_token,
            &jsonwebtoken::DecodingKey::from_secret(secret),
            &validation,
        )
    };
    assert!(decode(key.as_bytes()).is_ok());
    assert!(decode(b"environment-value-that-must-not-be-used-000").is_err());
}

#[tokio::test]
#[ignore = "needs a Secrets Manager server: scripts/test.sh runs it"]
async fn functions_refuse_a_short_managed_key() {
    let config = function_config(&secret_arn("too-short").await);
    let err = AppState::from_config(&config).await.err().expect("refused");
    assert!(matches!(err, StartupError::SecretUnusable(_)), "{err}");
}

#[tokio::test]
#[ignore = "needs a Secrets Manager server: scripts/test.sh runs it"]
async fn functions_refuse_to_start_when_the_secret_is_missing() {
    let arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:does-not-exist-AbCdEf";
    let err = AppState::from_config(&function_config(arn))
        .await
        .err()
        .expect("refused");
    assert!(matches!(err, StartupError::SecretFetch(_)), "{err}");
}
