//! Clients in a DynamoDB table keyed by `client_id`.

use std::collections::HashMap;

use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValuesOnConditionCheckFailure};
use aws_sdk_dynamodb::Client as DynamoClient;

use super::{ClientChange, ClientStore};
use crate::domain::{Client, ClientId};
use crate::store::dynamodb_unavailable as unavailable;
use crate::store::StoreError;

const KEY: &str = "client_id";

#[derive(Clone)]
pub struct DynamoClientStore {
    client: DynamoClient,
    table: String,
}

fn corrupt(id: &str, err: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt {
        username: format!("client {id}"),
        reason: err.to_string(),
    }
}

fn key(id: &ClientId) -> AttributeValue {
    AttributeValue::S(id.to_string())
}

impl DynamoClientStore {
    pub fn new(client: DynamoClient, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// Creates the table as the SAM template defines it (local and test servers).
    pub async fn create_table(&self) -> Result<(), StoreError> {
        crate::store::create_dynamodb_table(&self.client, &self.table, KEY)
            .await
            .map_err(StoreError::Unavailable)
    }

    fn parse(item: HashMap<String, AttributeValue>) -> Result<Client, StoreError> {
        let id = item
            .get(KEY)
            .and_then(|v| v.as_s().ok())
            .cloned()
            .unwrap_or_default();
        serde_dynamo::from_item(item).map_err(|e| corrupt(&id, e))
    }
}

#[async_trait::async_trait]
impl ClientStore for DynamoClientStore {
    async fn get(&self, id: &ClientId) -> Result<Option<Client>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(KEY, key(id))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        output.item.map(Self::parse).transpose()
    }

    async fn insert(&self, client: &Client) -> Result<(), StoreError> {
        let item: HashMap<String, AttributeValue> =
            serde_dynamo::to_item(client).map_err(|e| corrupt(client.client_id.as_str(), e))?;
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#k)")
            .expression_attribute_names("#k", KEY)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(err) if crate::store::dynamodb_condition_failed(&err) => {
                Err(StoreError::ClientExists(client.client_id.clone()))
            }
            Err(err) => Err(unavailable(err)),
        }
    }

    async fn update(
        &self,
        id: &ClientId,
        change: &ClientChange,
        expected: Option<u64>,
    ) -> Result<(), StoreError> {
        let value = |v: &dyn Attribute| v.attribute().map_err(|e| corrupt(id.as_str(), e));
        let mut sets = Vec::new();
        let mut values: Vec<(&str, AttributeValue)> = Vec::new();
        if let Some(disabled) = change.disabled {
            sets.push("disabled = :disabled");
            values.push((":disabled", AttributeValue::Bool(disabled)));
        }
        if let Some(scopes) = &change.allowed_scopes {
            sets.push("allowed_scopes = :scopes");
            values.push((":scopes", value(scopes)?));
        }
        if let Some(grants) = &change.grant_types {
            sets.push("grant_types = :grants");
            values.push((":grants", value(grants)?));
        }
        if let Some(uris) = &change.redirect_uris {
            sets.push("redirect_uris = :uris");
            values.push((":uris", value(uris)?));
        }
        if let Some(secrets) = &change.secrets {
            sets.push("secrets = :secrets");
            values.push((":secrets", value(secrets)?));
        }
        let mut expression = String::new();
        if !sets.is_empty() {
            expression.push_str(&format!("SET {} ", sets.join(", ")));
        }
        expression.push_str("ADD revision :one");
        values.push((":one", AttributeValue::N("1".into())));
        let mut condition = String::from("attribute_exists(#k)");
        if let Some(revision) = expected {
            condition.push_str(" AND revision = :expected");
            values.push((":expected", AttributeValue::N(revision.to_string())));
        }
        let mut request = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(KEY, key(id))
            .update_expression(expression)
            .condition_expression(condition)
            .expression_attribute_names("#k", KEY)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        for (name, value) in values {
            request = request.expression_attribute_values(name, value);
        }
        match request.send().await {
            Ok(_) => Ok(()),
            Err(err) => match err.into_service_error() {
                UpdateItemError::ConditionalCheckFailedException(failed) => match failed.item() {
                    None => Err(StoreError::ClientNotFound(id.clone())),
                    Some(_) => Err(StoreError::Conflict(format!(
                        "client `{id}` changed meanwhile: try again"
                    ))),
                },
                other => Err(unavailable(other)),
            },
        }
    }

    async fn remove(&self, id: &ClientId) -> Result<(), StoreError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key(KEY, key(id))
            .condition_expression("attribute_exists(#k)")
            .expression_attribute_names("#k", KEY)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(err) if crate::store::dynamodb_condition_failed(&err) => {
                Err(StoreError::ClientNotFound(id.clone()))
            }
            Err(err) => Err(unavailable(err)),
        }
    }

    async fn list(&self) -> Result<Vec<Client>, StoreError> {
        let mut clients = crate::store::scan_dynamodb_table(&self.client, &self.table)
            .await?
            .into_iter()
            .map(Self::parse)
            .collect::<Result<Vec<_>, _>>()?;
        clients.sort_by(|a, b| a.client_id.cmp(&b.client_id));
        Ok(clients)
    }
}

/// A serializable field as a DynamoDB attribute (object-safe, so one closure takes any).
trait Attribute {
    fn attribute(&self) -> Result<AttributeValue, serde_dynamo::Error>;
}

impl<T: serde::Serialize> Attribute for T {
    fn attribute(&self) -> Result<AttributeValue, serde_dynamo::Error> {
        serde_dynamo::to_attribute_value(self)
    }
}
