//! Configuration, read from the environment in this one place.
//!
//! Deployed (`SERVICE_ENVIRONMENT=aws`, the default of a Lambda function) only the production
//! shape is accepted: KMS signing, users and keys in DynamoDB. Everything local (in-process
//! keys, HS256, memory stores, key files) must be asked for and is refused there.

use std::path::PathBuf;
use std::time::Duration;

use crate::keys::JwkSet;
use crate::tokens::{IssuerUrl, ShortSecret, SigningSecret, TokenSettings};

pub const DEFAULT_ISSUER: &str = "http://localhost:8000";
pub const DEFAULT_AUDIENCE: &str = "urn:oauth2-scopes:api";
pub const DEFAULT_TABLE: &str = "users";
pub const DEFAULT_KEYS_TABLE: &str = "signing-keys";
pub const DEFAULT_TOKENS_TABLE: &str = "tokens";
pub const DEFAULT_CLIENTS_TABLE: &str = "clients";
/// A session (refresh-token family) lasts 30 days from sign-in, as Cognito's default.
pub const DEFAULT_REFRESH_TTL_SECONDS: u64 = 30 * 24 * 3600;
/// How long a spent refresh token still yields tokens (lost responses, parallel tabs).
pub const DEFAULT_REUSE_GRACE_SECONDS: u64 = 10;
pub const DEFAULT_TTL_SECONDS: u64 = 1800;
/// The longest access-token lifetime configuration accepts; retired keys stay published this
/// long by default, whatever a function's own setting.
pub const MAX_TTL_SECONDS: u64 = 86_400;

/// Which program reads the configuration: decides the defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A Lambda function (deployed, `sam local`, `cargo lambda`): deployed rules unless
    /// `SERVICE_ENVIRONMENT=local`.
    Function,
    /// `authctl`: zero setup. An in-process key and the in-memory demo users unless a
    /// DynamoDB endpoint is configured.
    Local,
}

/// Where the process runs: decides what configuration is acceptable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    /// Deployed in AWS: KMS and DynamoDB only.
    Aws,
    /// A local run: `authctl serve`, `cargo lambda watch`, `sam local`, tests.
    Local,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreChoice {
    DynamoDb,
    /// The in-memory store seeded with the demo users.
    MemoryDemo,
}

/// Who signs access tokens (used only by the process that issues them).
#[derive(Debug, Clone)]
pub enum SignerChoice {
    /// AWS KMS, with the key the key set names as signing. The set's first key is published
    /// by the operator (`authctl key rotate --kms-key-id`), never by the function: its role
    /// cannot write the key set.
    Kms,
    /// An in-process RSA key: from `key_file` (created there if missing) or generated.
    LocalRsa { key_file: Option<PathBuf> },
    /// The explicit local opt-in: HS256 with a shared secret.
    Hs256(SigningSecret),
}

/// Where the key set lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySetChoice {
    DynamoDb {
        table: String,
    },
    /// A file shared by local processes (`cargo lambda watch`).
    File(PathBuf),
    /// This process only.
    Memory,
}

/// Refresh-token sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionSettings {
    /// From sign-in to the end of the family: no refresh token outlives it.
    pub refresh_ttl: Duration,
    /// How long after a refresh token was spent it may be presented again and still yield
    /// tokens; after that, presenting it revokes its family. 0 to 60 seconds.
    pub reuse_grace: Duration,
    /// How long a browser stays signed in to the hosted sign-in page
    /// (`SSO_SESSION_TTL_SECONDS`); zero: never, every authorization asks for the password.
    pub browser_ttl: Duration,
}

impl Default for SessionSettings {
    fn default() -> Self {
        SessionSettings {
            refresh_ttl: Duration::from_secs(DEFAULT_REFRESH_TTL_SECONDS),
            reuse_grace: Duration::from_secs(DEFAULT_REUSE_GRACE_SECONDS),
            browser_ttl: Duration::from_secs(DEFAULT_SSO_SESSION_TTL_SECONDS),
        }
    }
}

/// A browser stays signed in to the sign-in page for a working day by default.
pub const DEFAULT_SSO_SESSION_TTL_SECONDS: u64 = 8 * 3600;
/// At most thirty days.
pub const MAX_SSO_SESSION_TTL_SECONDS: u64 = 30 * 24 * 3600;

