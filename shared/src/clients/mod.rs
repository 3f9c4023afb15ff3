//! Where registered clients live: the [`ClientStore`] trait, DynamoDB in the cloud, memory for
//! unit tests, benchmarks and the zero-setup local run; and client secrets, which are
//! generated here, shown once and stored only as Argon2id hashes.

mod demo;
mod dynamodb;
mod memory;
mod secret;

use crate::domain::{Client, ClientId, GrantTypes, RedirectUri, ScopeSet, SecretHash};
use crate::store::StoreError;

pub use demo::{demo_clients, DEMO_SERVICE_SECRET};
pub use dynamodb::DynamoClientStore;
pub use memory::MemoryClientStore;
pub use secret::{secret_hint, ClientSecret};

/// An operator's change to a client, made in one write.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientChange {
    pub disabled: Option<bool>,
    pub allowed_scopes: Option<ScopeSet>,
    pub grant_types: Option<GrantTypes>,
    pub redirect_uris: Option<Vec<RedirectUri>>,
    /// The client's secrets after the change (rotation adds one, removal keeps the newest).
    pub secrets: Option<Vec<SecretHash>>,
}

impl ClientChange {
    /// `change` applied to `client`: the one definition every store follows.
    pub fn apply(&self, client: &mut Client) {
        if let Some(disabled) = self.disabled {
            client.disabled = disabled;
        }
        if let Some(scopes) = &self.allowed_scopes {
            client.allowed_scopes = scopes.clone();
        }
        if let Some(grants) = &self.grant_types {
            client.grant_types = grants.clone();
        }
        if let Some(uris) = &self.redirect_uris {
            client.redirect_uris = uris.clone();
        }
        if let Some(secrets) = &self.secrets {
            client.secrets = secrets.clone();
        }
        client.revision += 1;
    }
}

/// What the service does with clients. Each method is one store operation.
#[async_trait::async_trait]
pub trait ClientStore: Send + Sync {
    async fn get(&self, id: &ClientId) -> Result<Option<Client>, StoreError>;

    /// Stores a new client; refuses to overwrite one that exists.
    async fn insert(&self, client: &Client) -> Result<(), StoreError>;

    /// Applies `change` to an existing client in one write and raises its revision;
    /// `ClientNotFound` otherwise. With `expected`, only if the client is still at that
    /// revision (two secret rotations at once cannot both add a secret): `Conflict` otherwise.
    async fn update(
        &self,
        id: &ClientId,
        change: &ClientChange,
        expected: Option<u64>,
    ) -> Result<(), StoreError>;

    /// Deletes a client; `ClientNotFound` if there was none.
    async fn remove(&self, id: &ClientId) -> Result<(), StoreError>;

    /// Every client, by id.
    async fn list(&self) -> Result<Vec<Client>, StoreError>;
}
