//! The routes deployed by `template.yaml` and served by `cargo lambda watch` (Cargo.toml's
//! router) are the ones the code answers: every path with and without its trailing slash, on
//! the function that serves it, plus the catch-all that gives JSON 404/405s. cfn-lint cannot
//! know that a route is missing; this test does.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::json;
use token_service::Endpoint;

use crate::support::template::{resource, statements, strings, template};

fn read(file: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(file)).unwrap()
}

/// The function (template resource and binary name) serving each endpoint.
pub fn function_of(endpoint: Endpoint) -> (&'static str, &'static str) {
    match endpoint {
        Endpoint::Token => ("TokenFunction", "token"),
        Endpoint::UsersMe => ("UsersMeFunction", "users-me"),
        Endpoint::UsersMeItems => ("UsersMeItemsFunction", "users-me-items"),
        Endpoint::Status => ("StatusFunction", "status"),
        Endpoint::Revoke => ("RevokeFunction", "revoke"),
        Endpoint::Introspect => ("IntrospectFunction", "introspect"),
        Endpoint::Jwks => ("JwksFunction", "jwks"),
        Endpoint::OpenIdConfiguration => ("OpenIdConfigurationFunction", "openid-configuration"),
        Endpoint::OpenApi => ("OpenApiFunction", "openapi"),
        Endpoint::Docs => ("DocsFunction", "docs"),
        Endpoint::Authorize => ("AuthorizeFunction", "authorize"),
    }
}

/// The paths an endpoint must answer: the API's own (and the docs page) with and without the
/// trailing slash; documents exactly as named (the well-known ones as RFC 8615 names them);
/// the files the docs page loads.
fn both_forms(endpoint: Endpoint) -> Vec<String> {
    let path = endpoint.path();
    if endpoint == Endpoint::OpenIdConfiguration {
        // One document at OpenID's path and at RFC 8414's.
        return vec![
            path.to_owned(),
            "/.well-known/oauth-authorization-server".to_owned(),
        ];
    }
    if path.starts_with("/.well-known/") || path.ends_with(".json") {
        return vec![path.to_owned()];
    }
    let bare = path.trim_end_matches('/').to_owned();
    let mut paths = vec![bare.clone(), format!("{bare}/")];
    if endpoint == Endpoint::Docs {
        for file in [
            "swagger-ui-bundle.js",
            "swagger-ui.css",
            "docs.js",
            "oauth2-redirect.html",
            "oauth2-redirect.js",
        ] {
            paths.push(format!("{bare}/{file}"));
        }
    }
    paths
}

#[test]
fn every_endpoint_is_routed_on_both_forms_of_its_path() {
    for endpoint in Endpoint::ALL {
        let mut registered: Vec<String> =
            endpoint.paths().iter().map(|p| (*p).to_owned()).collect();
        registered.sort();
        let mut expected = both_forms(endpoint);
        expected.sort();
        assert_eq!(registered, expected, "{endpoint:?}");
    }
}

/// (function, method, path) of every route in the template: the functions' SAM `HttpApi`
/// events, which are all the routes there are (`sam local start-api` mounts nothing else).
fn template_routes() -> BTreeSet<(String, String, String)> {
    let template = template();
    let mut routes = BTreeSet::new();
    for (name, resource) in template["Resources"].as_object().unwrap() {
        let Some(events) = resource["Properties"]["Events"].as_object() else {
            continue;
        };
        for (event, definition) in events {
            assert_eq!(definition["Type"], "HttpApi", "{name}.{event}");
            let properties = &definition["Properties"];
            assert_eq!(properties["ApiId"], "!Ref HttpApi", "{name}.{event}");
            routes.insert((
                name.clone(),
                properties["Method"].as_str().unwrap().to_owned(),
                properties["Path"].as_str().unwrap().to_owned(),
            ));
        }
    }
    // Nothing routes around the events: no plain API Gateway route or integration.
    for (name, resource) in template["Resources"].as_object().unwrap() {
        let kind = resource["Type"].as_str().unwrap();
        assert!(
            !kind.starts_with("AWS::ApiGatewayV2::"),
            "{name} is a {kind}, which `sam local start-api` does not mount"
        );
    }
    routes
}

