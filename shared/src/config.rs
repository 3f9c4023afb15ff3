//! Configuration, read from the environment in this one place.

use std::time::Duration;

use crate::tokens::{ShortSecret, SigningSecret, TokenSettings};

pub const DEFAULT_ISSUER: &str = "urn:oauth2-scopes:issuer";
pub const DEFAULT_AUDIENCE: &str = "urn:oauth2-scopes:api";
pub const DEFAULT_TABLE: &str = "users";
pub const DEFAULT_TTL_SECONDS: u64 = 1800;

/// Where the process runs decides how forgiving configuration is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A Lambda function (deployed, `sam local`, `cargo lambda`): a signing secret is mandatory
    /// and users live in DynamoDB unless `USER_STORE=memory`.
    Function,
    /// `authctl serve`: zero setup. A random secret and the in-memory demo users unless a
    /// secret or a DynamoDB endpoint is configured.
    Local,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreChoice {
    DynamoDb,
    /// The in-memory store seeded with the demo users.
    MemoryDemo,
}

#[derive(Debug, Clone)]
pub enum SecretSource {
    /// `JWT_SECRET` from the environment (local runs, `sam local`, tests).
    Value(SigningSecret),
    /// `JWT_SECRET_ARN`: fetched from Secrets Manager once per cold start.
    SecretsManager(String),
    /// Local mode only: a fresh random secret per process.
    Random,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub tokens: TokenSettings,
    pub users_table: String,
    pub store: StoreChoice,
    pub secret: SecretSource,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("no JWT signing secret: set JWT_SECRET_ARN (Secrets Manager) or JWT_SECRET")]
    MissingSecret,
    #[error("JWT_SECRET is too short: {0}")]
    ShortSecret(#[from] ShortSecret),
    #[error("{name} must be {expected}, got `{value}`")]
    Invalid {
        name: &'static str,
        expected: &'static str,
        value: String,
    },
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

        let store = match get("USER_STORE").as_deref() {
            Some("dynamodb") => StoreChoice::DynamoDb,
            Some("memory") => StoreChoice::MemoryDemo,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    name: "USER_STORE",
                    expected: "`dynamodb` or `memory`",
                    value: other.to_owned(),
                })
            }
            None => match mode {
                Mode::Function => StoreChoice::DynamoDb,
                Mode::Local
                    if get("AWS_ENDPOINT_URL_DYNAMODB").is_some()
                        || get("AWS_ENDPOINT_URL").is_some() =>
                {
                    StoreChoice::DynamoDb
                }
                Mode::Local => StoreChoice::MemoryDemo,
            },
        };

        // The managed secret wins: a deployed function always has its ARN, so an environment
        // edit cannot swap in another key. JWT_SECRET serves where there is no ARN (local runs,
        // `sam local invoke` with events/env.json, which blanks the ARN).
        let secret = match (get("JWT_SECRET_ARN"), get("JWT_SECRET")) {
            (Some(arn), _) => SecretSource::SecretsManager(arn),
            (None, Some(value)) => SecretSource::Value(SigningSecret::new(value.into_bytes())?),
            (None, None) if mode == Mode::Local => SecretSource::Random,
            (None, None) => return Err(ConfigError::MissingSecret),
        };

        let token_ttl = match get("ACCESS_TOKEN_TTL_SECONDS") {
            None => DEFAULT_TTL_SECONDS,
            Some(value) => value
                .parse::<u64>()
                .ok()
                .filter(|s| (60..=86_400).contains(s))
                .ok_or(ConfigError::Invalid {
                    name: "ACCESS_TOKEN_TTL_SECONDS",
                    expected: "a number of seconds from 60 to 86400",
                    value,
                })?,
        };

        Ok(Config {
            tokens: TokenSettings {
                issuer: get("JWT_ISSUER").unwrap_or_else(|| DEFAULT_ISSUER.to_owned()),
                audience: get("JWT_AUDIENCE").unwrap_or_else(|| DEFAULT_AUDIENCE.to_owned()),
                ttl: Duration::from_secs(token_ttl),
            },
            users_table: get("USERS_TABLE").unwrap_or_else(|| DEFAULT_TABLE.to_owned()),
            store,
            secret,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(mode: Mode, vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(mode, |name| vars.get(name).cloned())
    }

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn functions_refuse_to_start_without_a_secret() {
        assert_eq!(
            config(Mode::Function, &[]).unwrap_err(),
            ConfigError::MissingSecret
        );
        assert_eq!(
            config(Mode::Function, &[("JWT_SECRET", "")]).unwrap_err(),
            ConfigError::MissingSecret
        );
    }

    #[test]
    fn short_secrets_are_refused_in_every_mode() {
        for mode in [Mode::Function, Mode::Local] {
            assert_eq!(
                config(mode, &[("JWT_SECRET", "short")]).unwrap_err(),
                ConfigError::ShortSecret(ShortSecret(5))
            );
        }
    }

    #[test]
    fn function_defaults() {
        let c = config(
            Mode::Function,
            &[("JWT_SECRET_ARN", "arn:aws:secretsmanager:x")],
        )
        .unwrap();
        assert_eq!(c.store, StoreChoice::DynamoDb);
        assert!(
            matches!(c.secret, SecretSource::SecretsManager(ref arn) if arn == "arn:aws:secretsmanager:x")
        );
        assert_eq!(c.tokens.ttl, Duration::from_secs(1800));
        assert_eq!(c.tokens.issuer, DEFAULT_ISSUER);
        assert_eq!(c.tokens.audience, DEFAULT_AUDIENCE);
        assert_eq!(c.users_table, "users");
    }

    #[test]
    fn the_managed_secret_wins_over_an_environment_value() {
        let c = config(
            Mode::Function,
            &[("JWT_SECRET", SECRET), ("JWT_SECRET_ARN", "arn")],
        )
        .unwrap();
        assert!(matches!(c.secret, SecretSource::SecretsManager(_)));
        let c = config(
            Mode::Function,
            &[("JWT_SECRET", SECRET), ("JWT_SECRET_ARN", "")],
        )
        .unwrap();
        assert!(matches!(c.secret, SecretSource::Value(_)));
    }

    #[test]
    fn debug_output_never_shows_the_secret() {
        let c = config(Mode::Function, &[("JWT_SECRET", SECRET)]).unwrap();
        let shown = format!("{c:?}");
        assert!(!shown.contains(SECRET), "{shown}");
        assert!(!shown.contains("0123456789abcdef"), "{shown}");
        assert!(!shown.contains("48, 49, 50"), "{shown}");
    }

    #[test]
    fn local_defaults_need_nothing() {
        let c = config(Mode::Local, &[]).unwrap();
        assert_eq!(c.store, StoreChoice::MemoryDemo);
        assert!(matches!(c.secret, SecretSource::Random));
    }

    #[test]
    fn local_uses_dynamodb_when_an_endpoint_is_configured() {
        let c = config(
            Mode::Local,
            &[("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:1")],
        )
        .unwrap();
        assert_eq!(c.store, StoreChoice::DynamoDb);
        let c = config(Mode::Local, &[("USER_STORE", "dynamodb")]).unwrap();
        assert_eq!(c.store, StoreChoice::DynamoDb);
    }

    #[test]
    fn bad_values_are_named() {
        let err = config(Mode::Local, &[("USER_STORE", "postgres")]).unwrap_err();
        assert!(err.to_string().contains("USER_STORE"), "{err}");
        for ttl in ["abc", "0", "59", "86401", "-5"] {
            let err = config(Mode::Local, &[("ACCESS_TOKEN_TTL_SECONDS", ttl)]).unwrap_err();
            assert!(
                err.to_string().contains("ACCESS_TOKEN_TTL_SECONDS"),
                "{err}"
            );
        }
        let c = config(Mode::Local, &[("ACCESS_TOKEN_TTL_SECONDS", "60")]).unwrap();
        assert_eq!(c.tokens.ttl, Duration::from_secs(60));
    }
}
