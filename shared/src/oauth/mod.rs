//! The OAuth 2.0 procedures, free of HTTP: each takes parsed parameters and the service's
//! state, and answers with domain values or an [`ApiError`](crate::error::ApiError). One file
//! per grant (RFC 6749 §4.3 password, §6 refresh token), plus revocation (RFC 7009) and
//! bearer-token authorization (RFC 6750).

pub mod bearer;
pub mod password_grant;
pub mod refresh_grant;
pub mod revocation;
mod session;
pub mod token_request;

pub use bearer::authorize;
pub use password_grant::PasswordGrant;
pub use refresh_grant::RefreshGrant;
pub use session::TokenResponse;
pub use token_request::{Grant, TokenRequest};
