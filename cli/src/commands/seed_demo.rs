//! `authctl seed-demo`: the FastAPI tutorial's users, added unless they exist.

use anyhow::Result;
use token_service::store::{demo_users, StoreError, UserStore as _};

use super::TableArgs;

pub async fn run(table: TableArgs) -> Result<()> {
    let store = table.store().await;
    for user in tokio::task::spawn_blocking(demo_users).await?? {
        match store.insert(&user).await {
            Ok(()) => eprintln!("added `{}`", user.username),
            Err(StoreError::AlreadyExists(name)) => {
                eprintln!("`{name}` already exists, left as it is")
            }
            Err(err) => return Err(err.into()),
        }
    }
    Ok(())
}
