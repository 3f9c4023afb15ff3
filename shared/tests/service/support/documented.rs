//! Every answer a scenario gets is held to the OpenAPI document: the status is declared for
//! the operation, its required headers are present, its content type is the declared one,
//! and its body conforms to the declared schema.
//! With the schemathesis run (scripts/docs-checks.sh) this is how the document is kept true:
//! a new refusal that the document does not list fails whichever test first provokes it.

use std::sync::LazyLock;

use serde_json::Value;
use token_service::http::openapi::{document, documented};
use token_service::Endpoint;

static DOCUMENT: LazyLock<Value> =
    LazyLock::new(|| serde_json::to_value(document()).expect("the document serializes"));

/// Panics unless the answer `status`/`headers` to `method path` is one the document declares.
/// Paths and methods the API does not route (404s, 405s) are not in the document.
pub fn assert_documented(
    method: &str,
    path: &str,
    status: u16,
    headers: &hyper::HeaderMap,
    body: &str,
) {
    let path = path.split('?').next().unwrap_or(path);
    let Some(endpoint) = Endpoint::for_path(path) else {
        return;
    };
    let routed = endpoint.methods().iter().any(|m| m.as_str() == method);
    if !documented(endpoint) || !routed {
        return;
    }
    let operation = &DOCUMENT["paths"][endpoint.path()][method.to_lowercase()];
    let declared = &operation["responses"][status.to_string()];
    let Some(declared) = declared.as_object() else {
        panic!("{method} {path} answered {status}, which the OpenAPI document does not declare");
    };
    if let Some(documented_headers) = declared.get("headers").and_then(Value::as_object) {
        for (name, header) in documented_headers {
            if header["required"] == true {
                assert!(
                    headers.contains_key(name.as_str()),
                    "{method} {path} answered {status} without {name}, which the document requires"
                );
            }
        }
    }
    if let Some(content) = declared.get("content").and_then(Value::as_object) {
        let answered = headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .unwrap_or_default();
        assert!(
            content.contains_key(answered),
            "{method} {path} answered {status} as {answered:?}; the document says {:?}",
            content.keys().collect::<Vec<_>>()
        );
        if answered == "application/json" {
            let value: Value = serde_json::from_str(body)
                .unwrap_or_else(|e| panic!("{method} {path}: {status} is not JSON ({e}): {body}"));
            if let Err(why) = conforms(&content[answered]["schema"], &value) {
                panic!("{method} {path} answered {status} with a body the document does not allow: {why}\n{body}");
            }
        }
    }
}

/// The JSON Schema keywords [`conforms`] checks, and the annotations it may ignore. A schema
/// with any other keyword fails the check, so a new kind of schema cannot pass unchecked.
const KNOWN_KEYWORDS: [&str; 19] = [
    "$ref",
    "oneOf",
    "anyOf",
    "allOf",
    "type",
    "enum",
    "pattern",
    "minimum",
    "required",
    "maxProperties",
    "properties",
    "items",
    // Annotations.
    "title",
    "description",
    "default",
    "examples",
    "example",
    "format",
    "deprecated",
];

/// Whether `value` conforms to `schema`: the JSON Schema keywords the document uses.
fn conforms(schema: &Value, value: &Value) -> Result<(), String> {
    if let Some(keywords) = schema.as_object() {
        for keyword in keywords.keys() {
            assert!(
                KNOWN_KEYWORDS.contains(&keyword.as_str()),
                "the answer check does not know the keyword `{keyword}`: teach it"
            );
        }
    }
    if let Some(parts) = schema["allOf"].as_array() {
        for part in parts {
            conforms(part, value)?;
        }
    }
    if let Some(target) = schema["$ref"].as_str() {
        let pointer = target.strip_prefix('#').expect("local references");
        let resolved = DOCUMENT.pointer(pointer).expect("references resolve");
        return conforms(resolved, value);
    }
    for keyword in ["oneOf", "anyOf"] {
        if let Some(branches) = schema[keyword].as_array() {
            if !branches
                .iter()
                .any(|branch| conforms(branch, value).is_ok())
            {
                return Err(format!("{value} matches no branch of {keyword}"));
            }
        }
    }
    if let Some(types) = schema.get("type") {
        let types: Vec<&str> = match types {
            Value::String(one) => vec![one.as_str()],
            Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        let is = |name: &str| match name {
            "string" => value.is_string(),
            "integer" => value.is_i64() || value.is_u64(),
            "number" => value.is_number(),
            "boolean" => value.is_boolean(),
            "array" => value.is_array(),
            "object" => value.is_object(),
            "null" => value.is_null(),
            _ => false,
        };
        if !types.iter().any(|name| is(name)) {
            return Err(format!("{value} is not {types:?}"));
        }
    }
    if let Some(allowed) = schema["enum"].as_array() {
        if !allowed.contains(value) {
            return Err(format!("{value} is not one of {allowed:?}"));
        }
    }
    if let (Some(pattern), Some(text)) = (schema["pattern"].as_str(), value.as_str()) {
        if !regex_lite::Regex::new(pattern).unwrap().is_match(text) {
            return Err(format!("{text:?} does not match {pattern}"));
        }
    }
    if let Some(minimum) = schema["minimum"].as_f64() {
        if value.as_f64().is_some_and(|n| n < minimum) {
            return Err(format!("{value} is below {minimum}"));
        }
    }
    if let Some(object) = value.as_object() {
        for name in schema["required"].as_array().into_iter().flatten() {
            let name = name.as_str().unwrap();
            if !object.contains_key(name) {
                return Err(format!("`{name}` is missing from {value}"));
            }
        }
        if let Some(max) = schema["maxProperties"].as_u64() {
            if object.len() as u64 > max {
                return Err(format!("{value} has more than {max} members"));
            }
        }
        if let Some(properties) = schema["properties"].as_object() {
            for (name, member) in object {
                if let Some(declared) = properties.get(name) {
                    conforms(declared, member).map_err(|why| format!("`{name}`: {why}"))?;
                }
            }
        }
    }
    if let (Some(items), Some(elements)) = (schema.get("items"), value.as_array()) {
        for element in elements {
            conforms(items, element)?;
        }
    }
    Ok(())
}
