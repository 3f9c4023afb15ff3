//! `template.yaml` read as structure (serde_norway keeps CloudFormation's tags), for the
//! tests that hold the template to what the code does: its routes, its authorizer, its
//! permissions. cfn-lint checks the template's form; these check its meaning.

use std::path::Path;

use serde_json::{json, Map, Value};

/// The template, parsed by [`yaml`].
pub fn template() -> Value {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join("template.yaml"),
    )
    .unwrap();
    yaml(&text)
}

/// YAML as JSON the tests can index: every scalar a string (as IAM reads them), a tagged
/// scalar as written (`!Ref X`, `!GetAtt X.Arn`, `!Sub ...`), a tag on a block as
/// `{"!If": block}`, so that a reference and a literal never compare equal.
pub fn yaml(text: &str) -> Value {
    json_of(serde_norway::from_str(text).expect("template.yaml is YAML"))
}

fn json_of(value: serde_norway::Value) -> Value {
    use serde_norway::Value as Yaml;
    match value {
        Yaml::Null => Value::Null,
        Yaml::Bool(b) => Value::String(b.to_string()),
        Yaml::Number(n) => Value::String(n.to_string()),
        Yaml::String(s) => Value::String(s),
        Yaml::Sequence(items) => Value::Array(items.into_iter().map(json_of).collect()),
        Yaml::Mapping(entries) => Value::Object(
            entries
                .into_iter()
                .map(|(key, value)| match json_of(key) {
                    Value::String(key) => (key, json_of(value)),
                    other => panic!("a key that is not a scalar: {other}"),
                })
                .collect::<Map<String, Value>>(),
        ),
        Yaml::Tagged(tagged) => match json_of(tagged.value) {
            Value::String(argument) => Value::String(format!("{} {argument}", tagged.tag)),
            block => json!({ tagged.tag.to_string(): block }),
        },
    }
}

pub fn resource<'a>(template: &'a Value, name: &str) -> &'a Value {
    let resource = &template["Resources"][name];
    assert!(resource.is_object(), "no resource {name}");
    resource
}

/// A string or a list of strings, as a list.
pub fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items
            .iter()
            .map(|i| i.as_str().expect("a string").to_owned())
            .collect(),
        Value::Null => Vec::new(),
        other => panic!("not a string or list: {other}"),
    }
}

/// Every IAM statement a resource grants: a SAM function's `Policies`, an IAM policy's or
/// managed policy's document, a role's inline policies.
pub fn statements(resource: &Value) -> Vec<&Value> {
    let properties = &resource["Properties"];
    let mut documents = Vec::new();
    match resource["Type"].as_str().unwrap() {
        "AWS::Serverless::Function" => {
            if let Some(policies) = properties["Policies"].as_array() {
                documents.extend(policies.iter());
            }
        }
        "AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy" => {
            documents.push(&properties["PolicyDocument"])
        }
        "AWS::IAM::Role" => {
            if let Some(policies) = properties["Policies"].as_array() {
                documents.extend(policies.iter().map(|p| &p["PolicyDocument"]));
            }
        }
        _ => {}
    }
    documents
        .into_iter()
        .flat_map(|d| {
            d["Statement"]
                .as_array()
                .unwrap_or_else(|| panic!("a policy without statements: {d}"))
        })
        .collect()
}

#[test]
fn the_reader_reads_what_the_template_uses() {
    let doc = yaml(
        "A:\n  B: \"x: y\"\n  S: !Sub \"a:${B}\"\n  C: [a, [b, c], !Ref D]\n  E:\n    - F: 1\n      G: >-\n        folded\n        text\n    - plain\n  H:\n  - same-indent\n  \"I:J\": !GetAtt K.Arn\n  L: !If\n    - Cond\n    - yes\n  M: true\n",
    );
    assert_eq!(
        doc,
        json!({"A": {
            "B": "x: y",
            "S": "!Sub a:${B}",
            "C": ["a", ["b", "c"], "!Ref D"],
            "E": [{"F": "1", "G": "folded text"}, "plain"],
            "H": ["same-indent"],
            "I:J": "!GetAtt K.Arn",
            "L": {"!If": ["Cond", "yes"]},
            "M": "true"
        }})
    );
}
