//! Attempt counters in the tokens table: items `att#…` beside the sessions, with the same
//! `expires_at` TTL attribute. Counting is one `UpdateItem` with `ADD` that returns the count
//! before it (`UPDATED_OLD`), so parallel attempts each see a different count.

use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, ReturnValue, TransactWriteItem, Update};
use aws_sdk_dynamodb::Client;

use super::{AttemptStore, Counter, CounterState};
use crate::clock::UnixSeconds;
use crate::sessions::dynamodb::{KEY, TTL_ATTRIBUTE};
use crate::store::StoreError;

const COUNT: &str = "attempts";
const LAST_FAILURE: &str = "last_failure";

/// Counters in the tokens table (the same table and client as the sessions).
#[derive(Clone)]
pub struct DynamoAttemptStore {
    client: Client,
    table: String,
}

fn unavailable(err: impl std::error::Error + 'static) -> StoreError {
    StoreError::Unavailable(DisplayErrorContext(err).to_string())
}

fn built(err: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(err.to_string())
}

fn number(value: Option<&AttributeValue>) -> Result<Option<i64>, StoreError> {
    match value {
        None => Ok(None),
        Some(AttributeValue::N(n)) => n
            .parse()
            .map(Some)
            .map_err(|_| StoreError::Unavailable("unreadable attempt counter".into())),
        Some(_) => Err(StoreError::Unavailable("unreadable attempt counter".into())),
    }
}

fn key(counter: &Counter) -> AttributeValue {
    AttributeValue::S(counter.key.clone())
}

impl DynamoAttemptStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// `ADD attempts :delta`, keeping the counter until its expiry.
    fn add(&self, counter: &Counter, delta: i64) -> Result<Update, StoreError> {
        Update::builder()
            .table_name(&self.table)
            .key(KEY, key(counter))
            .update_expression("ADD #n :delta SET #ttl = if_not_exists(#ttl, :ttl)")
            .expression_attribute_names("#n", COUNT)
            .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
            .expression_attribute_values(":delta", AttributeValue::N(delta.to_string()))
            .expression_attribute_values(":ttl", AttributeValue::N(counter.expires_at.to_string()))
            .build()
            .map_err(built)
    }
}

#[async_trait::async_trait]
impl AttemptStore for DynamoAttemptStore {
    async fn count(&self, counter: &Counter, _now: UnixSeconds) -> Result<u64, StoreError> {
        let output = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(KEY, key(counter))
            .update_expression("ADD #n :one SET #ttl = if_not_exists(#ttl, :ttl)")
            .expression_attribute_names("#n", COUNT)
            .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .expression_attribute_values(":ttl", AttributeValue::N(counter.expires_at.to_string()))
            .return_values(ReturnValue::UpdatedOld)
            .send()
            .await
            .map_err(unavailable)?;
        let before = number(output.attributes().and_then(|a| a.get(COUNT)))?;
        Ok(before.unwrap_or(0).max(0) as u64)
    }

    async fn settle_success(
        &self,
        cleared: &Counter,
        refunded: [&Counter; 2],
    ) -> Result<(), StoreError> {
        let delete = Delete::builder()
            .table_name(&self.table)
            .key(KEY, key(cleared))
            .build()
            .map_err(built)?;
        let mut items = vec![TransactWriteItem::builder().delete(delete).build()];
        for counter in refunded {
            items.push(
                TransactWriteItem::builder()
                    .update(self.add(counter, -1)?)
                    .build(),
            );
        }
        self.client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn note_failure(&self, counter: &Counter, at: UnixSeconds) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .key(KEY, key(counter))
            .update_expression("SET #last = :at, #ttl = if_not_exists(#ttl, :ttl)")
            .expression_attribute_names("#last", LAST_FAILURE)
            .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
            .expression_attribute_values(":at", AttributeValue::N(at.to_string()))
            .expression_attribute_values(":ttl", AttributeValue::N(counter.expires_at.to_string()))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn read(&self, counter: &Counter) -> Result<CounterState, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(KEY, key(counter))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        let Some(item) = output.item() else {
            return Ok(CounterState::default());
        };
        Ok(CounterState {
            count: number(item.get(COUNT))?.unwrap_or(0).max(0) as u64,
            last_failure: number(item.get(LAST_FAILURE))?,
        })
    }
}
