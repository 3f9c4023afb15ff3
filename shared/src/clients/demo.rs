//! The demo clients of the zero-setup local run, next to the demo users.

use super::ClientSecret;
use crate::domain::{Client, ClientId, ClientType, GrantType, GrantTypes, RedirectUri, Scope};
use crate::passwords::PasswordError;

/// The demo service's secret: a demo credential like `johndoe`'s `secret`, printed at start.
/// The memory store that holds it is refused when deployed.
pub const DEMO_SERVICE_SECRET: &str = "demo-service-secret";

/// A confidential `demo-service` (client credentials, scope `items`, secret
/// [`DEMO_SERVICE_SECRET`]), a public `demo-app` (code flow and refresh, redirect
/// `http://127.0.0.1:8765/callback`) and the docs page's public `docs` (the code flow, back to
/// `/docs/oauth2-redirect.html` on 127.0.0.1). Hashed here: no hash is committed anywhere.
pub fn demo_clients() -> Result<Vec<Client>, PasswordError> {
    let secret = ClientSecret::parse(DEMO_SERVICE_SECRET)?;
    let service = Client {
        client_id: ClientId::parse("demo-service").expect("a valid id"),
        client_type: ClientType::Confidential,
        grant_types: GrantTypes::from([GrantType::ClientCredentials]),
        allowed_scopes: [Scope::Items].into_iter().collect(),
        redirect_uris: Vec::new(),
        secrets: vec![secret.hash_blocking(0)?],
        disabled: false,
        created_at: 0,
        revision: 0,
    };
    let app = Client {
        client_id: ClientId::parse("demo-app").expect("a valid id"),
        client_type: ClientType::Public,
        grant_types: GrantTypes::from([GrantType::AuthorizationCode, GrantType::RefreshToken]),
        allowed_scopes: Scope::ALL.into_iter().collect(),
        redirect_uris: vec![RedirectUri::parse("http://127.0.0.1:8765/callback").expect("valid")],
        secrets: Vec::new(),
        disabled: false,
        created_at: 0,
        revision: 0,
    };
    // Swagger UI at /docs, whatever port the local run listens on (the loopback rule).
    let docs = Client {
        client_id: ClientId::parse("docs").expect("a valid id"),
        grant_types: GrantTypes::from([GrantType::AuthorizationCode]),
        // The docs page's OAUTH2_REDIRECT_PATH (http/docs.rs).
        redirect_uris: vec![
            RedirectUri::parse("http://127.0.0.1/docs/oauth2-redirect.html").expect("valid"),
        ],
        ..app.clone()
    };
    Ok(vec![service, app, docs])
}
