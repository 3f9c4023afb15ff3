//! Users in a DynamoDB table.

use std::collections::HashMap;

use aws_sdk_dynamodb::client::Waiters as _;
use aws_sdk_dynamodb::error::{DisplayErrorContext, SdkError};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    PointInTimeRecoverySpecification, ReturnValue, ScalarAttributeType,
};
use aws_sdk_dynamodb::Client;

use super::{AccountChange, StoreError, UserStore};
use crate::domain::{User, Username};

const KEY: &str = "username";

/// Users in one DynamoDB table keyed by `username`. The client is built once per process and
/// borrowed by every invocation; the endpoint follows the SDK's `AWS_ENDPOINT_URL_DYNAMODB`.
#[derive(Clone)]
pub struct DynamoUserStore {
    client: Client,
    table: String,
}

fn unavailable<E, R>(err: SdkError<E, R>) -> StoreError
where
    E: std::error::Error + 'static,
    R: std::fmt::Debug,
{
    StoreError::Unavailable(DisplayErrorContext(err).to_string())
}

/// A DynamoDB call that failed (or a reply that could not be read): the store is unavailable,
/// with the SDK's whole error chain for the log. The one mapping every DynamoDB store uses.
pub fn unavailable_error(err: impl std::error::Error + 'static) -> StoreError {
    StoreError::Unavailable(DisplayErrorContext(err).to_string())
}

/// Whether a DynamoDB call failed on its condition expression (whatever the operation): the
/// one way every store here tells "not as expected" from "unavailable".
pub(crate) fn condition_failed<E, R>(err: &SdkError<E, R>) -> bool
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata,
{
    err.as_service_error()
        .and_then(|e| e.code())
        .is_some_and(|code| code == "ConditionalCheckFailedException")
}

/// How long a DynamoDB call may take before the request is answered 503: one retry, each
/// attempt at most 1.2 s, all of it at most 2.8 s (normal calls take milliseconds; the
/// functions time out after 10 s). Shared by every client of the service.
pub(crate) fn aws_timeouts() -> aws_sdk_dynamodb::config::timeout::TimeoutConfig {
    aws_sdk_dynamodb::config::timeout::TimeoutConfig::builder()
        .connect_timeout(std::time::Duration::from_millis(800))
        .operation_attempt_timeout(std::time::Duration::from_millis(1200))
        .operation_timeout(std::time::Duration::from_millis(2800))
        .build()
}

pub(crate) fn aws_retries() -> aws_sdk_dynamodb::config::retry::RetryConfig {
    aws_sdk_dynamodb::config::retry::RetryConfig::standard().with_max_attempts(2)
}

/// A DynamoDB client for `aws`, with the service's timeouts and retries, honouring
/// `AWS_ENDPOINT_URL_DYNAMODB` / `AWS_ENDPOINT_URL` like the SDK does, except that an empty
/// value counts as unset: the SDK would take `""` as the endpoint and panic at the first call,
/// and the SAM template declares the variable empty so that `sam local invoke --env-vars` can
/// point it at a local server.
pub fn client(aws: &aws_config::SdkConfig) -> Client {
    let var = |name: &str| std::env::var(name).ok().map(|v| v.trim().to_owned());
    let (specific, generic) = (var("AWS_ENDPOINT_URL_DYNAMODB"), var("AWS_ENDPOINT_URL"));
    let set_but_empty = |v: &Option<String>| v.as_deref() == Some("");
    let mut config = aws_sdk_dynamodb::config::Builder::from(aws)
        .timeout_config(aws_timeouts())
        .retry_config(aws_retries());
    if set_but_empty(&specific) || set_but_empty(&generic) {
        let endpoint = [specific, generic]
            .into_iter()
            .flatten()
            .find(|v| !v.is_empty());
        config.set_endpoint_url(endpoint);
    }
    Client::from_conf(config.build())
}

/// [`client`] for an explicit endpoint (tests of an unreachable or hanging store).
pub fn client_for_endpoint(aws: &aws_config::SdkConfig, endpoint: &str) -> Client {
    let config = aws_sdk_dynamodb::config::Builder::from(aws)
        .timeout_config(aws_timeouts())
        .retry_config(aws_retries())
        .endpoint_url(endpoint)
        .build();
    Client::from_conf(config)
}

