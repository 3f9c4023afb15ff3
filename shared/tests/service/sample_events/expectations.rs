//! What each sample event must produce, from the contract and events/env.json.

use std::collections::HashMap;

use serde_json::{json, Value};
use token_service::tokens::IssuerUrl;

use super::{config, env_vars};

/// The issuer of events/env.json.
pub(super) fn issuer() -> String {
    match config().tokens.issuer {
        IssuerUrl::Fixed(url) => url,
        IssuerUrl::FromApiDomain => panic!("events/env.json names its issuer"),
    }
}

/// What each sample event must produce: status, and the body or its `detail`.
pub(super) fn expectations() -> HashMap<&'static str, (u16, Value)> {
    let invalid_grant = json!({"detail": "Incorrect username or password"});
    let discovery = json!({
        "issuer": issuer(),
        "jwks_uri": format!("{}/.well-known/jwks.json", issuer()),
        "token_endpoint": format!("{}/token", issuer()),
        "revocation_endpoint": format!("{}/revoke", issuer()),
        "introspection_endpoint": format!("{}/introspect", issuer()),
        "authorization_endpoint": format!("{}/authorize", issuer()),
        "grant_types_supported": ["authorization_code", "password", "refresh_token", "client_credentials"],
        "response_types_supported": ["code"],
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": true,
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "id_token_signing_alg_values_supported": ["RS256"],
    });
    let client_token = json!({"token_type": "bearer", "scope": "items", "expires_in": 1800, "refresh_token": null});
    HashMap::from([
        (
            "token-client-credentials-success",
            (200, client_token.clone()),
        ),
        ("token-client-credentials-post-success", (200, client_token)),
        (
            "token-client-credentials-wrong-secret",
            (
                401,
                json!({"error": "invalid_client", "detail": "Client authentication failed"}),
            ),
        ),
        (
            "token-unauthorized-client",
            (400, json!({"error": "unauthorized_client"})),
        ),
        (
            "introspect-success",
            (
                200,
                json!({"active": true, "sub": "johndoe", "username": "johndoe", "scope": "me items",
                       "token_type": "Bearer", "iss": issuer(), "client_id": "default"}),
            ),
        ),
        (
            "introspect-inactive-token",
            (200, json!({"active": false, "sub": null, "scope": null})),
        ),
        (
            "introspect-no-client",
            (401, json!({"error": "invalid_client", "active": null})),
        ),
        (
            "oauth-authorization-server-success",
            (200, discovery.clone()),
        ),
        (
            "token-success",
            (
                200,
                json!({"token_type": "bearer", "scope": "me items", "expires_in": 1800}),
            ),
        ),
        (
            "token-success-base64",
            (200, json!({"token_type": "bearer", "scope": "me"})),
        ),
        (
            "token-wrong-password",
            (400, json!({"error": "invalid_grant"})),
        ),
        ("token-disabled-user", (400, invalid_grant)),
        (
            "token-invalid-scope",
            (400, json!({"error": "invalid_scope"})),
        ),
        (
            "token-unsupported-grant-type",
            (400, json!({"error": "unsupported_grant_type"})),
        ),
        (
            "token-missing-password",
            (
                400,
                json!({"error": "invalid_request", "detail": "missing required field: password"}),
            ),
        ),
        (
            "token-json-body",
            (400, json!({"error": "invalid_request"})),
        ),
        (
            "users-me-success",
            (
                200,
                json!({"username": "johndoe", "email": "johndoe@example.com", "full_name": "John Doe", "disabled": false}),
            ),
        ),
        (
            "users-me-no-token",
            (401, json!({"detail": "Not authenticated"})),
        ),
        (
            "users-me-expired-token",
            (
                401,
                json!({"detail": "Could not validate credentials", "error": "invalid_token"}),
            ),
        ),
        (
            "users-me-insufficient-scope",
            (
                403,
                json!({"detail": "Not enough permissions", "error": "insufficient_scope"}),
            ),
        ),
        (
            "users-me-items-success",
            (200, json!([{"item_id": "Foo", "owner": "johndoe"}])),
        ),
        (
            "users-me-items-insufficient-scope",
            (403, json!({"detail": "Not enough permissions"})),
        ),
        ("status-success", (200, json!({"status": "ok"}))),
        (
            "status-invalid-token",
            (401, json!({"detail": "Could not validate credentials"})),
        ),
        (
            "status-inactive-user",
            (
                401,
                json!({"detail": "Inactive user", "error": "invalid_token"}),
            ),
        ),
        (
            "token-default-route-unknown-path",
            (404, json!({"detail": "Not Found"})),
        ),
        (
            "token-default-route-wrong-method",
            (405, json!({"detail": "Method Not Allowed"})),
        ),
        (
            "token-refresh-invalid",
            (
                400,
                json!({"error": "invalid_grant", "detail": "Refresh token is invalid, expired or revoked"}),
            ),
        ),
        ("revoke-success", (200, json!({}))),
        (
            "revoke-missing-token",
            (
                400,
                json!({"error": "invalid_request", "detail": "missing required field: token"}),
            ),
        ),
        // The verifying functions' key set: the events' key, from TRUSTED_KEYS.
        ("jwks-success", (200, json!({"keys": [trusted_jwk()]}))),
        (
            "openapi-success",
            (
                200,
                json!({"openapi": "3.1.0", "info": {
                    "title": "OAuth2 with scopes",
                    "description": token_service::http::openapi::document().info.description,
                    "version": env!("CARGO_PKG_VERSION"),
                }}),
            ),
        ),
        ("docs-page", (200, json!("<div id=\"swagger-ui\""))),
        // The sign-in page: the app's name and the form; redirects by their Location.
        ("authorize-page", (200, json!("<strong>demo-app</strong> asks to sign you in"))),
        (
            "authorize-missing-pkce",
            (
                302,
                json!("http://127.0.0.1:8765/callback?error=invalid_request&error_description=code_challenge+is+required"),
            ),
        ),
        (
            "authorize-plain-pkce",
            (
                302,
                json!("http://127.0.0.1:8765/callback?error=invalid_request&error_description=code_challenge_method+must+be+S256"),
            ),
        ),
        (
            "authorize-unsupported-response-type",
            (
                302,
                json!("http://127.0.0.1:8765/callback?error=unsupported_response_type&"),
            ),
        ),
        (
            "authorize-invalid-scope",
            (
                302,
                json!("http://127.0.0.1:8765/callback?error=invalid_scope&"),
            ),
        ),
        (
            "authorize-unregistered-redirect-uri",
            (400, json!("The redirect_uri is not one this client registered.")),
        ),
        (
            "authorize-sign-in-success",
            (303, json!("http://127.0.0.1:8765/callback?code=")),
        ),
        (
            "authorize-sign-in-wrong-password",
            (400, json!("Incorrect username or password.")),
        ),
        (
            "authorize-sign-in-csrf-mismatch",
            (400, json!("The sign-in form was not one this browser was given for this request.")),
        ),
        ("openid-configuration-success", (200, discovery)),
    ])
}

/// The one public key of `TRUSTED_KEYS` in events/env.json.
fn trusted_jwk() -> Value {
    let keys: Value = serde_json::from_str(&env_vars()["TRUSTED_KEYS"]).unwrap();
    assert_eq!(keys["keys"].as_array().unwrap().len(), 1);
    keys["keys"][0].clone()
}
