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
        Endpoint::Jwks => ("JwksFunction", "jwks"),
        Endpoint::OpenIdConfiguration => ("OpenIdConfigurationFunction", "openid-configuration"),
    }
}

/// The paths an endpoint must answer: the API's own with and without the trailing slash;
/// the well-known documents exactly as RFC 8615 names them.
fn both_forms(endpoint: Endpoint) -> Vec<String> {
    if endpoint.path().starts_with("/.well-known/") {
        return vec![endpoint.path().to_owned()];
    }
    let bare = endpoint.path().trim_end_matches('/').to_owned();
    vec![bare.clone(), format!("{bare}/")]
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

/// (resource, method, path) of every HttpApi event in the template.
fn template_routes() -> BTreeSet<(String, String, String)> {
    let mut routes = BTreeSet::new();
    let (mut resource, mut method) = (String::new(), String::new());
    for line in read("template.yaml").lines() {
        let indent = line.len() - line.trim_start().len();
        let line = line.trim();
        if indent == 2 && line.ends_with(':') && !line.starts_with('#') {
            resource = line.trim_end_matches(':').to_owned();
        } else if let Some(m) = line.strip_prefix("Method: ") {
            method = m.trim().to_owned();
        } else if let Some(p) = line.strip_prefix("Path: ") {
            routes.insert((resource.clone(), method.clone(), p.trim().to_owned()));
        }
    }
    routes
}

#[test]
fn the_template_routes_every_path_to_its_function() {
    let routes = template_routes();
    let mut expected = BTreeSet::new();
    for endpoint in Endpoint::ALL {
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
    expected.insert(("StatusFunction".into(), "ANY".into(), "$default".into()));
    assert_eq!(routes, expected);
}

#[test]
fn the_token_routes_have_their_tighter_throttle() {
    let template = read("template.yaml");
    for path in both_forms(Endpoint::Token) {
        assert!(
            template.contains(&format!("\"POST {path}\":")),
            "no RouteSettings for POST {path}"
        );
    }
}

#[test]
fn cargo_lambda_watch_serves_every_production_path() {
    let manifest = read("Cargo.toml");
    for endpoint in Endpoint::ALL {
        for path in both_forms(endpoint) {
            for method in endpoint.methods() {
                let entry = format!(
                    "\"{path}\" = [{{ function = \"{}\", method = \"{method}\" }}]",
                    function_of(endpoint).1,
                );
                assert!(manifest.contains(&entry), "Cargo.toml router lacks {entry}");
            }
        }
    }
}
