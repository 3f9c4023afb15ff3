//! One file per `authctl` command group, plus what several share.

pub mod client;
pub mod create_table;
pub mod key;
pub mod serve;
pub mod token;
pub mod user;

use anyhow::Result;
use token_service::attempts::DynamoAttemptStore;
use token_service::config::DEFAULT_TOKENS_TABLE;
use token_service::domain::ScopeSet;
use token_service::store::{dynamodb_client, DynamoUserStore};

/// The tables an account command works on: the users, and the tokens table that also holds
/// the sign-in attempt counters.
#[derive(clap::Args)]
pub struct TableArgs {
    /// DynamoDB table holding the users.
    #[arg(long, env = "USERS_TABLE", default_value = token_service::config::DEFAULT_TABLE)]
    pub table: String,
    /// DynamoDB table holding refresh-token sessions and sign-in attempt counters.
    #[arg(long, env = "TOKENS_TABLE", default_value = DEFAULT_TOKENS_TABLE)]
    pub tokens_table: String,
}

impl TableArgs {
    pub async fn store(&self) -> DynamoUserStore {
        DynamoUserStore::from_env(&self.table).await
    }

    pub async fn attempts(&self) -> DynamoAttemptStore {
        let client = dynamodb_client(&aws_config::load_from_env().await);
        DynamoAttemptStore::new(client, &self.tokens_table)
    }
}

/// Input an operator must correct: a bad name, scope or password (exit code 5).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct InputError(pub String);

/// Scopes as an operator types them: space- or comma-separated.
pub fn parse_scopes(text: &str) -> Result<ScopeSet> {
    Ok(ScopeSet::parse(&text.replace(',', " ")).map_err(|e| InputError(e.to_string()))?)
}
