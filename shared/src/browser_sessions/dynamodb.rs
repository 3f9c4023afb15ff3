//! Browser sessions in the tokens table, keyed `sso#<secret hash>`, with the table's
//! `expires_at` TTL (the code checks the time itself: TTL deletion lags).

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;

use super::{BrowserSession, BrowserSessionStore};
use crate::clock::UnixSeconds;
use crate::sessions::dynamodb::KEY;
use crate::store::dynamodb_unavailable as unavailable;
use crate::store::StoreError;

#[derive(Clone)]
pub struct DynamoBrowserSessionStore {
    client: Client,
    table: String,
}

fn corrupt(err: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(format!("unreadable browser session record: {err}"))
}

fn key(hash: &str) -> AttributeValue {
    AttributeValue::S(format!("sso#{hash}"))
}

impl DynamoBrowserSessionStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }
}

#[async_trait::async_trait]
impl BrowserSessionStore for DynamoBrowserSessionStore {
    async fn start(&self, hash: &str, session: &BrowserSession) -> Result<(), StoreError> {
        // `expires_at` is the table's TTL attribute too.
        let mut item: HashMap<String, AttributeValue> =
            serde_dynamo::to_item(session).map_err(corrupt)?;
        item.insert(KEY.to_owned(), key(hash));
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#id)")
            .expression_attribute_names("#id", KEY)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn get(
        &self,
        hash: &str,
        now: UnixSeconds,
    ) -> Result<Option<BrowserSession>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(KEY, key(hash))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        let Some(item) = output.item else {
            return Ok(None);
        };
        let session: BrowserSession = serde_dynamo::from_item(item).map_err(corrupt)?;
        Ok((now < session.expires_at).then_some(session))
    }
}