/// The IAM actions (`service:Action`) a resource grants.
fn actions_of(name: &str) -> BTreeSet<String> {
    let template = template();
    statements(resource(&template, name))
        .into_iter()
        .flat_map(|statement| strings(&statement["Action"]))
        .collect()
}

#[test]
fn only_the_token_function_may_sign_and_verifiers_only_read() {
    let token = actions_of("TokenFunctionPolicy");
    assert!(token.contains("kms:Sign"), "{token:?}");
    for function in [
        "UsersMeFunction",
        "UsersMeItemsFunction",
        "StatusFunction",
        "JwksFunction",
        "OpenIdConfigurationFunction",
    ] {
        let actions = actions_of(function);
        assert!(
            actions.iter().all(|a| a == "dynamodb:GetItem"),
            "{function} may do more than read: {actions:?}"
        );
    }
    // The revocation function verifies access tokens and ends sessions: no KMS at all.
    let revoke = actions_of("RevokeFunction");
    assert!(
        revoke.iter().all(|a| a.starts_with("dynamodb:")),
        "{revoke:?}"
    );
    // The documents and the docs page are built into their binaries: they read nothing.
    for function in [
        "OpenIdConfigurationFunction",
        "OpenApiFunction",
        "DocsFunction",
    ] {
        assert!(actions_of(function).is_empty(), "{function}");
    }
    // The token function signs only with keys tagged for this stack.
    let template = read("template.yaml");
    assert!(template.contains("\"aws:ResourceTag/token-service-signing-key\": !Ref AWS::StackName"));
    assert_eq!(
        token_service::keys::KMS_TAG_KEY,
        "token-service-signing-key"
    );
    // Nothing in the stack holds a shared signing secret any more.
    assert!(!template.contains("AWS::SecretsManager::Secret"));
}

#[test]
fn the_jwt_authorizer_guards_the_resource_routes_with_their_scopes() {
    let template = template();
    let body = &resource(&template, "HttpApi")["Properties"]["DefinitionBody"];
    let paths = body["paths"].as_object().expect("DefinitionBody.paths");
    let mut protected = BTreeSet::new();
    for endpoint in Endpoint::ALL.into_iter().filter(|e| e.takes_bearer_token()) {
        let scopes: Vec<String> = endpoint
            .required_scopes()
            .iter()
            .map(|s| s.to_string())
            .collect();
        for path in both_forms(endpoint) {
            // Exactly the security SAM writes for an event with `Auth: {Authorizer: TokenJwt,
            // AuthorizationScopes: [...]}`, present only when the parameter asks for it.
            assert_eq!(
                paths[&path],
                json!({"get": {"security": [{"!If": [
                    "UseJwtAuthorizer",
                    {"TokenJwt": scopes},
                    "!Ref AWS::NoValue"
                ]}]}}),
                "{path}"
            );
            // SAM adds the integration from the function's event: without one the path
            // would be imported with no integration at all.
            assert!(
                template_routes().contains(&(
                    function_of(endpoint).0.to_owned(),
                    "GET".to_owned(),
                    path.clone()
                )),
                "GET {path} has no event on {}",
                function_of(endpoint).0
            );
            protected.insert(path);
        }
    }
    // No other route (the token endpoint, the documents, the docs page) can be guarded.
    let declared: BTreeSet<String> = paths.keys().cloned().collect();
    assert_eq!(declared, protected);
    // The authorizer exists only with the parameter, and names the issuer and audience the
    // functions themselves require.
    assert_eq!(
        body["components"]["securitySchemes"],
        json!({"TokenJwt": {"!If": [
            "UseJwtAuthorizer",
            {
                "type": "oauth2",
                "x-amazon-apigateway-authorizer": {
                    "type": "jwt",
                    "identitySource": "$request.header.Authorization",
                    "jwtConfiguration": {
                        "issuer": "!Ref IssuerUrl",
                        "audience": ["!Ref JwtAudience"]
                    }
                }
            },
            "!Ref AWS::NoValue"
        ]}})
    );
}

