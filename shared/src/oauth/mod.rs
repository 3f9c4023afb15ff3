//! The OAuth 2.0 procedures, free of HTTP: each takes parsed parameters and the service's
//! state, and answers with domain values or an [`ApiError`](crate::error::ApiError). One file
//! per grant (RFC 6749 §4.3 password today), plus bearer-token authorization (RFC 6750).

pub mod bearer;
pub mod password_grant;

pub use bearer::authorize;
pub use password_grant::{PasswordGrant, TokenRequest};
