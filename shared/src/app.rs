//! The service's state: built once per process (cold start) from configuration, then shared
//! by every request. Nothing here knows HTTP.

use std::sync::Arc;

use crate::clock::{Clock, SystemClock, UnixSeconds};
use crate::config::{Config, SecretSource, StoreChoice};
use crate::passwords::{PasswordError, PasswordHasher};
use crate::store::{demo_users, dynamodb_client, DynamoUserStore, MemoryUserStore, UserStore};
use crate::tokens::{ShortSecret, SigningSecret, TokenService};

/// Everything a request borrows. Cloning is cheap: every part is shared.
#[derive(Clone)]
pub struct AppState {
    pub tokens: Arc<TokenService>,
    pub store: Arc<dyn UserStore>,
    pub passwords: Arc<PasswordHasher>,
    pub clock: Arc<dyn Clock>,
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
    /// State over the machine's clock.
    pub fn new(tokens: TokenService, store: Arc<dyn UserStore>) -> Self {
        Self {
            tokens: Arc::new(tokens),
            store,
            passwords: Arc::new(PasswordHasher::new()),
            clock: Arc::new(SystemClock),
        }
    }

    /// The same state reading time from `clock` (tests of expiry and lockout).
    pub fn with_clock(self, clock: Arc<dyn Clock>) -> Self {
        Self { clock, ..self }
    }

    /// The time a request is judged at: read once per request.
    pub fn now(&self) -> UnixSeconds {
        self.clock.now()
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
        let tokens = token_service(config, aws.as_ref()).await?;

        let store: Arc<dyn UserStore> = match config.store {
            StoreChoice::DynamoDb => {
                let client = match &aws {
                    Some(aws) => dynamodb_client(aws),
                    None => dynamodb_client(&aws_config::load_from_env().await),
                };
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
        Ok(Self::new(tokens, store))
    }
}

/// The token service `config` describes, with its key from wherever `config` says. The one
/// place a [`TokenService`] is built from configuration.
pub async fn token_service(
    config: &Config,
    aws: Option<&aws_config::SdkConfig>,
) -> Result<TokenService, StartupError> {
    let secret = match &config.secret {
        SecretSource::Value(secret) => secret.clone(),
        SecretSource::Random => SigningSecret::random(),
        SecretSource::SecretsManager(arn) => {
            let loaded;
            let aws = match aws {
                Some(aws) => aws,
                None => {
                    loaded = aws_config::load_from_env().await;
                    &loaded
                }
            };
            fetch_secret(&aws_sdk_secretsmanager::Client::new(aws), arn).await?
        }
    };
    Ok(TokenService::new(&config.tokens, &secret))
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
