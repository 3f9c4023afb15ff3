//! One file per `authctl` command group, plus what several share.

pub mod create_table;
pub mod key;
pub mod serve;
pub mod token;
pub mod user;

use anyhow::Result;
use token_service::domain::ScopeSet;
use token_service::store::DynamoUserStore;

/// The users table a command works on.
#[derive(clap::Args)]
pub struct TableArgs {
    /// DynamoDB table holding the users.
    #[arg(long, env = "USERS_TABLE", default_value = token_service::config::DEFAULT_TABLE)]
    pub table: String,
}

impl TableArgs {
    pub async fn store(&self) -> DynamoUserStore {
        DynamoUserStore::from_env(&self.table).await
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
