//! Everything a handler borrows: built once per process (cold start), shared by invocations.

use std::sync::Arc;

use crate::config::{Config, SecretSource, StoreChoice};
use crate::passwords::PasswordError;
use crate::tokens::{ShortSecret, SigningSecret, TokenService};
use crate::users::{demo_users, dynamodb_client, DynamoUserStore, MemoryUserStore, UserStore};

pub struct AppState {
    pub tokens: TokenService,
    pub store: Arc<dyn UserStore>,
}

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error("could not read the JWT signing secret from Secrets Manager: {0}")]
    SecretFetch(String),
    #[error("the JWT signing secret in Secrets Manager is unusable: {0}")]
    SecretUnusable(#[from] ShortSecret),
    #[error("could not prepare the demo users: {0}")]
    DemoUsers(#[from] PasswordError),
}

impl AppState {
    pub fn new(tokens: TokenService, store: Arc<dyn UserStore>) -> Self {
        Self { tokens, store }
    }

    /// Builds the state `config` describes: loads the AWS configuration at most once, fetches
    /// the signing secret, and connects the store.
    pub async fn from_config(config: &Config) -> Result<Self, StartupError> {
        let needs_aws = config.store == StoreChoice::DynamoDb
            || matches!(config.secret, SecretSource::SecretsManager(_));
        let aws = if needs_aws {
            Some(aws_config::load_from_env().await)
        } else {
            None
        };

        let secret = match &config.secret {
            SecretSource::Value(secret) => secret.clone(),
            SecretSource::Random => SigningSecret::random(),
            SecretSource::SecretsManager(arn) => {
                let client =
                    aws_sdk_secretsmanager::Client::new(aws.as_ref().expect("loaded above"));
                fetch_secret(&client, arn).await?
            }
        };

        let store: Arc<dyn UserStore> = match config.store {
            StoreChoice::DynamoDb => {
                let client = dynamodb_client(aws.as_ref().expect("loaded above"));
                Arc::new(DynamoUserStore::new(client, &config.users_table))
            }
            StoreChoice::MemoryDemo => {
                tracing::warn!(
                    "using the in-memory demo users (johndoe, alice): not for production"
                );
                let users = tokio::task::spawn_blocking(demo_users)
                    .await
                    .map_err(|e| PasswordError::Hashing(e.to_string()))??;
                Arc::new(MemoryUserStore::with_users(users))
            }
        };

        let tokens = TokenService::new(&secret, &config.issuer, &config.audience, config.token_ttl);
        Ok(Self::new(tokens, store))
    }
}

async fn fetch_secret(
    client: &aws_sdk_secretsmanager::Client,
    arn: &str,
) -> Result<SigningSecret, StartupError> {
    let output = client
        .get_secret_value()
        .secret_id(arn)
        .send()
        .await
        .map_err(|e| {
            StartupError::SecretFetch(
                aws_sdk_secretsmanager::error::DisplayErrorContext(e).to_string(),
            )
        })?;
    let bytes = match (output.secret_string, output.secret_binary) {
        (Some(text), _) => text.into_bytes(),
        (None, Some(blob)) => blob.into_inner(),
        (None, None) => Vec::new(),
    };
    Ok(SigningSecret::new(bytes)?)
}
