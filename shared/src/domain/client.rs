//! OAuth clients (RFC 6749 §2): who may ask for tokens, how they prove it, and what they may
//! be given. Parsed once where they enter the service, like usernames.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::redirect_uri::RedirectUri;
use super::scopes::ScopeSet;
use crate::clock::UnixSeconds;

/// Longest `client_id` accepted (and carried into tokens).
pub const MAX_CLIENT_ID_LEN: usize = 128;
/// The most secrets a confidential client holds at once: the current one and, during a
/// rotation, the next.
pub const MAX_CLIENT_SECRETS: usize = 2;

/// A syntactically valid client id: 1 to [`MAX_CLIENT_ID_LEN`] visible ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClientId(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("client_id must be 1 to {MAX_CLIENT_ID_LEN} visible ASCII characters")]
pub struct InvalidClientId;

impl ClientId {
    /// The built-in public client that serves requests naming no client (the FastAPI
    /// tutorial's clients), unless an operator turns it off.
    pub const DEFAULT: &'static str = "default";

    pub fn parse(s: &str) -> Result<Self, InvalidClientId> {
        let ok = !s.is_empty()
            && s.len() <= MAX_CLIENT_ID_LEN
            && s.chars().all(|c| c.is_ascii_graphic());
        if ok {
            Ok(ClientId(s.to_owned()))
        } else {
            Err(InvalidClientId)
        }
    }

    pub fn default_client() -> Self {
        ClientId(Self::DEFAULT.to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_default(&self) -> bool {
        self.0 == Self::DEFAULT
    }
}

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for ClientId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for ClientId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        ClientId::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// RFC 6749 §2.1 client types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientType {
    /// Cannot keep a secret (browser and mobile apps, CLIs): identifies itself by id only.
    Public,
    /// Holds a secret and must authenticate with it (RFC 6749 §2.3.1).
    Confidential,
}

impl ClientType {
    pub fn as_str(self) -> &'static str {
        match self {
            ClientType::Public => "public",
            ClientType::Confidential => "confidential",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "public" => Some(ClientType::Public),
            "confidential" => Some(ClientType::Confidential),
            _ => None,
        }
    }
}

/// The grant types a client may be allowed (RFC 6749 §4, §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum GrantType {
    Password,
    RefreshToken,
    ClientCredentials,
    /// Stored for the code flow; the token endpoint does not serve it yet.
    AuthorizationCode,
}

impl GrantType {
    pub const ALL: [GrantType; 4] = [
        GrantType::Password,
        GrantType::RefreshToken,
        GrantType::ClientCredentials,
        GrantType::AuthorizationCode,
    ];

    /// The `grant_type` value of RFC 6749.
    pub fn as_str(self) -> &'static str {
        match self {
            GrantType::Password => "password",
            GrantType::RefreshToken => "refresh_token",
            GrantType::ClientCredentials => "client_credentials",
            GrantType::AuthorizationCode => "authorization_code",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        GrantType::ALL.into_iter().find(|g| g.as_str() == s)
    }
}

/// A set of grant types, written space-separated like scopes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GrantTypes(BTreeSet<GrantType>);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown grant type `{0}`; known: password, refresh_token, client_credentials, authorization_code")]
pub struct UnknownGrantType(pub String);

impl GrantTypes {
    /// Space- or comma-separated names.
    pub fn parse(s: &str) -> Result<Self, UnknownGrantType> {
        s.split([' ', ','])
            .filter(|name| !name.is_empty())
            .map(|name| {
                GrantType::parse(name)
                    .ok_or_else(|| UnknownGrantType(name.chars().take(64).collect()))
            })
            .collect::<Result<BTreeSet<_>, _>>()
            .map(GrantTypes)
    }

    pub fn contains(&self, grant: GrantType) -> bool {
        self.0.contains(&grant)
    }

    pub fn iter(&self) -> impl Iterator<Item = GrantType> + '_ {
        self.0.iter().copied()
    }
}

impl FromIterator<GrantType> for GrantTypes {
    fn from_iter<I: IntoIterator<Item = GrantType>>(iter: I) -> Self {
        GrantTypes(iter.into_iter().collect())
    }
}

impl<const N: usize> From<[GrantType; N]> for GrantTypes {
    fn from(grants: [GrantType; N]) -> Self {
        GrantTypes(grants.into_iter().collect())
    }
}

