//! The service's vocabulary as plain types, with no I/O and no clock: scopes, usernames,
//! users, clients and their redirect URIs, PKCE challenges, source addresses and the sign-in budgets. Everything here is parsed once at the edge and trusted after.

pub mod client;
pub mod lockout;
pub mod pkce;
pub mod redirect_uri;
pub mod scopes;
pub mod source;
pub mod user;
pub mod username;

pub use client::{
    Client, ClientId, ClientType, GrantType, GrantTypes, InvalidClientId, SecretHash,
};
pub use pkce::{CodeChallenge, PkceError};
pub use redirect_uri::{InvalidRedirectUri, RedirectUri};
pub use scopes::{Scope, ScopeSet, UnknownScope};
pub use source::SourceAddress;
pub use user::{OwnedItem, StoredItem, User, UserProfile};
pub use username::{InvalidUsername, Username};
