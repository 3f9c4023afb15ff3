//! Sessions in a DynamoDB table keyed by `id`: `rt#<token hash>` for refresh tokens and
//! `fam#<family id>` for families, both with an `expires_at` TTL attribute so DynamoDB deletes
//! them once they are useless (the code checks expiry itself: TTL deletion lags).

use std::collections::HashMap;

use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, Put, ReturnValuesOnConditionCheckFailure, TimeToLiveSpecification,
    TransactWriteItem,
};
use aws_sdk_dynamodb::Client;

use super::{Family, FamilyId, RefreshRecord, SessionStore, Spend, TokenHash};
use crate::clock::UnixSeconds;
use crate::store::dynamodb_unavailable as unavailable;
use crate::store::StoreError;

/// The hash key of the tokens table.
pub const KEY: &str = "id";
/// The TTL attribute of every item.
pub const TTL_ATTRIBUTE: &str = "expires_at";

#[derive(Clone)]
pub struct DynamoSessionStore {
    client: Client,
    table: String,
}

fn corrupt(err: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(format!("unreadable session record: {err}"))
}

fn token_key(hash: &TokenHash) -> AttributeValue {
    AttributeValue::S(format!("rt#{}", hash.as_str()))
}

fn family_key(id: &FamilyId) -> AttributeValue {
    AttributeValue::S(format!("fam#{}", id.as_str()))
}

fn item<T: serde::Serialize>(
    value: &T,
    key: AttributeValue,
) -> Result<HashMap<String, AttributeValue>, StoreError> {
    let mut item: HashMap<String, AttributeValue> =
        serde_dynamo::to_item(value).map_err(corrupt)?;
    item.insert(KEY.to_owned(), key);
    Ok(item)
}

impl DynamoSessionStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// Creates the tokens table as the template defines it, with its TTL attribute (local and
    /// test servers only).
    pub async fn create_table(&self) -> Result<(), StoreError> {
        crate::store::create_dynamodb_table(&self.client, &self.table, KEY)
            .await
            .map_err(StoreError::Unavailable)?;
        let ttl = TimeToLiveSpecification::builder()
            .attribute_name(TTL_ATTRIBUTE)
            .enabled(true)
            .build()
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        if let Err(err) = self
            .client
            .update_time_to_live()
            .table_name(&self.table)
            .time_to_live_specification(ttl)
            .send()
            .await
        {
            tracing::warn!(table = %self.table, error = %DisplayErrorContext(err), "could not enable TTL");
        }
        Ok(())
    }

    fn put(&self, item: HashMap<String, AttributeValue>) -> Result<TransactWriteItem, StoreError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#id)")
            .expression_attribute_names("#id", KEY)
            .build()
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    async fn get(
        &self,
        key: AttributeValue,
    ) -> Result<Option<HashMap<String, AttributeValue>>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(KEY, key)
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(output.item)
    }
}

#[async_trait::async_trait]
impl SessionStore for DynamoSessionStore {
    async fn start(&self, family: &Family, first: &RefreshRecord) -> Result<bool, StoreError> {
        let result = self
            .client
            .transact_write_items()
            .transact_items(self.put(item(family, family_key(&family.id))?)?)
            .transact_items(self.put(item(first, token_key(&first.hash))?)?)
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(err) => match err.into_service_error() {
                TransactWriteItemsError::TransactionCanceledException(canceled)
                    if canceled
                        .cancellation_reasons()
                        .first()
                        .and_then(|r| r.code())
                        == Some("ConditionalCheckFailed") =>
                {
                    Ok(false)
                }
                other => Err(unavailable(other)),
            },
        }
    }

    async fn token(&self, hash: &TokenHash) -> Result<Option<RefreshRecord>, StoreError> {
        self.get(token_key(hash))
            .await?
            .map(|item| serde_dynamo::from_item(item).map_err(corrupt))
            .transpose()
    }

    async fn family(&self, id: &FamilyId) -> Result<Option<Family>, StoreError> {
        let Some(item) = self.get(family_key(id)).await? else {
            return Ok(None);
        };
        let mut family: Family = serde_dynamo::from_item(item).map_err(corrupt)?;
        // The item's `id` is its table key (`fam#<id>`), not the family's own id.
        family.id = id.clone();
        Ok(Some(family))
    }

    async fn spend(&self, hash: &TokenHash, now: UnixSeconds) -> Result<Spend, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(KEY, token_key(hash))
            .update_expression("SET spent_at = :now")
            .condition_expression("attribute_exists(#id) AND attribute_not_exists(spent_at)")
            .expression_attribute_names("#id", KEY)
            .expression_attribute_values(":now", AttributeValue::N(now.to_string()))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(_) => Ok(Spend::Spent),
            Err(err) => match err.into_service_error() {
                aws_sdk_dynamodb::operation::update_item::UpdateItemError::ConditionalCheckFailedException(failed) => {
                    let Some(old) = failed.item() else {
                        return Ok(Spend::Unknown);
                    };
                    let at = old
                        .get("spent_at")
                        .and_then(|v| v.as_n().ok())
                        .and_then(|n| n.parse().ok())
                        .ok_or_else(|| corrupt("spent_at is not a number"))?;
                    Ok(Spend::AlreadySpent { at })
                }
                other => Err(unavailable(other)),
            },
        }
    }

    async fn add(&self, record: &RefreshRecord) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item(record, token_key(&record.hash))?))
            .condition_expression("attribute_not_exists(#id)")
            .expression_attribute_names("#id", KEY)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn advance(&self, id: &FamilyId, from: u64, by: &TokenHash) -> Result<bool, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(KEY, family_key(id))
            .update_expression("SET generation = :next, moved_by = :by")
            .condition_expression(
                "attribute_exists(#id) AND (generation = :from OR (generation = :next AND moved_by = :by))",
            )
            .expression_attribute_names("#id", KEY)
            .expression_attribute_values(":from", AttributeValue::N(from.to_string()))
            .expression_attribute_values(":next", AttributeValue::N((from + 1).to_string()))
            .expression_attribute_values(":by", AttributeValue::S(by.as_str().to_owned()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(err) if crate::store::dynamodb_condition_failed(&err) => Ok(false),
            Err(err) => Err(unavailable(err)),
        }
    }

    async fn revoke_family(&self, id: &FamilyId, now: UnixSeconds) -> Result<(), StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(KEY, family_key(id))
            .update_expression("SET revoked_at = if_not_exists(revoked_at, :now)")
            .condition_expression("attribute_exists(#id)")
            .expression_attribute_names("#id", KEY)
            .expression_attribute_values(":now", AttributeValue::N(now.to_string()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(err) if crate::store::dynamodb_condition_failed(&err) => Ok(()),
            Err(err) => Err(unavailable(err)),
        }
    }

    async fn bar_family(
        &self,
        id: &FamilyId,
        now: UnixSeconds,
        until: UnixSeconds,
    ) -> Result<(), StoreError> {
        // A started family keeps its own expiry; a barred id is kept until `until`.
        self.client
            .update_item()
            .table_name(&self.table)
            .key(KEY, family_key(id))
            .update_expression(
                "SET revoked_at = if_not_exists(revoked_at, :now), #ttl = if_not_exists(#ttl, :until)",
            )
            .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
            .expression_attribute_values(":now", AttributeValue::N(now.to_string()))
            .expression_attribute_values(":until", AttributeValue::N(until.to_string()))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }
}
