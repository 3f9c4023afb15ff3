//! `authctl create-table`: the users table, as the SAM template defines it, on a local or
//! test server.

use anyhow::Result;

use super::TableArgs;

pub async fn run(table: TableArgs) -> Result<()> {
    table.store().await.create_table().await?;
    eprintln!("table `{}` is ready", table.table);
    Ok(())
}