#[derive(Debug, Clone)]
pub struct Config {
    pub environment: Environment,
    pub tokens: TokenSettings,
    pub sessions: SessionSettings,
    pub users_table: String,
    pub tokens_table: String,
    pub clients_table: String,
    /// Whether requests that name no client are served as the built-in public client
    /// `default` (`ANONYMOUS_CLIENT`, on unless `off`): the FastAPI tutorial's clients.
    pub anonymous_client: bool,
    pub store: StoreChoice,
    pub signer: SignerChoice,
    pub key_set: KeySetChoice,
    /// Extra public keys a local run trusts (`TRUSTED_KEYS`): those of the sample events.
    pub trusted_keys: Option<JwkSet>,
    /// A header set by a proxy the operator trusts (`TRUSTED_SOURCE_HEADER`, e.g.
    /// `x-forwarded-for`) whose last entry is the client's address for the sign-in budgets.
    /// Unset (the default), no header is ever believed.
    pub source_header: Option<axum::http::HeaderName>,
    /// The heading and title of the hosted sign-in page (`SIGN_IN_TITLE`).
    pub sign_in_title: String,
}

/// The sign-in page's heading when `SIGN_IN_TITLE` is unset.
pub const DEFAULT_SIGN_IN_TITLE: &str = "Sign in";
/// Longest `SIGN_IN_TITLE`: a heading, not a paragraph.
pub const MAX_SIGN_IN_TITLE_CHARS: usize = 80;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("TOKEN_SIGNER=hs256 needs JWT_SECRET")]
    MissingSecret,
    #[error("JWT_SECRET is too short: {0}")]
    ShortSecret(#[from] ShortSecret),
    #[error("{name} must be {expected}, got `{value}`")]
    Invalid {
        name: &'static str,
        expected: &'static str,
        value: String,
    },
    #[error("{0} is for local runs only and is refused when SERVICE_ENVIRONMENT=aws")]
    LocalOnly(&'static str),
}

impl Config {
    /// Reads the process environment.
    pub fn from_env(mode: Mode) -> Result<Self, ConfigError> {
        Self::from_lookup(mode, |name| std::env::var(name).ok())
    }

    /// Reads configuration through `lookup`; empty values count as unset.
    pub fn from_lookup(
        mode: Mode,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let invalid =
            |name: &'static str, expected: &'static str, value: String| ConfigError::Invalid {
                name,
                expected,
                value,
            };

        let environment = match get("SERVICE_ENVIRONMENT").as_deref() {
            Some("aws") => Environment::Aws,
            Some("local") => Environment::Local,
            Some(other) => {
                return Err(invalid(
                    "SERVICE_ENVIRONMENT",
                    "`aws` or `local`",
                    other.to_owned(),
                ))
            }
            None if mode == Mode::Function => Environment::Aws,
            None => Environment::Local,
        };
        let deployed = environment == Environment::Aws;
        let local_only = |name: &'static str| -> Result<(), ConfigError> {
            if deployed {
                Err(ConfigError::LocalOnly(name))
            } else {
                Ok(())
            }
        };

        let store = match get("USER_STORE").as_deref() {
            Some("dynamodb") => StoreChoice::DynamoDb,
            Some("memory") => {
                local_only("USER_STORE=memory")?;
                StoreChoice::MemoryDemo
            }
            Some(other) => {
                return Err(invalid(
                    "USER_STORE",
                    "`dynamodb` or `memory`",
                    other.to_owned(),
                ))
            }
            None if deployed || mode == Mode::Function => StoreChoice::DynamoDb,
            None if get("AWS_ENDPOINT_URL_DYNAMODB").is_some()
                || get("AWS_ENDPOINT_URL").is_some() =>
            {
                StoreChoice::DynamoDb
            }
            None => StoreChoice::MemoryDemo,
        };

        let secret = get("JWT_SECRET");
        let signer = match get("TOKEN_SIGNER").as_deref() {
            Some("kms") => SignerChoice::Kms,
            None if deployed => SignerChoice::Kms,
            Some("local") | None => {
                local_only("TOKEN_SIGNER=local")?;
                SignerChoice::LocalRsa {
                    key_file: get("SIGNING_KEY_FILE").map(PathBuf::from),
                }
            }
            Some("hs256") => {
                local_only("TOKEN_SIGNER=hs256")?;
                let value = secret.clone().ok_or(ConfigError::MissingSecret)?;
                SignerChoice::Hs256(SigningSecret::new(value.into_bytes())?)
            }
            Some(other) => {
                return Err(invalid(
                    "TOKEN_SIGNER",
                    "`kms`, `local` or `hs256`",
                    other.to_owned(),
                ))
            }
        };
        if secret.is_some() && !matches!(signer, SignerChoice::Hs256(_)) {
            return Err(invalid(
                "JWT_SECRET",
                "unset unless TOKEN_SIGNER=hs256",
                "<redacted>".to_owned(),
            ));
        }
        if get("SIGNING_KEY_FILE").is_some() {
            local_only("SIGNING_KEY_FILE")?;
        }

        let key_set = match (store, get("KEY_SET_FILE")) {
            (_, Some(path)) => {
                local_only("KEY_SET_FILE")?;
                KeySetChoice::File(PathBuf::from(path))
            }
            (StoreChoice::DynamoDb, None) => KeySetChoice::DynamoDb {
                table: get("KEYS_TABLE").unwrap_or_else(|| DEFAULT_KEYS_TABLE.to_owned()),
            },
            (StoreChoice::MemoryDemo, None) => KeySetChoice::Memory,
        };

        // A local signer publishes its key where the verifiers read keys: never into a real
        // deployment's key set (a DynamoDB table reached without a local endpoint).
        let local_endpoint = get("AWS_ENDPOINT_URL_DYNAMODB")
            .or_else(|| get("AWS_ENDPOINT_URL"))
            .is_some_and(|url| is_local_endpoint(&url));
        if matches!(key_set, KeySetChoice::DynamoDb { .. })
            && matches!(signer, SignerChoice::LocalRsa { .. })
            && !local_endpoint
        {
            return Err(ConfigError::LocalOnly(
                "a local signer with a DynamoDB key set outside a local endpoint",
            ));
        }

        let trusted_keys = match get("TRUSTED_KEYS") {
            None => None,
            Some(json) => {
                local_only("TRUSTED_KEYS")?;
                // Only the sample events' key, for a local key set: a real deployment's key
                // set (DynamoDB without a local endpoint) is never asked to trust it.
                if matches!(key_set, KeySetChoice::DynamoDb { .. }) && !local_endpoint {
                    return Err(ConfigError::LocalOnly(
                        "TRUSTED_KEYS with a DynamoDB key set outside a local endpoint",
                    ));
                }
                let set: JwkSet = serde_json::from_str(&json).map_err(|_| {
                    invalid("TRUSTED_KEYS", "a JWK Set of RSA public keys", json.clone())
                })?;
                if set.keys.iter().any(|jwk| jwk.to_key().is_err()) {
                    return Err(invalid(
                        "TRUSTED_KEYS",
                        "a JWK Set of RSA public keys whose kids are their thumbprints",
                        json,
                    ));
                }
                Some(set)
            }
        };

        let source_header = match get("TRUSTED_SOURCE_HEADER") {
            None => None,
            Some(name) => Some(
                axum::http::HeaderName::try_from(name.to_ascii_lowercase())
                    .map_err(|_| invalid("TRUSTED_SOURCE_HEADER", "a header name", name))?,
            ),
        };

        let seconds = |name: &'static str,
                       default: u64,
                       range: std::ops::RangeInclusive<u64>,
                       expected: &'static str| {
            match get(name) {
                None => Ok(default),
                Some(value) => value
                    .parse::<u64>()
                    .ok()
                    .filter(|s| range.contains(s))
                    .ok_or(ConfigError::Invalid {
                        name,
                        expected,
                        value,
                    }),
            }
        };
        let token_ttl = seconds(
            "ACCESS_TOKEN_TTL_SECONDS",
            DEFAULT_TTL_SECONDS,
            60..=MAX_TTL_SECONDS,
            "a number of seconds from 60 to 86400",
        )?;
        let refresh_ttl = seconds(
            "REFRESH_TOKEN_TTL_SECONDS",
            DEFAULT_REFRESH_TTL_SECONDS,
            300..=365 * 24 * 3600,
            "a number of seconds from 300 to 31536000 (365 days)",
        )?;
        let reuse_grace = seconds(
            "REFRESH_REUSE_GRACE_SECONDS",
            DEFAULT_REUSE_GRACE_SECONDS,
            0..=60,
            "a number of seconds from 0 to 60",
        )?;

        let browser_ttl = seconds(
            "SSO_SESSION_TTL_SECONDS",
            DEFAULT_SSO_SESSION_TTL_SECONDS,
            0..=MAX_SSO_SESSION_TTL_SECONDS,
            "a number of seconds from 0 (no browser sessions) to 2592000 (30 days)",
        )?;

        let anonymous_client = match get("ANONYMOUS_CLIENT").as_deref() {
            None | Some("on") => true,
            Some("off") => false,
            Some(other) => {
                return Err(invalid(
                    "ANONYMOUS_CLIENT",
                    "`on` or `off`",
                    other.to_owned(),
                ))
            }
        };

        let sign_in_title = match get("SIGN_IN_TITLE") {
            None => DEFAULT_SIGN_IN_TITLE.to_owned(),
            Some(title)
                if title.chars().count() > MAX_SIGN_IN_TITLE_CHARS
                    || title.chars().any(char::is_control) =>
            {
                return Err(invalid(
                    "SIGN_IN_TITLE",
                    "at most 80 characters on one line",
                    title,
                ))
            }
            Some(title) => title.trim().to_owned(),
        };

        let issuer = match get("JWT_ISSUER") {
            Some(url) if deployed && !url.starts_with("https://") => {
                return Err(invalid("JWT_ISSUER", "an https:// URL when deployed", url))
            }
            Some(url) if !url.starts_with("https://") && !url.starts_with("http://") => {
                return Err(invalid("JWT_ISSUER", "an http(s):// URL", url))
            }
            Some(url) => IssuerUrl::Fixed(url.trim_end_matches('/').to_owned()),
            None if deployed => IssuerUrl::FromApiDomain,
            None => IssuerUrl::Fixed(DEFAULT_ISSUER.to_owned()),
        };

        Ok(Config {
            environment,
            tokens: TokenSettings {
                issuer,
                audience: get("JWT_AUDIENCE").unwrap_or_else(|| DEFAULT_AUDIENCE.to_owned()),
                ttl: Duration::from_secs(token_ttl),
                // Deployed, no token outlives what the token function issues; locally the
                // sample events' fixture tokens do.
                max_lifetime: deployed.then(|| Duration::from_secs(token_ttl)),
            },
            sessions: SessionSettings {
                refresh_ttl: Duration::from_secs(refresh_ttl),
                reuse_grace: Duration::from_secs(reuse_grace),
                browser_ttl: Duration::from_secs(browser_ttl),
            },
            users_table: get("USERS_TABLE").unwrap_or_else(|| DEFAULT_TABLE.to_owned()),
            tokens_table: get("TOKENS_TABLE").unwrap_or_else(|| DEFAULT_TOKENS_TABLE.to_owned()),
            clients_table: get("CLIENTS_TABLE").unwrap_or_else(|| DEFAULT_CLIENTS_TABLE.to_owned()),
            anonymous_client,
            store,
            signer,
            key_set,
            trusted_keys,
            source_header,
            sign_in_title,
        })
    }
}

/// Whether an endpoint URL is on this machine or its container host (a DynamoDB stand-in):
/// `localhost`, a loopback address or `host.docker.internal`. Any other override (a VPC or
/// FIPS endpoint) may well be a deployment's.
fn is_local_endpoint(url: &str) -> bool {
    let Some((_, rest)) = url.trim().split_once("://") else {
        return false;
    };
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    let host = match authority.strip_prefix('[') {
        Some(bracketed) => bracketed.split(']').next().unwrap_or_default(),
        None => authority
            .rsplit_once(':')
            .map_or(authority, |(host, _)| host),
    };
    host.eq_ignore_ascii_case("localhost")
        || host.eq_ignore_ascii_case("host.docker.internal")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests;
