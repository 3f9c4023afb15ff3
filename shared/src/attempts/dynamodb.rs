//! Attempt counters in the tokens table: items `att#…` beside the sessions, with the same
//! `expires_at` TTL attribute. Counting is one `UpdateItem` with `ADD` under the condition that
//! the count is below the limit, so of parallel attempts exactly as many are counted as the
//! limit has room for.

use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, TransactWriteItem, Update};
use aws_sdk_dynamodb::Client;

use super::{AttemptStore, Change, Counter, CounterState, CounterUpdate};
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

    /// One update of `counter` in a settlement: give back an attempt and/or note a failure.
    fn settle_update(
        &self,
        counter: &Counter,
        refund: bool,
        failure_at: Option<UnixSeconds>,
    ) -> Result<Update, StoreError> {
        let mut expression = String::new();
        let mut update = Update::builder()
            .table_name(&self.table)
            .key(KEY, key(counter))
            .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
            .expression_attribute_values(":ttl", AttributeValue::N(counter.expires_at.to_string()));
        if refund {
            expression.push_str("ADD #n :minus ");
            update = update
                .expression_attribute_names("#n", COUNT)
                .expression_attribute_values(":minus", AttributeValue::N("-1".into()));
        }
        expression.push_str("SET #ttl = if_not_exists(#ttl, :ttl)");
        if let Some(at) = failure_at {
            expression.push_str(", #last = :at");
            update = update
                .expression_attribute_names("#last", LAST_FAILURE)
                .expression_attribute_values(":at", AttributeValue::N(at.to_string()));
        }
        update.update_expression(expression).build().map_err(built)
    }
}

/// A write that met a transaction in progress on the same item (hot counters: one address or
/// account signing in from many places): worth trying again, which the SDK does not do.
fn conflicted<E: aws_sdk_dynamodb::error::ProvideErrorMetadata, R>(
    err: &aws_sdk_dynamodb::error::SdkError<E, R>,
) -> bool {
    err.as_service_error()
        .and_then(|e| e.code())
        .is_some_and(|code| {
            code == "TransactionConflictException" || code == "TransactionCanceledException"
        })
}

/// Tries a write up to three times while it only met concurrent transactions.
async fn with_conflict_retries<T, E, R, F, Fut>(
    mut attempt: F,
) -> Result<T, aws_sdk_dynamodb::error::SdkError<E, R>>
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata,
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, aws_sdk_dynamodb::error::SdkError<E, R>>>,
{
    let mut tries = 0;
    loop {
        tries += 1;
        match attempt().await {
            Err(err) if tries < 3 && conflicted(&err) => {
                tokio::time::sleep(std::time::Duration::from_millis(5 * tries)).await;
            }
            other => return other,
        }
    }
}

#[async_trait::async_trait]
impl AttemptStore for DynamoAttemptStore {
    async fn count(&self, counter: &Counter, _now: UnixSeconds) -> Result<bool, StoreError> {
        let result = with_conflict_retries(|| {
            self.client
                .update_item()
                .table_name(&self.table)
                .key(KEY, key(counter))
                .update_expression("ADD #n :one SET #ttl = if_not_exists(#ttl, :ttl)")
                .condition_expression("attribute_not_exists(#n) OR #n < :limit")
                .expression_attribute_names("#n", COUNT)
                .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
                .expression_attribute_values(":one", AttributeValue::N("1".into()))
                .expression_attribute_values(":limit", AttributeValue::N(counter.limit.to_string()))
                .expression_attribute_values(
                    ":ttl",
                    AttributeValue::N(counter.expires_at.to_string()),
                )
                .send()
        })
        .await;
        match result {
            Ok(_) => Ok(true),
            Err(err) if crate::store::dynamodb_condition_failed(&err) => Ok(false),
            Err(err) => Err(unavailable(err)),
        }
    }

    async fn settle(&self, updates: &[CounterUpdate<'_>]) -> Result<(), StoreError> {
        let mut items = Vec::new();
        for update in updates {
            let item = match update.change {
                Change::Clear => {
                    let delete = Delete::builder()
                        .table_name(&self.table)
                        .key(KEY, key(update.counter))
                        .build()
                        .map_err(built)?;
                    TransactWriteItem::builder().delete(delete).build()
                }
                Change::Keep { refund, failure_at } => TransactWriteItem::builder()
                    .update(self.settle_update(update.counter, refund, failure_at)?)
                    .build(),
            };
            items.push(item);
        }
        if items.is_empty() {
            return Ok(());
        }
        with_conflict_retries(|| {
            self.client
                .transact_write_items()
                .set_transact_items(Some(items.clone()))
                .send()
        })
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
