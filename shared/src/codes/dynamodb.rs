//! Codes in the tokens table, keyed `code#<code hash>`, with the table's `expires_at` TTL set
//! to when the record may be forgotten (the code's own validity is `valid_until`).

use std::collections::HashMap;

use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, ReturnValuesOnConditionCheckFailure};
use aws_sdk_dynamodb::Client;

use super::{CodeGrant, CodeHash, CodeStore, Redemption};
use crate::clock::UnixSeconds;
use crate::sessions::dynamodb::{KEY, TTL_ATTRIBUTE};
use crate::store::dynamodb_unavailable as unavailable;
use crate::store::StoreError;

/// When a code was redeemed; absent until it is.
const REDEEMED_AT: &str = "redeemed_at";

#[derive(Clone)]
pub struct DynamoCodeStore {
    client: Client,
    table: String,
}

fn corrupt(err: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(format!("unreadable authorization code record: {err}"))
}

fn code_key(hash: &CodeHash) -> AttributeValue {
    AttributeValue::S(format!("code#{}", hash.as_str()))
}

/// The grant an item holds, and when it was redeemed, unless the record is past keeping.
fn read(
    item: HashMap<String, AttributeValue>,
    now: UnixSeconds,
) -> Result<Option<(CodeGrant, Option<UnixSeconds>)>, StoreError> {
    let redeemed_at = match item.get(REDEEMED_AT) {
        None => None,
        Some(value) => Some(
            value
                .as_n()
                .ok()
                .and_then(|n| n.parse().ok())
                .ok_or_else(|| corrupt("redeemed_at is not a number"))?,
        ),
    };
    let grant: CodeGrant = serde_dynamo::from_item(item).map_err(corrupt)?;
    // DynamoDB deletes expired items when it gets round to it: the time decides.
    Ok((now < grant.forget_at()).then_some((grant, redeemed_at)))
}

impl DynamoCodeStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }
}

#[async_trait::async_trait]
impl CodeStore for DynamoCodeStore {
    async fn issue(&self, hash: &CodeHash, grant: &CodeGrant) -> Result<(), StoreError> {
        let mut item: HashMap<String, AttributeValue> =
            serde_dynamo::to_item(grant).map_err(corrupt)?;
        item.insert(KEY.to_owned(), code_key(hash));
        item.insert(
            TTL_ATTRIBUTE.to_owned(),
            AttributeValue::N(grant.forget_at().to_string()),
        );
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

    async fn redeem(&self, hash: &CodeHash, now: UnixSeconds) -> Result<Redemption, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(KEY, code_key(hash))
            .update_expression("SET #redeemed = :now")
            .condition_expression("attribute_exists(#id) AND attribute_not_exists(#redeemed)")
            .expression_attribute_names("#id", KEY)
            .expression_attribute_names("#redeemed", REDEEMED_AT)
            .expression_attribute_values(":now", AttributeValue::N(now.to_string()))
            .return_values(ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(output) => {
                let item = output
                    .attributes
                    .ok_or_else(|| corrupt("no attributes returned"))?;
                Ok(match read(item, now)? {
                    Some((grant, _)) => Redemption::First(grant),
                    None => Redemption::Unknown,
                })
            }
            Err(err) => match err.into_service_error() {
                UpdateItemError::ConditionalCheckFailedException(failed) => {
                    let Some(old) = failed.item else {
                        return Ok(Redemption::Unknown);
                    };
                    Ok(match read(old, now)? {
                        Some((grant, Some(at))) => Redemption::Replayed { grant, at },
                        Some((_, None)) => return Err(corrupt("refused but not redeemed")),
                        None => Redemption::Unknown,
                    })
                }
                other => Err(unavailable(other)),
            },
        }
    }

    async fn find(
        &self,
        hash: &CodeHash,
        now: UnixSeconds,
    ) -> Result<Option<CodeGrant>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(KEY, code_key(hash))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        match output.item {
            Some(item) => Ok(read(item, now)?.map(|(grant, _)| grant)),
            None => Ok(None),
        }
    }
}
