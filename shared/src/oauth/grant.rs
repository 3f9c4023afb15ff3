//! The grant a token request asks for (RFC 6749 §4, §6), each parsed by its own file.

use super::authorization_code_grant::AuthorizationCodeGrant;
use super::client_credentials_grant::ClientCredentialsGrant;
use super::password_grant::PasswordGrant;
use super::refresh_grant::RefreshGrant;
use super::token_request::TokenRequest;
use crate::domain::GrantType;
use crate::error::ApiError;

/// The grants the token endpoint supports, each parsed by its own file.
#[derive(Debug)]
pub enum Grant {
    /// `grant_type=password` (or none: FastAPI's form makes it optional).
    Password(PasswordGrant),
    /// `grant_type=refresh_token` (RFC 6749 §6).
    RefreshToken(RefreshGrant),
    /// `grant_type=client_credentials` (RFC 6749 §4.4).
    ClientCredentials(ClientCredentialsGrant),
    /// `grant_type=authorization_code` (RFC 6749 §4.1.3, PKCE required).
    AuthorizationCode(AuthorizationCodeGrant),
}

impl Grant {
    pub fn parse(request: TokenRequest) -> Result<Self, ApiError> {
        match request.grant_type.as_deref().filter(|g| !g.is_empty()) {
            None | Some("password") => Ok(Grant::Password(PasswordGrant::parse(request)?)),
            Some("refresh_token") => Ok(Grant::RefreshToken(RefreshGrant::parse(request)?)),
            Some("client_credentials") => Ok(Grant::ClientCredentials(
                ClientCredentialsGrant::parse(request)?,
            )),
            Some("authorization_code") => Ok(Grant::AuthorizationCode(
                AuthorizationCodeGrant::parse(request)?,
            )),
            Some(other) => {
                let shown: String = other.chars().take(64).collect();
                Err(ApiError::UnsupportedGrantType(shown))
            }
        }
    }

    /// The grant type a client must be allowed to ask for this.
    pub fn grant_type(&self) -> GrantType {
        match self {
            Grant::Password(_) => GrantType::Password,
            Grant::RefreshToken(_) => GrantType::RefreshToken,
            Grant::ClientCredentials(_) => GrantType::ClientCredentials,
            Grant::AuthorizationCode(_) => GrantType::AuthorizationCode,
        }
    }
}
