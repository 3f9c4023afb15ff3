//! The service's vocabulary as plain types, with no I/O and no clock: scopes, usernames,
//! users and the lockout rule. Everything here is parsed once at the edge and trusted after.

pub mod lockout;
pub mod scopes;
pub mod user;
pub mod username;

pub use scopes::{Scope, ScopeSet, UnknownScope};
pub use user::{OwnedItem, StoredItem, User, UserProfile};
pub use username::{InvalidUsername, Username};
