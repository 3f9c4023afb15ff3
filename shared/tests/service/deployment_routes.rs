//! The routes deployed by `template.yaml` and served by `cargo lambda watch` (Cargo.toml's
//! router) are the ones the code answers: every path with and without its trailing slash, on
//! the function that serves it, plus the catch-all that gives JSON 404/405s. cfn-lint cannot
//! know that a route is missing; this test does.

use std::collections::BTreeSet;
use std::path::Path;

use token_service::Endpoint;

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

/// The template's resources: logical id and the lines of its definition.
fn template_resources() -> Vec<(String, Vec<String>)> {
    let template = read("template.yaml");
    let body = template
        .split_once("\nResources:\n")
        .expect("a Resources section")
        .1;
    let mut resources: Vec<(String, Vec<String>)> = Vec::new();
    for line in body.lines() {
        let indent = line.len() - line.trim_start().len();
        if indent == 0 && !line.trim().is_empty() && !line.starts_with('#') {
            break; // the next top-level section
        }
        let trimmed = line.trim();
        if indent == 2 && trimmed.ends_with(':') && !trimmed.starts_with('#') {
            resources.push((trimmed.trim_end_matches(':').to_owned(), Vec::new()));
        } else if let Some((_, lines)) = resources.last_mut() {
            if !trimmed.starts_with('#') {
                lines.push(trimmed.to_owned());
            }
        }
    }
    resources
}

/// The value after `key: ` on one of `lines`.
fn value_of<'a>(lines: &'a [String], key: &str) -> Option<&'a str> {
    lines
        .iter()
        .find_map(|line| line.strip_prefix(&format!("{key}: ")))
        .map(|v| v.trim().trim_matches('"'))
}

/// (function, method, path) of every route in the template: SAM `HttpApi` events, and the
/// plain API Gateway routes (route -> integration -> function) that can carry the JWT
/// authorizer.
fn template_routes() -> BTreeSet<(String, String, String)> {
    let resources = template_resources();
    let mut routes = BTreeSet::new();
    for (resource, lines) in &resources {
        let mut method = String::new();
        for line in lines {
            if let Some(m) = line.strip_prefix("Method: ") {
                method = m.trim().to_owned();
            } else if let Some(p) = line.strip_prefix("Path: ") {
                routes.insert((resource.clone(), method.clone(), p.trim().to_owned()));
            }
        }
        if let Some(route_key) = value_of(lines, "RouteKey") {
            let (method, path) = route_key.split_once(' ').expect("METHOD /path");
            let integration = value_of(lines, "Target")
                .and_then(|t| t.strip_prefix("!Sub "))
                .map(|t| t.trim_matches('"'))
                .and_then(|t| t.strip_prefix("integrations/${"))
                .and_then(|t| t.strip_suffix('}'))
                .unwrap_or_else(|| panic!("{resource}: Target names no integration"));
            let (_, integration_lines) = resources
                .iter()
                .find(|(name, _)| name == integration)
                .unwrap_or_else(|| panic!("{resource}: no integration {integration}"));
            let function = value_of(integration_lines, "IntegrationUri")
                .and_then(|uri| uri.strip_prefix("!GetAtt "))
                .and_then(|uri| uri.strip_suffix(".Arn"))
                .unwrap_or_else(|| panic!("{integration}: IntegrationUri is no function"));
            routes.insert((function.to_owned(), method.to_owned(), path.to_owned()));
        }
    }
    routes
}

/// The IAM actions (`service:Action`) a resource's definition names.
fn actions_of(resource: &str) -> BTreeSet<String> {
    let resources = template_resources();
    let (_, lines) = resources
        .iter()
        .find(|(name, _)| name == resource)
        .unwrap_or_else(|| panic!("no resource {resource}"));
    let mut actions = BTreeSet::new();
    for line in lines {
        let text = line
            .trim_start_matches("- ")
            .trim_start_matches("Action: ")
            .trim_matches('"');
        for service in ["kms:", "dynamodb:", "secretsmanager:", "ssm:", "iam:"] {
            if text.starts_with(service) && !text.contains(' ') {
                actions.insert(text.to_owned());
            }
        }
    }
    actions
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
    let resources = template_resources();
    let guarded = resources
        .iter()
        .filter(|(_, lines)| value_of(lines, "AuthorizationType").is_some())
        .count();
    let mut protected_paths = 0;
    for endpoint in Endpoint::ALL.into_iter().filter(|e| e.takes_bearer_token()) {
        protected_paths += both_forms(endpoint).len();
        for path in both_forms(endpoint) {
            let (route, lines) = resources
                .iter()
                .find(|(_, lines)| value_of(lines, "RouteKey") == Some(&format!("GET {path}")))
                .unwrap_or_else(|| panic!("no plain route for GET {path}"));
            assert_eq!(
                value_of(lines, "AuthorizationType"),
                Some("!If [UseJwtAuthorizer, JWT, NONE]"),
                "{route}"
            );
            let scopes = endpoint.required_scopes();
            let expected = (!scopes.is_empty()).then(|| {
                let names = scopes.to_string().replace(' ', ", ");
                format!("!If [UseJwtAuthorizer, [{names}], !Ref AWS::NoValue]")
            });
            assert_eq!(
                value_of(lines, "AuthorizationScopes").map(str::to_owned),
                expected,
                "{route}"
            );
        }
    }
    // No other route (the token endpoint, the documents, the docs page) can be guarded.
    assert_eq!(guarded, protected_paths);
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
    let template = read("template.yaml");
    let settings = template
        .split_once("      RouteSettings:\n")
        .expect("RouteSettings")
        .1;
    let mut throttles = Vec::new();
    let mut lines = settings.lines().filter(|l| !l.trim().starts_with('#'));
    while let Some(line) = lines.next() {
        if !line.starts_with("        \"") {
            break;
        }
        let key = line
            .trim()
            .trim_end_matches(':')
            .trim_matches('"')
            .to_owned();
        let value = |line: Option<&str>, name: &str| {
            line.and_then(|l| l.trim().strip_prefix(&format!("{name}: !Ref ")))
                .unwrap_or_else(|| panic!("{key}: no {name}"))
                .to_owned()
        };
        let rate = value(lines.next(), "ThrottlingRateLimit");
        let burst = value(lines.next(), "ThrottlingBurstLimit");
        throttles.push((key, rate, burst));
    }
    throttles
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
