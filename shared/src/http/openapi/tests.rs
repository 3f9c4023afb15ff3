use std::collections::BTreeSet;

use serde_json::Value;

use super::errors::refusals;
use super::*;
use crate::http::error::error_answer;
use crate::oauth::TokenRequest;

fn json() -> Value {
    serde_json::to_value(document()).unwrap()
}

fn operation(doc: &Value, endpoint: Endpoint) -> &Value {
    let method = endpoint.methods()[0].as_str().to_lowercase();
    &doc["paths"][endpoint.path()][method.as_str()]
}

#[test]
fn the_document_is_openapi_3_1_and_lists_every_documented_route() {
    let doc = json();
    assert_eq!(doc["openapi"], "3.1.0");
    let paths: BTreeSet<&str> = doc["paths"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let expected: BTreeSet<&str> = Endpoint::ALL
        .into_iter()
        .filter(|e| documented(*e))
        .map(Endpoint::path)
        .collect();
    assert_eq!(paths, expected);
    assert!(!paths.contains(PATH) && !paths.contains("/docs"));
    for endpoint in Endpoint::ALL.into_iter().filter(|e| documented(*e)) {
        let methods: BTreeSet<String> = doc["paths"][endpoint.path()]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        let expected: BTreeSet<String> = endpoint
            .methods()
            .iter()
            .map(|m| m.as_str().to_lowercase())
            .collect();
        assert_eq!(methods, expected, "{endpoint:?}");
    }
}

#[test]
fn the_password_flow_offers_every_scope_with_its_description() {
    let doc = json();
    let scheme = &doc["components"]["securitySchemes"][SECURITY_SCHEME];
    assert_eq!(scheme["type"], "oauth2");
    let flow = &scheme["flows"]["password"];
    assert_eq!(flow["tokenUrl"], Endpoint::Token.path());
    assert_eq!(
        flow["scopes"]["me"],
        "Read information about the current user."
    );
    assert_eq!(flow["scopes"]["items"], "Read items.");
    assert_eq!(flow["scopes"].as_object().unwrap().len(), Scope::ALL.len());
    // Swagger UI's Authorize can also get a confidential client's own token.
    let machine = &scheme["flows"]["clientCredentials"];
    assert_eq!(machine["tokenUrl"], Endpoint::Token.path());
    assert_eq!(machine["scopes"], flow["scopes"]);
    // ...and sign a person in through the hosted page (the code flow, PKCE).
    let code = &scheme["flows"]["authorizationCode"];
    assert_eq!(code["authorizationUrl"], Endpoint::Authorize.path());
    assert_eq!(code["tokenUrl"], Endpoint::Token.path());
    assert_eq!(code["scopes"], flow["scopes"]);
}

#[test]
fn each_operation_requires_the_scopes_its_endpoint_checks() {
    let doc = json();
    for endpoint in Endpoint::ALL.into_iter().filter(|e| documented(*e)) {
        let security = &operation(&doc, endpoint)["security"];
        if endpoint.takes_bearer_token() {
            let scopes: Vec<&str> = endpoint
                .required_scopes()
                .iter()
                .map(|s| s.as_str())
                .collect();
            assert_eq!(
                security,
                &serde_json::json!([{ SECURITY_SCHEME: scopes }]),
                "{endpoint:?}"
            );
        } else if endpoint.takes_client_credentials() {
            // HTTP Basic, or the form's own fields (the empty requirement).
            assert_eq!(
                security,
                &serde_json::json!([{ CLIENT_SCHEME: [] }, {}]),
                "{endpoint:?}"
            );
        } else {
            assert!(security.is_null(), "{endpoint:?} needs no token");
        }
    }
    let basic = &doc["components"]["securitySchemes"][CLIENT_SCHEME];
    assert_eq!(basic["type"], "http");
    assert_eq!(basic["scheme"], "basic");
    let items = operation(&doc, Endpoint::UsersMeItems);
    assert_eq!(
        items["security"][0][SECURITY_SCHEME],
        serde_json::json!(["me", "items"])
    );
}

/// The properties a form schema declares.
fn form_fields(doc: &Value, endpoint: Endpoint) -> BTreeSet<String> {
    let body = &operation(doc, endpoint)["requestBody"]["content"]
        ["application/x-www-form-urlencoded"]["schema"]["$ref"];
    let name = body.as_str().unwrap().rsplit('/').next().unwrap();
    doc["components"]["schemas"][name]["properties"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect()
}

#[test]
fn the_forms_declare_exactly_what_the_parsers_read() {
    let doc = json();
    let token: BTreeSet<String> = TokenRequest::PARAMETERS
        .iter()
        .map(|p| p.to_string())
        .collect();
    assert_eq!(form_fields(&doc, Endpoint::Token), token);
    let revoke: BTreeSet<String> = crate::http::revoke::PARAMETERS
        .iter()
        .map(|p| p.to_string())
        .collect();
    assert_eq!(form_fields(&doc, Endpoint::Revoke), revoke);
    let introspect: BTreeSet<String> = crate::http::introspect::PARAMETERS
        .iter()
        .map(|p| p.to_string())
        .collect();
    assert_eq!(form_fields(&doc, Endpoint::Introspect), introspect);
}

#[test]
fn every_refusal_is_documented_with_its_status_headers_and_body() {
    let doc = json();
    for endpoint in Endpoint::ALL.into_iter().filter(|e| documented(*e)) {
        let responses = &operation(&doc, endpoint)["responses"];
        assert!(responses["200"].is_object(), "{endpoint:?}");
        for (name, refusal) in refusals(endpoint) {
            let answer = error_answer(&refusal);
            let documented = &responses[answer.status.as_str()];
            assert!(documented.is_object(), "{endpoint:?} {name}");
            let example = &documented["content"]["application/json"]["examples"][name]["value"];
            assert_eq!(example, &serde_json::to_value(&answer.body).unwrap());
            for (header, _) in &answer.headers {
                let declared = documented["headers"].as_object().and_then(|h| {
                    h.iter()
                        .find(|(n, _)| n.eq_ignore_ascii_case(header.as_str()))
                });
                assert!(declared.is_some(), "{endpoint:?} {name}: {header}");
            }
        }
    }
    // A protected resource's 401 and 403 always carry their challenge, its 400 only for two
    // credentials (not for a body over the limit); a 503 always has its Retry-After.
    let me = &operation(&doc, Endpoint::UsersMe)["responses"];
    for status in ["401", "403"] {
        let required = &me[status]["headers"]["WWW-Authenticate"]["required"];
        assert_eq!(required, true, "{status}");
    }
    assert_eq!(me["400"]["headers"]["WWW-Authenticate"]["required"], false);
    assert_eq!(me["503"]["headers"]["Retry-After"]["required"], true);
    let challenge = &me["403"]["headers"]["WWW-Authenticate"]["example"];
    assert_eq!(
        challenge,
        "Bearer error=\"insufficient_scope\", scope=\"me\""
    );
    // The status resource needs no scope, so it never answers 403.
    assert!(operation(&doc, Endpoint::Status)["responses"]["403"].is_null());
}

/// Every `$ref` in `value`.
fn references(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                match (key.as_str(), inner) {
                    ("$ref", Value::String(target)) => found.push(target.clone()),
                    _ => references(inner, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| references(item, found)),
        _ => {}
    }
}

#[test]
fn every_reference_resolves() {
    let doc = json();
    let mut found = Vec::new();
    references(&doc, &mut found);
    assert!(found.len() > 10, "{found:?}");
    for target in found {
        let pointer = target.strip_prefix('#').expect("a local reference");
        assert!(doc.pointer(pointer).is_some(), "{target} does not resolve");
    }
}

#[test]
fn response_schemas_are_the_serialized_types() {
    let doc = json();
    let user = &doc["components"]["schemas"]["User"];
    let fields: BTreeSet<&str> = user["properties"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        fields,
        BTreeSet::from(["username", "email", "full_name", "disabled"])
    );
    let error = &doc["components"]["schemas"]["Error"];
    assert_eq!(error["required"], serde_json::json!(["detail"]));
}

/// The pattern the token form declares for `field`.
fn form_pattern(field: &str) -> regex_lite::Regex {
    let doc = json();
    let pattern = doc["components"]["schemas"]["TokenRequest"]["properties"][field]["pattern"]
        .as_str()
        .unwrap()
        .to_owned();
    regex_lite::Regex::new(&pattern).unwrap()
}

mod patterns {
    use proptest::prelude::*;

    use super::form_pattern;
    use crate::domain::{ScopeSet, Username};

    proptest! {
        /// A username the document allows is one the parser takes, and the other way round.
        #[test]
        fn the_username_pattern_is_the_parser(name in "[a-zA-Z0-9._@+\\-!#é ]{1,64}") {
            let pattern = form_pattern("username");
            prop_assert_eq!(pattern.is_match(&name), Username::parse(&name).is_ok(), "{}", name);
        }

        /// So is a scope list.
        #[test]
        fn the_scope_pattern_is_the_parser(scope in "( |me|items|item|mes|x|\t){0,6}") {
            let pattern = form_pattern("scope");
            prop_assert_eq!(pattern.is_match(&scope), ScopeSet::parse(&scope).is_ok(), "{:?}", scope);
        }
    }
}
