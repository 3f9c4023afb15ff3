//! `authctl table create`: the users, clients, sessions and keys tables, as the SAM template defines
//! them, on a local or test server. Idempotent.

use anyhow::Result;
use token_service::clients::DynamoClientStore;
use token_service::config::{DEFAULT_CLIENTS_TABLE, DEFAULT_KEYS_TABLE};
use token_service::keys::store::DynamoKeySetStore;
use token_service::sessions::DynamoSessionStore;
use token_service::store::dynamodb_client;

use super::TableArgs;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    users: TableArgs,
    /// DynamoDB table holding the signing key set.
    #[arg(long, env = "KEYS_TABLE", default_value = DEFAULT_KEYS_TABLE)]
    keys_table: String,
    /// DynamoDB table holding the registered clients.
    #[arg(long, env = "CLIENTS_TABLE", default_value = DEFAULT_CLIENTS_TABLE)]
    clients_table: String,
}

pub async fn run(args: Args) -> Result<()> {
    args.users.store().await.create_table().await?;
    let client = dynamodb_client(&aws_config::load_from_env().await);
    DynamoSessionStore::new(client.clone(), &args.users.tokens_table)
        .create_table()
        .await?;
    DynamoKeySetStore::new(client.clone(), &args.keys_table)
        .create_table()
        .await?;
    DynamoClientStore::new(client, &args.clients_table)
        .create_table()
        .await?;
    eprintln!(
        "tables `{}` (users), `{}` (clients), `{}` (sessions and sign-in counters) and `{}` (keys) are ready",
        args.users.table, args.clients_table, args.users.tokens_table, args.keys_table
    );
    Ok(())
}
