//! The key set as one DynamoDB item, written with a version condition.

use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;

use super::{decode, encode, KeySetStore, KeyStoreError};
use crate::keys::KeySet;

/// The hash key of the keys table, and the one item the set is kept in.
pub const KEY: &str = "id";
const ITEM: &str = "signing-keys";

/// The key set in the keys table: one item, so a reader needs one `GetItem` and a writer one
/// conditional `PutItem`. Its IAM footprint: the token and JWKS functions and the verifiers
/// read it; only the token function (first key) and the operator write it.
#[derive(Clone)]
pub struct DynamoKeySetStore {
    client: Client,
    table: String,
}

impl DynamoKeySetStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// Creates the keys table as the template defines it (local and test servers only).
    pub async fn create_table(&self) -> Result<(), KeyStoreError> {
        crate::store::create_dynamodb_table(&self.client, &self.table, KEY)
            .await
            .map_err(KeyStoreError::Unavailable)
    }
}

fn unavailable(err: impl std::error::Error + 'static) -> KeyStoreError {
    KeyStoreError::Unavailable(DisplayErrorContext(err).to_string())
}

#[async_trait::async_trait]
impl KeySetStore for DynamoKeySetStore {
    async fn load(&self) -> Result<KeySet, KeyStoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(KEY, AttributeValue::S(ITEM.into()))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        let Some(item) = output.item else {
            return Ok(KeySet::default());
        };
        let version = item
            .get("version")
            .and_then(|v| v.as_n().ok())
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| KeyStoreError::Corrupt("version is not a number".into()))?;
        let keys = item
            .get("keys")
            .and_then(|v| v.as_s().ok())
            .ok_or_else(|| KeyStoreError::Corrupt("keys is not a string".into()))?;
        decode(keys, version)
    }

    async fn save(&self, set: &KeySet) -> Result<u64, KeyStoreError> {
        let next = set.version + 1;
        let mut request = self
            .client
            .put_item()
            .table_name(&self.table)
            .item(KEY, AttributeValue::S(ITEM.into()))
            .item("version", AttributeValue::N(next.to_string()))
            .item("keys", AttributeValue::S(encode(set)));
        request = if set.version == 0 {
            request.condition_expression("attribute_not_exists(#id)")
        } else {
            request
                .condition_expression("#v = :expected")
                .expression_attribute_names("#v", "version")
                .expression_attribute_values(
                    ":expected",
                    AttributeValue::N(set.version.to_string()),
                )
        };
        if set.version == 0 {
            request = request.expression_attribute_names("#id", KEY);
        }
        match request.send().await {
            Ok(_) => Ok(next),
            Err(err) if crate::store::dynamodb_condition_failed(&err) => {
                Err(KeyStoreError::Conflict(set.version))
            }
            Err(err) => Err(unavailable(err)),
        }
    }
}