#[test]
fn the_template_routes_every_path_to_its_function() {
    let routes = template_routes();
    let mut expected = BTreeSet::new();
    for endpoint in Endpoint::ALL {
        if endpoint == Endpoint::Token {
            continue;
        }
        for path in both_forms(endpoint) {
            for method in endpoint.methods() {
                expected.insert((
                    function_of(endpoint).0.to_owned(),
                    method.to_string(),
                    path.clone(),
                ));
            }
        }
    }
    // The token endpoint comes through the catch-all, on both forms of its path.
    expected.insert(("TokenFunction".into(), "ANY".into(), "$default".into()));
    assert_eq!(routes, expected);
}

/// The `RouteSettings` of the HTTP API: route key -> (rate, burst) parameter names.
fn route_throttles() -> Vec<(String, String, String)> {
    let template = template();
    let settings = resource(&template, "HttpApi")["Properties"]["RouteSettings"]
        .as_object()
        .expect("RouteSettings");
    settings
        .iter()
        .map(|(key, setting)| {
            let parameter = |name: &str| {
                setting[name]
                    .as_str()
                    .and_then(|v| v.strip_prefix("!Ref "))
                    .unwrap_or_else(|| panic!("{key}: no {name}"))
                    .to_owned()
            };
            (
                key.clone(),
                parameter("ThrottlingRateLimit"),
                parameter("ThrottlingBurstLimit"),
            )
        })
        .collect()
}

#[test]
fn the_token_endpoint_has_one_throttle_budget_for_both_paths() {
    // One route carries the token throttle, and it is the only route to the token function:
    // /token and /token/ (both served by it) cannot add up to twice the budget. The sign-in
    // page's form posts, which take passwords too, are held to the same throttle.
    let token_throttle = |route: &str| {
        (
            route.to_owned(),
            "TokenThrottlingRateLimit".to_owned(),
            "TokenThrottlingBurstLimit".to_owned(),
        )
    };
    assert_eq!(
        route_throttles(),
        [
            token_throttle("$default"),
            token_throttle("POST /authorize"),
            token_throttle("POST /authorize/"),
        ]
    );
    for path in both_forms(Endpoint::Authorize) {
        assert!(
            template_routes().contains(&("AuthorizeFunction".into(), "POST".into(), path.clone())),
            "POST {path}"
        );
    }
    let to_token: Vec<_> = template_routes()
        .into_iter()
        .filter(|(function, _, _)| function == "TokenFunction")
        .collect();
    assert_eq!(
        to_token,
        [("TokenFunction".into(), "ANY".into(), "$default".into())]
    );
    for path in both_forms(Endpoint::Token) {
        assert!(
            !template_routes().iter().any(|(_, _, p)| *p == path),
            "{path} has a route of its own, and so a second budget"
        );
    }
}

#[test]
fn cargo_lambda_watch_serves_every_production_path() {
    let manifest = read("Cargo.toml");
    for endpoint in Endpoint::ALL {
        for path in both_forms(endpoint) {
            let routes: Vec<String> = endpoint
                .methods()
                .iter()
                .map(|method| {
                    format!(
                        "{{ function = \"{}\", method = \"{method}\" }}",
                        function_of(endpoint).1
                    )
                })
                .collect();
            let entry = format!("\"{path}\" = [{}]", routes.join(", "));
            assert!(manifest.contains(&entry), "Cargo.toml router lacks {entry}");
        }
    }
}
