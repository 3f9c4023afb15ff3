//! The OAuth 2.0 procedures, free of HTTP: each takes parsed parameters and the service's
//! state, and answers with domain values or an [`ApiError`](crate::error::ApiError). One file
//! per grant (RFC 6749 §4.3 password, §4.4 client credentials, §6 refresh token), client
//! authentication (§2.3), revocation (RFC 7009), introspection (RFC 7662) and bearer-token
//! authorization (RFC 6750).

pub mod authenticate;
pub mod authorization;
pub mod authorization_code_grant;
pub mod bearer;
pub mod client_auth;
pub mod client_credentials_grant;
mod grant;
pub mod introspection;
pub mod password_grant;
pub mod refresh_grant;
pub mod revocation;
mod session;
pub mod token_endpoint;
pub mod token_request;

pub use bearer::{authorize, Principal};
pub use client_auth::{authenticate_client, AuthMethod, Callers, PresentedClient};
pub use grant::Grant;
pub use password_grant::PasswordGrant;
pub use refresh_grant::RefreshGrant;
pub use session::TokenResponse;
pub use token_request::TokenRequest;
