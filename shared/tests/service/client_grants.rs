//! Registered clients' grants over HTTP, on every backend: the client credentials grant and
//! where its tokens are accepted, per-client grant types and scopes, refresh tokens bound to
//! their client, disabled clients, the built-in `default` client and turning it off, and
//! discovery.

use token_service::clients::{ClientChange, ClientSecret};
use token_service::domain::ScopeSet;
use token_service::store::AccountChange;

use crate::for_each_backend;
use crate::support::{
    basic, client_id as id, Backend, TestApp, TestResponse, SERVICE_SECRET, SERVICE_SECRET_NEXT,
};

for_each_backend!(
    over_socket:
    client_credentials_with_basic_and_with_post,
    client_tokens_serve_status_but_not_user_resources,
    client_credentials_scopes_are_asked_within_the_allowed,
    grant_types_are_per_client,
    granted_scopes_are_asked_and_client_and_user_allowed,
    refresh_tokens_stay_bound_to_their_client,
    a_disabled_client_can_neither_authenticate_nor_refresh_nor_use_its_tokens,
    the_default_client_can_be_turned_off,
    discovery_lists_clients_grants_and_introspection,
);

async fn client_credentials_with_basic_and_with_post(backend: Backend) {
    let app = TestApp::start(backend).await;
    let with_basic = app
        .token_with(
            &[("authorization", &basic("service", SERVICE_SECRET))],
            "grant_type=client_credentials",
        )
        .await;
    let with_post = app
        .token(&format!(
            "grant_type=client_credentials&client_id=service&client_secret={SERVICE_SECRET}"
        ))
        .await;
    for response in [&with_basic, &with_post] {
        assert_eq!(response.status, 200, "{}", response.text);
        assert_eq!(response.header("cache-control"), Some("no-store"));
        let body = response.json();
        assert_eq!(body["token_type"], "bearer");
        assert_eq!(body["scope"], "items");
        // RFC 6749 §4.4.3: no refresh token.
        assert!(body.get("refresh_token").is_none(), "{body}");
        let claims = app.verify(body["access_token"].as_str().unwrap()).await;
        // RFC 9068 §2.2: the client is the subject.
        assert_eq!(claims.sub, "service");
        assert_eq!(claims.client_id.as_deref(), Some("service"));
        assert_eq!(claims.gty.as_deref(), Some("client_credentials"));
        assert_eq!(claims.sid, None);
        assert_eq!(claims.scope.to_string(), "items");
    }
    // A client id with characters Basic must encode.
    let odd = ClientSecret::parse("s3cr:t/+ %").unwrap();
    let mut client = crate::support::test_clients()
        .into_iter()
        .find(|c| c.client_id.as_str() == "service")
        .unwrap();
    client.client_id = id("svc:reports/v2");
    client.secrets = vec![odd.hash_blocking(app.now()).unwrap()];
    app.clients.insert(&client).await.unwrap();
    let token = app.client_token("svc:reports/v2", "s3cr:t/+ %", "").await;
    assert_eq!(app.verify(&token).await.sub, "svc:reports/v2");
}