fn key(username: &Username) -> AttributeValue {
    AttributeValue::S(username.to_string())
}

impl DynamoUserStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// The table the users are in.
    pub fn table_name(&self) -> &str {
        &self.table
    }

    /// Connects with the standard AWS configuration (credentials, region, endpoint variables).
    pub async fn from_env(table: impl Into<String>) -> Self {
        let aws = aws_config::load_from_env().await;
        Self::new(client(&aws), table)
    }

    /// Creates the table as the SAM template defines it (on-demand, point-in-time recovery).
    /// For local and test servers: in AWS the template owns the table.
    pub async fn create_table(&self) -> Result<(), StoreError> {
        create_table(&self.client, &self.table, KEY)
            .await
            .map_err(StoreError::Unavailable)
    }

    fn parse(
        username: &Username,
        item: HashMap<String, AttributeValue>,
    ) -> Result<User, StoreError> {
        serde_dynamo::from_item(item).map_err(|e| StoreError::Corrupt {
            username: username.to_string(),
            reason: e.to_string(),
        })
    }
}

#[async_trait::async_trait]
impl UserStore for DynamoUserStore {
    async fn get(&self, username: &Username) -> Result<Option<User>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(KEY, key(username))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        output
            .item
            .map(|item| Self::parse(username, item))
            .transpose()
    }

    async fn insert(&self, user: &User) -> Result<(), StoreError> {
        let item: HashMap<String, AttributeValue> =
            serde_dynamo::to_item(user).map_err(|e| StoreError::Corrupt {
                username: user.username.to_string(),
                reason: e.to_string(),
            })?;
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
            Err(err) if condition_failed(&err) => {
                Err(StoreError::AlreadyExists(user.username.clone()))
            }
            Err(err) => Err(unavailable(err)),
        }
    }

    async fn upgrade_password_hash(
        &self,
        username: &Username,
        read: &str,
        upgraded: &str,
    ) -> Result<bool, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(KEY, key(username))
            .update_expression("SET password_hash = :upgraded")
            .condition_expression("attribute_exists(#k) AND password_hash = :read")
            .expression_attribute_names("#k", KEY)
            .expression_attribute_values(":read", AttributeValue::S(read.to_owned()))
            .expression_attribute_values(":upgraded", AttributeValue::S(upgraded.to_owned()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            // Another hash now, or no user: either way nothing to upgrade (and no item, with
            // its new hash, sent back to tell which).
            Err(err) if condition_failed(&err) => Ok(false),
            Err(err) => Err(unavailable(err)),
        }
    }

    async fn update_account(
        &self,
        username: &Username,
        change: &AccountChange,
    ) -> Result<(), StoreError> {
        let mut sets = Vec::new();
        let mut values = Vec::new();
        if let Some(disabled) = change.disabled {
            sets.push("disabled = :disabled");
            values.push((":disabled", AttributeValue::Bool(disabled)));
        }
        if let Some(scopes) = &change.allowed_scopes {
            sets.push("allowed_scopes = :scopes");
            values.push((":scopes", AttributeValue::S(scopes.to_string())));
        }
        if let Some(hash) = &change.password_hash {
            sets.push("password_hash = :hash");
            values.push((":hash", AttributeValue::S(hash.clone())));
        }
        let mut expression = String::new();
        if !sets.is_empty() {
            expression.push_str(&format!("SET {} ", sets.join(", ")));
        }
        // Both counters are raised atomically, so concurrent changes each count.
        let mut adds = Vec::new();
        if change.revoke_tokens {
            adds.push("token_version :one");
        }
        if change.unlock {
            adds.push("lockout_epoch :one");
        }
        if !adds.is_empty() {
            expression.push_str(&format!("ADD {}", adds.join(", ")));
            values.push((":one", AttributeValue::N("1".into())));
        }
        if expression.is_empty() {
            // Nothing to write, but the user must exist.
            return match self.get(username).await? {
                Some(_) => Ok(()),
                None => Err(StoreError::NotFound(username.clone())),
            };
        }
        self.update(username, expression.trim(), values, ReturnValue::None)
            .await
            .map(drop)
    }

    async fn list(&self) -> Result<Vec<User>, StoreError> {
        let mut users = Vec::new();
        for item in scan_all(&self.client, &self.table).await? {
            let name = item
                .get(KEY)
                .and_then(|v| v.as_s().ok())
                .cloned()
                .unwrap_or_default();
            users.push(
                serde_dynamo::from_item(item).map_err(|e| StoreError::Corrupt {
                    username: name,
                    reason: e.to_string(),
                })?,
            );
        }
        users.sort_by(|a: &User, b: &User| a.username.as_str().cmp(b.username.as_str()));
        Ok(users)
    }
}

