//! The FastAPI tutorial's demo users, for the zero-setup local run and `authctl user seed-demo`.

use crate::domain::{Scope, ScopeSet, StoredItem, User, Username};
use crate::passwords::{hash_password_blocking, Password, PasswordError};

/// The FastAPI tutorial's users: johndoe/secret (allowed `me items`, owns item Foo) and the
/// disabled alice/secretalice. Passwords are hashed here, so no hash is committed anywhere.
pub fn demo_users() -> Result<Vec<User>, PasswordError> {
    let user = |name: &str, full_name: &str, email: &str, password: &str| {
        Ok::<_, PasswordError>(User {
            username: Username::parse(name).expect("demo usernames are valid"),
            email: Some(email.to_owned()),
            full_name: Some(full_name.to_owned()),
            disabled: false,
            password_hash: hash_password_blocking(&Password::parse(password)?)?,
            allowed_scopes: ScopeSet::empty(),
            items: Vec::new(),
            lockout_epoch: 0,
            token_version: 0,
        })
    };
    let johndoe = User {
        allowed_scopes: ScopeSet::from([Scope::Me, Scope::Items]),
        items: vec![StoredItem {
            item_id: "Foo".to_owned(),
        }],
        ..user("johndoe", "John Doe", "johndoe@example.com", "secret")?
    };
    let alice = User {
        disabled: true,
        allowed_scopes: ScopeSet::from([Scope::Me, Scope::Items]),
        ..user(
            "alice",
            "Alice Chains",
            "alicechains@example.com",
            "secretalice",
        )?
    };
    Ok(vec![johndoe, alice])
}
