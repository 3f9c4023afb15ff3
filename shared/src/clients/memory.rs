//! Clients in a process-local map.

use std::collections::HashMap;
use std::sync::RwLock;

use super::{ClientChange, ClientStore};
use crate::domain::{Client, ClientId};
use crate::store::StoreError;

/// Clients in a process-local map: unit tests, benchmarks and the zero-setup local run.
#[derive(Default)]
pub struct MemoryClientStore {
    clients: RwLock<HashMap<ClientId, Client>>,
}

impl MemoryClientStore {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_clients(clients: impl IntoIterator<Item = Client>) -> Self {
        let map = clients
            .into_iter()
            .map(|client| (client.client_id.clone(), client))
            .collect();
        Self {
            clients: RwLock::new(map),
        }
    }
}

#[async_trait::async_trait]
impl ClientStore for MemoryClientStore {
    async fn get(&self, id: &ClientId) -> Result<Option<Client>, StoreError> {
        let clients = self.clients.read().unwrap_or_else(|e| e.into_inner());
        Ok(clients.get(id).cloned())
    }

    async fn insert(&self, client: &Client) -> Result<(), StoreError> {
        let mut clients = self.clients.write().unwrap_or_else(|e| e.into_inner());
        if clients.contains_key(&client.client_id) {
            return Err(StoreError::ClientExists(client.client_id.clone()));
        }
        clients.insert(client.client_id.clone(), client.clone());
        Ok(())
    }

    async fn update(
        &self,
        id: &ClientId,
        change: &ClientChange,
        expected: Option<u64>,
    ) -> Result<(), StoreError> {
        let mut clients = self.clients.write().unwrap_or_else(|e| e.into_inner());
        let client = clients
            .get_mut(id)
            .ok_or_else(|| StoreError::ClientNotFound(id.clone()))?;
        if expected.is_some_and(|revision| revision != client.revision) {
            return Err(StoreError::Conflict(format!(
                "client `{id}` changed meanwhile: try again"
            )));
        }
        change.apply(client);
        Ok(())
    }

    async fn remove(&self, id: &ClientId) -> Result<(), StoreError> {
        let mut clients = self.clients.write().unwrap_or_else(|e| e.into_inner());
        clients
            .remove(id)
            .map(drop)
            .ok_or_else(|| StoreError::ClientNotFound(id.clone()))
    }

    async fn list(&self) -> Result<Vec<Client>, StoreError> {
        let clients = self.clients.read().unwrap_or_else(|e| e.into_inner());
        let mut all: Vec<Client> = clients.values().cloned().collect();
        all.sort_by(|a, b| a.client_id.cmp(&b.client_id));
        Ok(all)
    }
}
