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
const HTTPS_ISSUER: (&str, &str) = ("JWT_ISSUER", "https://auth.example.com");

#[test]
fn deployed_defaults_are_kms_and_dynamodb() {
    let c = config(Mode::Function, &[HTTPS_ISSUER]).unwrap();
    assert_eq!(c.environment, Environment::Aws);
    assert_eq!(c.store, StoreChoice::DynamoDb);
    assert!(matches!(c.signer, SignerChoice::Kms));
    assert_eq!(
        c.key_set,
        KeySetChoice::DynamoDb {
            table: DEFAULT_KEYS_TABLE.into()
        }
    );
    assert_eq!(c.tokens.ttl, Duration::from_secs(1800));
    assert_eq!(
        c.tokens.issuer,
        IssuerUrl::Fixed("https://auth.example.com".into())
    );
    // Without a custom domain, the issuer is the API's own URL, known per request.
    let c = config(Mode::Function, &[]).unwrap();
    assert_eq!(c.tokens.issuer, IssuerUrl::FromApiDomain);
    assert_eq!(c.tokens.audience, DEFAULT_AUDIENCE);
    assert_eq!(c.users_table, "users");
}

#[test]
fn deployed_functions_refuse_every_local_shortcut() {
    for (name, value) in [
        ("TOKEN_SIGNER", "local"),
        ("TOKEN_SIGNER", "hs256"),
        ("USER_STORE", "memory"),
        ("SIGNING_KEY_FILE", "/tmp/key.pem"),
        ("KEY_SET_FILE", "/tmp/keys.json"),
        ("TRUSTED_KEYS", r#"{"keys":[]}"#),
    ] {
        let vars = [HTTPS_ISSUER, (name, value), ("JWT_SECRET", SECRET)];
        let vars = if name == "TOKEN_SIGNER" && value == "hs256" {
            &vars[..]
        } else {
            &vars[..2]
        };
        assert!(
            matches!(config(Mode::Function, vars), Err(ConfigError::LocalOnly(_))),
            "{name}={value} was accepted deployed"
        );
    }
    assert!(matches!(
        config(
            Mode::Function,
            &[("JWT_ISSUER", "http://plain.example.com")]
        ),
        Err(ConfigError::Invalid {
            name: "JWT_ISSUER",
            ..
        })
    ));
}

#[test]
fn hs256_is_an_explicit_local_opt_in_with_a_long_secret() {
    let local = ("SERVICE_ENVIRONMENT", "local");
    assert_eq!(
        config(Mode::Function, &[local, ("TOKEN_SIGNER", "hs256")]).unwrap_err(),
        ConfigError::MissingSecret
    );
    assert_eq!(
        config(
            Mode::Local,
            &[("TOKEN_SIGNER", "hs256"), ("JWT_SECRET", "short")]
        )
        .unwrap_err(),
        ConfigError::ShortSecret(ShortSecret(5))
    );
    let c = config(
        Mode::Function,
        &[local, ("TOKEN_SIGNER", "hs256"), ("JWT_SECRET", SECRET)],
    )
    .unwrap();
    assert!(matches!(c.signer, SignerChoice::Hs256(_)));
    // A secret without the opt-in is a mistake, not a silent HS256.
    assert!(matches!(
        config(Mode::Local, &[("JWT_SECRET", SECRET)]),
        Err(ConfigError::Invalid {
            name: "JWT_SECRET",
            ..
        })
    ));
}

#[test]
fn debug_output_never_shows_the_secret() {
    let c = config(
        Mode::Local,
        &[("TOKEN_SIGNER", "hs256"), ("JWT_SECRET", SECRET)],
    )
    .unwrap();
    let shown = format!("{c:?}");
    assert!(!shown.contains(SECRET), "{shown}");
    assert!(!shown.contains("0123456789abcdef"), "{shown}");
    assert!(!shown.contains("48, 49, 50"), "{shown}");
}

#[test]
fn local_defaults_need_nothing() {
    let c = config(Mode::Local, &[]).unwrap();
    assert_eq!(c.environment, Environment::Local);
    assert_eq!(c.store, StoreChoice::MemoryDemo);
    assert!(matches!(
        c.signer,
        SignerChoice::LocalRsa { key_file: None }
    ));
    assert_eq!(c.key_set, KeySetChoice::Memory);
    assert_eq!(c.tokens.issuer, IssuerUrl::Fixed(DEFAULT_ISSUER.into()));
    assert!(matches!(
        config(Mode::Local, &[("JWT_ISSUER", "urn:not-a-url")]),
        Err(ConfigError::Invalid {
            name: "JWT_ISSUER",
            ..
        })
    ));
}

#[test]
fn local_functions_share_keys_through_files() {
    let c = config(
        Mode::Function,
        &[
            ("SERVICE_ENVIRONMENT", "local"),
            ("USER_STORE", "memory"),
            ("SIGNING_KEY_FILE", "target/keys/signing.pem"),
            ("KEY_SET_FILE", "target/keys/key-set.json"),
        ],
    )
    .unwrap();
    assert!(matches!(
        c.signer,
        SignerChoice::LocalRsa { key_file: Some(ref p) } if p.ends_with("signing.pem")
    ));
    assert_eq!(
        c.key_set,
        KeySetChoice::File("target/keys/key-set.json".into())
    );
}

#[test]
fn local_uses_dynamodb_when_an_endpoint_is_configured() {
    let c = config(
        Mode::Local,
        &[("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:1")],
    )
    .unwrap();
    assert_eq!(c.store, StoreChoice::DynamoDb);
    assert!(matches!(c.key_set, KeySetChoice::DynamoDb { .. }));
    let endpoint = ("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:1");
    let c = config(
        Mode::Local,
        &[("USER_STORE", "dynamodb"), ("KEYS_TABLE", "k"), endpoint],
    )
    .unwrap();
    assert_eq!(c.store, StoreChoice::DynamoDb);
    assert_eq!(c.key_set, KeySetChoice::DynamoDb { table: "k".into() });
    // Without a local endpoint that table is a deployment's: no local key goes there.
    assert_eq!(
        config(Mode::Local, &[("USER_STORE", "dynamodb")]).unwrap_err(),
        ConfigError::LocalOnly("a local signer with a DynamoDB key set outside a local endpoint")
    );
}

#[test]
fn trusted_keys_must_be_rsa_public_keys() {
    let local = ("SERVICE_ENVIRONMENT", "local");
    let memory = ("USER_STORE", "memory");
    for bad in [
        "not json",
        r#"{"keys":[{"kty":"oct","k":"c2VjcmV0","n":"","e":""}]}"#,
    ] {
        assert!(matches!(
            config(Mode::Function, &[local, memory, ("TRUSTED_KEYS", bad)]),
            Err(ConfigError::Invalid {
                name: "TRUSTED_KEYS",
                ..
            })
        ));
    }
    let c = config(
        Mode::Function,
        &[local, memory, ("TRUSTED_KEYS", r#"{"keys":[]}"#)],
    )
    .unwrap();
    assert_eq!(c.trusted_keys.unwrap().keys.len(), 0);
}

#[test]
fn trusted_keys_never_reach_a_real_key_set() {
    let local = ("SERVICE_ENVIRONMENT", "local");
    let trusted = ("TRUSTED_KEYS", r#"{"keys":[]}"#);
    // Local, signing in KMS, with a DynamoDB key set and no local endpoint: that key set is a
    // deployment's.
    assert_eq!(
        config(
            Mode::Function,
            &[
                local,
                ("TOKEN_SIGNER", "kms"),
                ("USER_STORE", "dynamodb"),
                trusted
            ],
        )
        .unwrap_err(),
        ConfigError::LocalOnly("TRUSTED_KEYS with a DynamoDB key set outside a local endpoint")
    );
    // The same against a local DynamoDB endpoint (moto, `sam local`): accepted.
    let c = config(
        Mode::Function,
        &[
            local,
            ("TOKEN_SIGNER", "kms"),
            ("USER_STORE", "dynamodb"),
            ("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:5000"),
            trusted,
        ],
    )
    .unwrap();
    assert!(c.trusted_keys.is_some());
    // Any other endpoint override (a VPC or FIPS endpoint) is no local stand-in.
    let err = config(
        Mode::Function,
        &[
            local,
            ("TOKEN_SIGNER", "kms"),
            ("USER_STORE", "dynamodb"),
            (
                "AWS_ENDPOINT_URL_DYNAMODB",
                "https://dynamodb-fips.us-east-1.amazonaws.com",
            ),
            trusted,
        ],
    )
    .unwrap_err();
    assert!(matches!(err, ConfigError::LocalOnly(_)), "{err}");
}

#[test]
fn local_endpoints_are_this_machine_or_its_container_host() {
    for url in [
        "http://127.0.0.1:5000",
        "http://localhost:8000/",
        "http://[::1]:5000",
        "http://host.docker.internal:5000",
        "HTTP://LOCALHOST",
    ] {
        assert!(is_local_endpoint(url), "{url}");
    }
    for url in [
        "https://dynamodb.eu-west-1.amazonaws.com",
        "https://vpce-1.dynamodb.us-east-1.vpce.amazonaws.com",
        "http://10.0.0.5:8000",
        "localhost:8000",
        "http://localhost.evil.example",
    ] {
        assert!(!is_local_endpoint(url), "{url}");
    }
}

#[test]
fn bad_values_are_named() {
    let err = config(Mode::Local, &[("USER_STORE", "postgres")]).unwrap_err();
    assert!(err.to_string().contains("USER_STORE"), "{err}");
    let err = config(Mode::Local, &[("TOKEN_SIGNER", "rsa")]).unwrap_err();
    assert!(err.to_string().contains("TOKEN_SIGNER"), "{err}");
    let err = config(Mode::Local, &[("SERVICE_ENVIRONMENT", "prod")]).unwrap_err();
    assert!(err.to_string().contains("SERVICE_ENVIRONMENT"), "{err}");
    for ttl in ["abc", "0", "59", "86401", "-5"] {
        let err = config(Mode::Local, &[("ACCESS_TOKEN_TTL_SECONDS", ttl)]).unwrap_err();
        assert!(
            err.to_string().contains("ACCESS_TOKEN_TTL_SECONDS"),
            "{err}"
        );
    }
    let c = config(Mode::Local, &[("ACCESS_TOKEN_TTL_SECONDS", "60")]).unwrap();
    assert_eq!(c.tokens.ttl, Duration::from_secs(60));
    for grace in ["61", "-1", "ten"] {
        let err = config(Mode::Local, &[("REFRESH_REUSE_GRACE_SECONDS", grace)]).unwrap_err();
        assert!(
            err.to_string().contains("REFRESH_REUSE_GRACE_SECONDS"),
            "{err}"
        );
    }
    for (grace, seconds) in [("0", 0), ("60", 60)] {
        let c = config(Mode::Local, &[("REFRESH_REUSE_GRACE_SECONDS", grace)]).unwrap();
        assert_eq!(c.sessions.reuse_grace, Duration::from_secs(seconds));
    }
    assert_eq!(
        config(Mode::Local, &[]).unwrap().sessions,
        SessionSettings::default()
    );
    let err = config(Mode::Local, &[("REFRESH_TOKEN_TTL_SECONDS", "10")]).unwrap_err();
    assert!(
        err.to_string().contains("REFRESH_TOKEN_TTL_SECONDS"),
        "{err}"
    );
}

#[test]
fn the_default_client_is_on_unless_turned_off_and_clients_have_a_table() {
    let c = config(Mode::Function, &[]).unwrap();
    assert!(c.anonymous_client);
    assert_eq!(c.clients_table, DEFAULT_CLIENTS_TABLE);
    let c = config(
        Mode::Function,
        &[
            ("ANONYMOUS_CLIENT", "off"),
            ("CLIENTS_TABLE", "stack-clients"),
        ],
    )
    .unwrap();
    assert!(!c.anonymous_client);
    assert_eq!(c.clients_table, "stack-clients");
    assert!(
        config(Mode::Function, &[("ANONYMOUS_CLIENT", "on")])
            .unwrap()
            .anonymous_client
    );
    let err = config(Mode::Function, &[("ANONYMOUS_CLIENT", "no")]).unwrap_err();
    assert!(err.to_string().contains("ANONYMOUS_CLIENT"), "{err}");
}
