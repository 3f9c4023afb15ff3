//! Attempt counters in the tokens table: items `att#…` beside the sessions, with the same
//! `expires_at` TTL attribute. Counting is one `UpdateItem` with `ADD` under the condition that
//! the count is below the limit, so of parallel attempts exactly as many are counted as the
//! limit has room for.

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;

use super::{AttemptStore, Change, Counter, CounterState, CounterUpdate, KnownSource};
use crate::clock::UnixSeconds;
use crate::sessions::dynamodb::{KEY, TTL_ATTRIBUTE};
use crate::store::dynamodb_unavailable as unavailable;
use crate::store::StoreError;

const COUNT: &str = "attempts";
const LAST_FAILURE: &str = "last_failure";

/// Counters in the tokens table (the same table and client as the sessions).
#[derive(Clone)]
pub struct DynamoAttemptStore {
    client: Client,
    table: String,
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

    /// Keeps `counter`, giving back one attempt if `refund` and noting `failure_at`. The refund
    /// is conditional on a positive count (it may land after the counter was cleared); when
    /// that fails, the note is still written.
    async fn keep(
        &self,
        counter: &Counter,
        refund: bool,
        failure_at: Option<UnixSeconds>,
    ) -> Result<(), StoreError> {
        let write = |refund: bool| {
            let mut expression = String::new();
            let mut request = self
                .client
                .update_item()
                .table_name(&self.table)
                .key(KEY, key(counter))
                .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
                .expression_attribute_values(
                    ":ttl",
                    AttributeValue::N(counter.expires_at.to_string()),
                );
            if refund {
                expression.push_str("ADD #n :minus ");
                request = request
                    .condition_expression("#n > :zero")
                    .expression_attribute_names("#n", COUNT)
                    .expression_attribute_values(":minus", AttributeValue::N("-1".into()))
                    .expression_attribute_values(":zero", AttributeValue::N("0".into()));
            }
            expression.push_str("SET #ttl = if_not_exists(#ttl, :ttl)");
            if let Some(at) = failure_at {
                expression.push_str(", #last = :at");
                request = request
                    .expression_attribute_names("#last", LAST_FAILURE)
                    .expression_attribute_values(":at", AttributeValue::N(at.to_string()));
            }
            request.update_expression(expression).send()
        };
        match write(refund).await {
            Ok(_) => Ok(()),
            Err(err) if refund && crate::store::dynamodb_condition_failed(&err) => {
                if failure_at.is_some() {
                    write(false).await.map(drop).map_err(unavailable)
                } else {
                    Ok(())
                }
            }
            Err(err) => Err(unavailable(err)),
        }
    }
}

#[async_trait::async_trait]
impl AttemptStore for DynamoAttemptStore {
    async fn count(&self, counter: &Counter, _now: UnixSeconds) -> Result<bool, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(KEY, key(counter))
            .update_expression("ADD #n :one SET #ttl = if_not_exists(#ttl, :ttl)")
            .condition_expression("attribute_not_exists(#n) OR #n < :limit")
            .expression_attribute_names("#n", COUNT)
            .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .expression_attribute_values(":limit", AttributeValue::N(counter.limit.to_string()))
            .expression_attribute_values(":ttl", AttributeValue::N(counter.expires_at.to_string()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(err) if crate::store::dynamodb_condition_failed(&err) => Ok(false),
            Err(err) => Err(unavailable(err)),
        }
    }

    /// One write per counter (and one for a known source), all at once. Not a transaction:
    /// each write stands on its own (a lost refund only errs on the safe side), single-item
    /// writes never conflict with each other on hot counters, and they cost half a
    /// transaction's capacity.
    async fn settle(
        &self,
        updates: &[CounterUpdate<'_>],
        known: Option<&KnownSource>,
    ) -> Result<(), StoreError> {
        let writes = updates.iter().map(|update| async move {
            match update.change {
                Change::Clear => self
                    .client
                    .delete_item()
                    .table_name(&self.table)
                    .key(KEY, key(update.counter))
                    .send()
                    .await
                    .map(drop)
                    .map_err(unavailable),
                Change::Keep { refund, failure_at } => {
                    self.keep(update.counter, refund, failure_at).await
                }
            }
        });
        let remember = async {
            match known {
                None => Ok(()),
                // UpdateItem, as every other write here: the functions that authenticate
                // clients may update items of the tokens table, not put whole ones.
                Some(known) => self
                    .client
                    .update_item()
                    .table_name(&self.table)
                    .key(KEY, AttributeValue::S(known.key.clone()))
                    .update_expression("SET #ttl = :ttl")
                    .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
                    .expression_attribute_values(
                        ":ttl",
                        AttributeValue::N(known.expires_at.to_string()),
                    )
                    .send()
                    .await
                    .map(drop)
                    .map_err(unavailable),
            }
        };
        let (results, remembered) = tokio::join!(futures_util::future::join_all(writes), remember);
        for result in results {
            result?;
        }
        remembered
    }

    async fn is_known(&self, source: &KnownSource, now: UnixSeconds) -> Result<bool, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(KEY, AttributeValue::S(source.key.clone()))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        // DynamoDB deletes expired items when it gets round to it: the time decides.
        let expires_at = number(output.item().and_then(|item| item.get(TTL_ATTRIBUTE)))?;
        Ok(expires_at.is_some_and(|at| at > now))
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