impl DynamoUserStore {
    /// One UpdateItem on an existing user (never creates one); returns what `returning` asks.
    async fn update(
        &self,
        username: &Username,
        expression: &str,
        values: impl IntoIterator<Item = (&str, AttributeValue)>,
        returning: ReturnValue,
    ) -> Result<HashMap<String, AttributeValue>, StoreError> {
        let mut request = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(KEY, key(username))
            .update_expression(expression)
            .condition_expression("attribute_exists(#k)")
            .expression_attribute_names("#k", KEY)
            .return_values(returning);
        for (name, value) in values {
            request = request.expression_attribute_values(name, value);
        }
        match request.send().await {
            Ok(output) => Ok(output.attributes.unwrap_or_default()),
            Err(err) if condition_failed(&err) => Err(StoreError::NotFound(username.clone())),
            Err(err) => Err(unavailable(err)),
        }
    }
}

/// Every item of `table`, page by page, read consistently (operators' listings).
pub(crate) async fn scan_all(
    client: &Client,
    table: &str,
) -> Result<Vec<HashMap<String, AttributeValue>>, StoreError> {
    let mut items = Vec::new();
    let mut start: Option<HashMap<String, AttributeValue>> = None;
    loop {
        let output = client
            .scan()
            .table_name(table)
            .consistent_read(true)
            .set_exclusive_start_key(start.take())
            .send()
            .await
            .map_err(unavailable)?;
        items.extend(output.items.unwrap_or_default());
        match output.last_evaluated_key {
            Some(key) if !key.is_empty() => start = Some(key),
            _ => return Ok(items),
        }
    }
}

/// Creates `table` with the string hash key `key`, on demand, with point-in-time recovery, and
/// waits until it is active. An existing table is left as it is. For local and test servers:
/// in AWS the template owns the tables.
pub(crate) async fn create_table(client: &Client, table: &str, key: &str) -> Result<(), String> {
    let attribute = AttributeDefinition::builder()
        .attribute_name(key)
        .attribute_type(ScalarAttributeType::S)
        .build()
        .map_err(|e| e.to_string())?;
    let schema = KeySchemaElement::builder()
        .attribute_name(key)
        .key_type(KeyType::Hash)
        .build()
        .map_err(|e| e.to_string())?;
    let created = client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attribute)
        .key_schema(schema)
        .send()
        .await;
    match created {
        Ok(_) => {}
        Err(err)
            if err
                .as_service_error()
                .is_some_and(|e| e.is_resource_in_use_exception()) =>
        {
            tracing::info!(%table, "table already exists");
        }
        Err(err) => return Err(DisplayErrorContext(err).to_string()),
    }
    client
        .wait_until_table_exists()
        .table_name(table)
        .wait(std::time::Duration::from_secs(60))
        .await
        .map_err(|e| DisplayErrorContext(e).to_string())?;
    let pitr = PointInTimeRecoverySpecification::builder()
        .point_in_time_recovery_enabled(true)
        .build()
        .map_err(|e| e.to_string())?;
    if let Err(err) = client
        .update_continuous_backups()
        .table_name(table)
        .point_in_time_recovery_specification(pitr)
        .send()
        .await
    {
        tracing::warn!(%table, error = %DisplayErrorContext(err), "could not enable point-in-time recovery");
    }
    Ok(())
}
