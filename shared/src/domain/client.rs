//! OAuth clients (RFC 6749 §2): who may ask for tokens, how they prove it, and what they may
//! be given. Parsed once where they enter the service, like usernames.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

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

/// A redirect URI as registered: absolute, `https://` (or `http://` for loopback and local
/// development), no fragment (RFC 6749 §3.1.2). Compared as an exact string when used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RedirectUri(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("redirect URI must be an absolute http(s) URI without a fragment, at most 2000 characters: `{0}`")]
pub struct InvalidRedirectUri(pub String);

impl RedirectUri {
    pub fn parse(s: &str) -> Result<Self, InvalidRedirectUri> {
        let invalid = || InvalidRedirectUri(s.chars().take(80).collect());
        let rest = s
            .strip_prefix("https://")
            .or_else(|| s.strip_prefix("http://"))
            .ok_or_else(invalid)?;
        let host_ok = rest
            .split(['/', '?'])
            .next()
            .is_some_and(|authority| !authority.is_empty());
        let ok = host_ok
            && s.len() <= 2000
            && !s.contains('#')
            && s.chars().all(|c| c.is_ascii_graphic());
        if ok {
            Ok(RedirectUri(s.to_owned()))
        } else {
            Err(invalid())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `presented` (an authorization request's `redirect_uri`) is this registered
    /// URI: the exact string (RFC 9700 §4.1.3: no prefix, case or normalisation games), except
    /// that a loopback IP literal over `http` may come with any port (RFC 8252 §7.3: native
    /// apps listen on a port the system gives them). `localhost` is compared exactly, as any
    /// host (RFC 8252 §8.3).
    pub fn admits(&self, presented: &str) -> bool {
        if self.0 == presented {
            return true;
        }
        ["http://127.0.0.1", "http://[::1]"].iter().any(|loopback| {
            match (
                loopback_rest(&self.0, loopback),
                loopback_rest(presented, loopback),
            ) {
                (Some(registered), Some(presented)) => registered == presented,
                _ => false,
            }
        })
    }
}

/// What follows the port of `uri` if it is `loopback` with or without a port, else `None`.
fn loopback_rest<'a>(uri: &'a str, loopback: &str) -> Option<&'a str> {
    let after_host = uri.strip_prefix(loopback)?;
    let rest = match after_host.strip_prefix(':') {
        None => after_host,
        Some(port_and_rest) => {
            let digits = port_and_rest
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(port_and_rest.len());
            let port = &port_and_rest[..digits];
            if port.is_empty() || port.len() > 5 || port.parse::<u16>().is_err() {
                return None;
            }
            &port_and_rest[digits..]
        }
    };
    // The authority ends here: `http://127.0.0.1.evil.example` is another host.
    (rest.is_empty() || rest.starts_with(['/', '?'])).then_some(rest)
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
    fn a_redirect_uri_is_admitted_only_as_registered() {
        let registered = RedirectUri::parse("https://app.example/callback").unwrap();
        assert!(registered.admits("https://app.example/callback"));
        for near_miss in [
            "https://app.example/callback/",
            "https://APP.example/callback",
            "https://app.example/Callback",
            "https://app.example/callback?x=1",
            "https://app.example:443/callback",
            "https://app.example:8443/callback",
            "http://app.example/callback",
            "https://app.example/callback#",
            "https://app.example/callback/../callback",
            "https://app.example/callback%2F",
            "https://app.example.evil.example/callback",
            "https://app.example/callbackx",
            "",
        ] {
            assert!(!registered.admits(near_miss), "{near_miss}");
        }
    }

    #[test]
    fn only_a_loopback_ip_redirect_may_change_its_port() {
        for (registered, admitted, refused) in [
            (
                "http://127.0.0.1/cb",
                &[
                    "http://127.0.0.1:53211/cb",
                    "http://127.0.0.1/cb",
                    "http://127.0.0.1:1/cb",
                ][..],
                &[
                    "http://127.0.0.1:53211/cb/",
                    "http://127.0.0.1:/cb",
                    "http://127.0.0.1:99999/cb",
                    "http://127.0.0.1:123456/cb",
                    "http://127.0.0.1:80x/cb",
                    "http://127.0.0.1.evil.example/cb",
                    "http://127.0.0.1:8080.evil.example/cb",
                    "https://127.0.0.1:8080/cb",
                    "http://[::1]:8080/cb",
                    "http://localhost:8080/cb",
                ][..],
            ),
            (
                "http://[::1]:8080/cb?app=1",
                &["http://[::1]:9/cb?app=1", "http://[::1]/cb?app=1"][..],
                &["http://[::1]:9/cb?app=2", "http://127.0.0.1:8080/cb?app=1"][..],
            ),
            (
                // localhost is a name, not a loopback literal: exact only.
                "http://localhost:8080/cb",
                &["http://localhost:8080/cb"][..],
                &["http://localhost:8081/cb", "http://localhost/cb"][..],
            ),
            (
                "https://app.example:8443/cb",
                &["https://app.example:8443/cb"][..],
                &["https://app.example:8444/cb", "https://app.example/cb"][..],
            ),
        ] {
            let registered = RedirectUri::parse(registered).unwrap();
            for uri in admitted {
                assert!(registered.admits(uri), "{registered:?} should admit {uri}");
            }
            for uri in refused {
                assert!(!registered.admits(uri), "{registered:?} admitted {uri}");
            }
        }
    }

    #[test]
    fn redirect_uris_are_absolute_http_without_fragments() {
        for ok in [
            "https://app.example.com/callback",
            "http://127.0.0.1:8765/callback",
            "https://app.example.com/cb?tenant=1",
        ] {
            assert_eq!(RedirectUri::parse(ok).unwrap().as_str(), ok);
        }
        for bad in [
            "app.example.com/callback",
            "https://",
            "https:///path",
            "https://a.example/cb#frag",
            "javascript:alert(1)",
            "https://a.example/has space",
        ] {
            assert!(RedirectUri::parse(bad).is_err(), "{bad}");
        }
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