impl fmt::Display for GrantTypes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.0.iter().map(|g| g.as_str()).collect();
        f.write_str(&names.join(" "))
    }
}

impl Serialize for GrantTypes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for GrantTypes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        GrantTypes::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// One secret of a confidential client, as stored: an Argon2id PHC string, and a lookup hint
/// (the first 8 bytes of the secret's SHA-256, base64url) that picks which of the client's
/// hashes to verify, so a request costs one Argon2 verification however many secrets are
/// live. The hint of a generated 256-bit secret gives nothing to guess with.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretHash {
    pub hint: String,
    pub phc: String,
    pub created_at: UnixSeconds,
}

impl fmt::Debug for SecretHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretHash")
            .field("created_at", &self.created_at)
            .finish_non_exhaustive()
    }
}

/// A registered client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Client {
    pub client_id: ClientId,
    pub client_type: ClientType,
    pub grant_types: GrantTypes,
    /// The most a token issued through this client may carry.
    #[serde(default)]
    pub allowed_scopes: ScopeSet,
    #[serde(default)]
    pub redirect_uris: Vec<RedirectUri>,
    /// Confidential clients only: at most [`MAX_CLIENT_SECRETS`], oldest first.
    #[serde(default)]
    pub secrets: Vec<SecretHash>,
    #[serde(default)]
    pub disabled: bool,
    pub created_at: UnixSeconds,
    /// Raised by one by every change: conditional updates compare it.
    #[serde(default)]
    pub revision: u64,
}

impl Client {
    /// The built-in public client of requests that name none: the password and refresh
    /// grants, every scope (a user's own allowed scopes still limit what is granted).
    pub fn built_in_default() -> Self {
        Client {
            client_id: ClientId::default_client(),
            client_type: ClientType::Public,
            grant_types: GrantTypes::from([GrantType::Password, GrantType::RefreshToken]),
            allowed_scopes: super::Scope::ALL.into_iter().collect(),
            redirect_uris: Vec::new(),
            secrets: Vec::new(),
            disabled: false,
            created_at: 0,
            revision: 0,
        }
    }

    pub fn is_confidential(&self) -> bool {
        self.client_type == ClientType::Confidential
    }

    pub fn may_use(&self, grant: GrantType) -> bool {
        self.grant_types.contains(grant)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_ids_are_visible_ascii() {
        for ok in ["default", "my-cli", "a", "svc:reports/v2"] {
            assert_eq!(ClientId::parse(ok).unwrap().as_str(), ok);
        }
        let long = "x".repeat(MAX_CLIENT_ID_LEN + 1);
        for bad in ["", "has space", "tab\t", "é", long.as_str()] {
            assert_eq!(ClientId::parse(bad), Err(InvalidClientId), "{bad:?}");
        }
    }

    #[test]
    fn grant_types_parse_and_print_in_one_order() {
        let set = GrantTypes::parse("refresh_token,password  client_credentials").unwrap();
        assert_eq!(set.to_string(), "password refresh_token client_credentials");
        assert!(set.contains(GrantType::Password));
        assert!(!set.contains(GrantType::AuthorizationCode));
        assert!(GrantTypes::parse("implicit").is_err());
        assert_eq!(GrantTypes::parse("").unwrap(), GrantTypes::default());
    }

    #[test]
    fn debug_output_leaves_secret_hashes_out() {
        let secret = SecretHash {
            hint: "hint-value".into(),
            phc: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
            created_at: 1,
        };
        let shown = format!("{secret:?}");
        assert!(
            !shown.contains("argon2") && !shown.contains("hint-value"),
            "{shown}"
        );
    }

    #[test]
    fn a_client_round_trips_through_serde() {
        let client = Client {
            client_id: ClientId::parse("svc").unwrap(),
            client_type: ClientType::Confidential,
            grant_types: GrantTypes::from([GrantType::ClientCredentials]),
            allowed_scopes: ScopeSet::parse("items").unwrap(),
            redirect_uris: vec![RedirectUri::parse("https://a.example/cb").unwrap()],
            secrets: Vec::new(),
            disabled: false,
            created_at: 7,
            revision: 3,
        };
        let json = serde_json::to_value(&client).unwrap();
        assert_eq!(json["grant_types"], "client_credentials");
        assert_eq!(json["client_type"], "confidential");
        let back: Client = serde_json::from_value(json).unwrap();
        assert_eq!(back, client);
    }
}
