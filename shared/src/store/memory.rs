//! Users in a process-local map.

use std::collections::HashMap;
use std::sync::RwLock;

use super::{AccountChange, StoreError, UserStore};
use crate::domain::{User, Username};

/// Users in a process-local map: unit tests, benchmarks and the zero-setup local run.
#[derive(Default)]
pub struct MemoryUserStore {
    users: RwLock<HashMap<Username, User>>,
}

impl MemoryUserStore {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_users(users: impl IntoIterator<Item = User>) -> Self {
        let map = users
            .into_iter()
            .map(|user| (user.username.clone(), user))
            .collect();
        Self {
            users: RwLock::new(map),
        }
    }

    fn update<T>(
        &self,
        username: &Username,
        change: impl FnOnce(&mut User) -> T,
    ) -> Result<T, StoreError> {
        let mut users = self.users.write().unwrap_or_else(|e| e.into_inner());
        users
            .get_mut(username)
            .map(change)
            .ok_or_else(|| StoreError::NotFound(username.clone()))
    }
}

#[async_trait::async_trait]
impl UserStore for MemoryUserStore {
    async fn get(&self, username: &Username) -> Result<Option<User>, StoreError> {
        let users = self.users.read().unwrap_or_else(|e| e.into_inner());
        Ok(users.get(username).cloned())
    }

    async fn insert(&self, user: &User) -> Result<(), StoreError> {
        let mut users = self.users.write().unwrap_or_else(|e| e.into_inner());
        if users.contains_key(&user.username) {
            return Err(StoreError::AlreadyExists(user.username.clone()));
        }
        users.insert(user.username.clone(), user.clone());
        Ok(())
    }

    async fn upgrade_password_hash(
        &self,
        username: &Username,
        read: &str,
        upgraded: &str,
    ) -> Result<bool, StoreError> {
        let mut users = self.users.write().unwrap_or_else(|e| e.into_inner());
        Ok(match users.get_mut(username) {
            Some(user) if user.password_hash == read => {
                user.password_hash = upgraded.to_owned();
                true
            }
            _ => false,
        })
    }

    async fn update_account(
        &self,
        username: &Username,
        change: &AccountChange,
    ) -> Result<(), StoreError> {
        self.update(username, |user| change.apply(user))
    }

    async fn list(&self) -> Result<Vec<User>, StoreError> {
        let users = self.users.read().unwrap_or_else(|e| e.into_inner());
        let mut all: Vec<User> = users.values().cloned().collect();
        all.sort_by(|a, b| a.username.as_str().cmp(b.username.as_str()));
        Ok(all)
    }
}
