//! One file per `authctl` command, plus what several share.

pub mod add_user;
pub mod create_table;
pub mod issue_token;
pub mod key;
pub mod seed_demo;
pub mod serve;

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

/// Scopes as an operator types them: space- or comma-separated.
pub fn parse_scopes(text: &str) -> Result<ScopeSet> {
    Ok(ScopeSet::parse(&text.replace(',', " "))?)
}