async fn client_tokens_serve_status_but_not_user_resources(backend: Backend) {
    let app = TestApp::start(backend).await;
    // `service-two` may have `me items`: still no user behind its own token.
    let token = app
        .client_token("service-two", SERVICE_SECRET, "me items")
        .await;
    let status = app.get("/status/", Some(&token)).await;
    assert_eq!(status.status, 200, "{}", status.text);
    assert_eq!(status.json(), serde_json::json!({"status": "ok"}));
    for path in ["/users/me/", "/users/me/items/"] {
        let response = app.get(path, Some(&token)).await;
        response.assert_error(403, "Not enough permissions", Some("insufficient_scope"));
        let described = response.json()["error_description"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(described.contains("user's token"), "{described}");
        assert!(response
            .header("www-authenticate")
            .unwrap()
            .starts_with("Bearer error=\"insufficient_scope\""));
    }
    // A scope withdrawn from the client stops working at once, and so does a removed client.
    let items = app.client_token("service", SERVICE_SECRET, "items").await;
    assert_eq!(app.get("/status/", Some(&items)).await.status, 200);
    app.clients.remove(&id("service")).await.unwrap();
    app.get("/status/", Some(&items)).await.assert_error(
        401,
        "Could not validate credentials",
        Some("invalid_token"),
    );
}

async fn client_credentials_scopes_are_asked_within_the_allowed(backend: Backend) {
    let app = TestApp::start(backend).await;
    let auth = basic("service", SERVICE_SECRET);
    let headers = [("authorization", auth.as_str())];
    let granted = |response: TestResponse| {
        assert_eq!(response.status, 200, "{}", response.text);
        response.json().get("scope").cloned()
    };
    let ask = |scope: &str| format!("grant_type=client_credentials&scope={scope}");
    // None asked: everything the client is allowed.
    let all = granted(
        app.token_with(&headers, "grant_type=client_credentials")
            .await,
    );
    assert_eq!(all, Some("items".into()));
    assert_eq!(
        granted(app.token_with(&headers, &ask("me+items")).await),
        Some("items".into())
    );
    // Nothing allowed of what was asked: no scope at all (RFC 6749 §3.3 has no empty one).
    let none = app.token_with(&headers, &ask("me")).await;
    assert_eq!(granted(none), None);
    app.token_with(&headers, &ask("admin")).await.assert_error(
        400,
        "unknown scope `admin`",
        Some("invalid_scope"),
    );
}

async fn grant_types_are_per_client(backend: Backend) {
    let app = TestApp::start(backend).await;
    // The built-in default client: password and refresh, not client credentials.
    app.token("grant_type=client_credentials")
        .await
        .assert_error(
            400,
            "this client may not use grant_type `client_credentials`",
            Some("unauthorized_client"),
        );
    // A client-credentials-only client may not sign users in.
    let response = app
        .token_with(
            &[("authorization", &basic("service", SERVICE_SECRET))],
            "username=johndoe&password=secret",
        )
        .await;
    response.assert_error(
        400,
        "this client may not use grant_type `password`",
        Some("unauthorized_client"),
    );
    // A client without the refresh grant gets no refresh token.
    let response = app
        .token("username=johndoe&password=secret&scope=me&client_id=no-refresh")
        .await;
    assert_eq!(response.status, 200, "{}", response.text);
    assert!(
        response.json().get("refresh_token").is_none(),
        "{}",
        response.text
    );
    // A confidential client allowed the password grant signs users in with its secret.
    let response = app
        .token_with(
            &[("authorization", &basic("service-two", SERVICE_SECRET))],
            "username=johndoe&password=secret&scope=me",
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.text);
    let token = response.json()["access_token"].as_str().unwrap().to_owned();
    let claims = app.verify(&token).await;
    assert_eq!(claims.sub, "johndoe");
    assert_eq!(claims.client_id.as_deref(), Some("service-two"));
    assert_eq!(claims.gty, None);
}

async fn granted_scopes_are_asked_and_client_and_user_allowed(backend: Backend) {
    let app = TestApp::start(backend).await;
    let scope = |response: TestResponse| {
        assert_eq!(response.status, 200, "{}", response.text);
        response.json()["scope"].as_str().map(str::to_owned)
    };
    // johndoe may have `me items`; the client `me-only` may give `me`.
    let via_me_only = app
        .token("username=johndoe&password=secret&scope=me+items&client_id=me-only")
        .await;
    let refresh = via_me_only.json()["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(scope(via_me_only), Some("me".into()));
    // bob may have `me`; the client `my-cli` may give both.
    let bob = app
        .token("username=bob&password=bobpassword&scope=me+items&client_id=my-cli")
        .await;
    assert_eq!(scope(bob), Some("me".into()));
    // A refresh stays within the client's scopes, and follows the client's narrowing.
    let refreshed = app.refresh(&refresh, "&client_id=me-only").await;
    assert_eq!(scope(refreshed), Some("me".into()));
    // The client's allowed scopes are cut at use too: a token of `my-cli` loses `items`
    // when the operator withdraws it from the client.
    let token = app
        .sign_in_with("johndoe", "secret", "me items", "my-cli")
        .await;
    assert_eq!(app.get("/users/me/items/", Some(&token)).await.status, 200);
    let change = ClientChange {
        allowed_scopes: Some(ScopeSet::parse("me").unwrap()),
        ..ClientChange::default()
    };
    app.clients
        .update(&id("my-cli"), &change, None)
        .await
        .unwrap();
    app.get("/users/me/items/", Some(&token))
        .await
        .assert_error(403, "Not enough permissions", Some("insufficient_scope"));
    assert_eq!(app.get("/users/me/", Some(&token)).await.status, 200);
}

async fn refresh_tokens_stay_bound_to_their_client(backend: Backend) {
    let app = TestApp::start(backend).await;
    let response = app
        .token("username=johndoe&password=secret&scope=me&client_id=app-one")
        .await;
    let refresh = response.json()["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    // Leaving client_id out is the default client's request: not this session's client.
    app.refresh(&refresh, "").await.assert_error(
        400,
        "Refresh token is invalid, expired or revoked",
        Some("invalid_grant"),
    );
    // Another client learns nothing of the session, not even its scope.
    let widened = app.refresh(&refresh, "&scope=me+items").await;
    assert_eq!(widened.json()["error"], "invalid_grant", "{}", widened.text);
    let same = app.refresh(&refresh, "&client_id=app-one").await;
    assert_eq!(same.status, 200, "{}", same.text);

    // A confidential client's session: its secret is needed to refresh.
    let response = app
        .token_with(
            &[("authorization", &basic("service-two", SERVICE_SECRET))],
            "username=johndoe&password=secret&scope=me",
        )
        .await;
    let refresh = response.json()["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let unauthenticated = app.refresh(&refresh, "&client_id=service-two").await;
    unauthenticated.assert_invalid_client(false);
    let anonymous = app.refresh(&refresh, "").await;
    assert_eq!(
        anonymous.json()["error"],
        "invalid_grant",
        "{}",
        anonymous.text
    );
    let authenticated = app
        .token_with(
            &[("authorization", &basic("service-two", SERVICE_SECRET_NEXT))],
            &format!("grant_type=refresh_token&refresh_token={refresh}"),
        )
        .await;
    assert_eq!(authenticated.status, 200, "{}", authenticated.text);
    let access = authenticated.json()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        app.verify(&access).await.client_id.as_deref(),
        Some("service-two")
    );
}

async fn a_disabled_client_can_neither_authenticate_nor_refresh_nor_use_its_tokens(
    backend: Backend,
) {
    let app = TestApp::start(backend).await;
    let response = app
        .token("username=johndoe&password=secret&scope=me&client_id=my-cli")
        .await;
    let body = response.json();
    let access = body["access_token"].as_str().unwrap().to_owned();
    let refresh = body["refresh_token"].as_str().unwrap().to_owned();
    let disable = ClientChange {
        disabled: Some(true),
        ..ClientChange::default()
    };
    app.clients
        .update(&id("my-cli"), &disable, None)
        .await
        .unwrap();
    app.refresh(&refresh, "&client_id=my-cli")
        .await
        .assert_invalid_client(false);
    app.token("username=johndoe&password=secret&client_id=my-cli")
        .await
        .assert_invalid_client(false);
    app.get("/users/me/", Some(&access)).await.assert_error(
        401,
        "Could not validate credentials",
        Some("invalid_token"),
    );
    // Enabled again, its tokens work again (nothing was revoked, the client was paused).
    let enable = ClientChange {
        disabled: Some(false),
        ..ClientChange::default()
    };
    app.clients
        .update(&id("my-cli"), &enable, None)
        .await
        .unwrap();
    assert_eq!(app.get("/users/me/", Some(&access)).await.status, 200);
}

async fn the_default_client_can_be_turned_off(backend: Backend) {
    let app = TestApp::start_without_anonymous_client(backend).await;
    app.token("username=johndoe&password=secret")
        .await
        .assert_invalid_client(false);
    app.token("username=johndoe&password=secret&client_id=default")
        .await
        .assert_invalid_client(false);
    // Registered clients still work, and a token of the default client no longer does.
    let token = app.sign_in_with("johndoe", "secret", "me", "my-cli").await;
    assert_eq!(app.get("/users/me/", Some(&token)).await.status, 200);
    let default_token = app
        .issuer
        .issue(
            crate::support::ISSUER,
            &crate::support::username("johndoe"),
            &ScopeSet::parse("me").unwrap(),
            Some("default"),
            app.now(),
        )
        .await
        .unwrap()
        .access_token;
    app.get("/users/me/", Some(&default_token))
        .await
        .assert_error(401, "Could not validate credentials", Some("invalid_token"));
    // Revoking the user's tokens does not depend on the client.
    app.change_account(
        "johndoe",
        &AccountChange {
            revoke_tokens: true,
            ..AccountChange::default()
        },
    )
    .await;
    assert_eq!(app.get("/users/me/", Some(&token)).await.status, 401);
}

async fn discovery_lists_clients_grants_and_introspection(backend: Backend) {
    let app = TestApp::start(backend).await;
    let openid = app.get("/.well-known/openid-configuration", None).await;
    let rfc8414 = app
        .get("/.well-known/oauth-authorization-server", None)
        .await;
    assert_eq!(rfc8414.status, 200, "{}", rfc8414.text);
    assert_eq!(openid.json(), rfc8414.json());
    assert_eq!(
        rfc8414.header("cache-control"),
        Some("public, max-age=3600")
    );
    let document = rfc8414.json();
    assert_eq!(
        document["introspection_endpoint"],
        format!("{}/introspect", crate::support::ISSUER)
    );
    assert_eq!(
        document["grant_types_supported"],
        serde_json::json!([
            "authorization_code",
            "password",
            "refresh_token",
            "client_credentials"
        ])
    );
    // The code flow (RFC 8414 §2, RFC 7636 §6.2, RFC 9207 §3).
    assert_eq!(
        document["authorization_endpoint"],
        format!("{}/authorize", crate::support::ISSUER)
    );
    assert_eq!(
        document["response_types_supported"],
        serde_json::json!(["code"])
    );
    assert_eq!(
        document["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    assert_eq!(
        document["authorization_response_iss_parameter_supported"],
        true
    );
    for field in [
        "token_endpoint_auth_methods_supported",
        "revocation_endpoint_auth_methods_supported",
    ] {
        assert_eq!(
            document[field],
            serde_json::json!(["client_secret_basic", "client_secret_post", "none"]),
            "{field}"
        );
    }
    assert_eq!(
        document["introspection_endpoint_auth_methods_supported"],
        serde_json::json!(["client_secret_basic", "client_secret_post"])
    );
}
