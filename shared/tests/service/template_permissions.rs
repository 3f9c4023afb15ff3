//! What each role in `template.yaml` may do, read as structure (statement by statement,
//! condition by condition), not as substrings: the signing key's policy lets only the token
//! function sign; no function writes the key set; the token function re-hashes passwords and
//! touches no other user attribute; revocation and introspection write only the items they
//! own in the tokens table. cfn-lint cannot know any of this; nothing can deploy here, so this
//! test is what holds the template to it.

use std::path::Path;

use serde_json::{json, Map, Value};

/// The template, parsed by [`yaml`].
fn template() -> Value {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join("template.yaml"),
    )
    .unwrap();
    yaml(&text)
}

// ------------------------------------------------------------------ a YAML subset reader
// Just what template.yaml uses: block mappings and sequences, quoted and plain scalars,
// folded (`>-`) scalars, flow sequences of scalars. Tagged scalars (`!Ref X`, `!GetAtt X.Arn`,
// `!If [...]`) stay strings, as written; a tag before a block (`!If` + lines) becomes
// `{"!If": block}`. Anything else it meets fails the test rather than being guessed.

struct Line<'a> {
    indent: usize,
    text: &'a str,
}

fn yaml(text: &str) -> Value {
    let lines: Vec<Line> = text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map(|l| Line {
            indent: l.len() - l.trim_start().len(),
            text: l.trim(),
        })
        .collect();
    let mut at = 0;
    let value = node(&lines, &mut at, 0);
    assert_eq!(at, lines.len(), "unparsed from: {}", lines[at].text);
    value
}

fn node(lines: &[Line], at: &mut usize, indent: usize) -> Value {
    if lines[*at].text == "-" || lines[*at].text.starts_with("- ") {
        sequence(lines, at, indent)
    } else {
        let mut map = Map::new();
        mapping(lines, at, indent, None, &mut map);
        Value::Object(map)
    }
}

/// `key: rest` (the key possibly quoted), or `None` if `text` is no mapping entry.
fn entry(text: &str) -> Option<(String, &str)> {
    if let Some(quoted) = text.strip_prefix('"') {
        let (key, rest) = quoted.split_once('"')?;
        let rest = rest.strip_prefix(':')?;
        return Some((key.to_owned(), rest.trim()));
    }
    if let Some(key) = text.strip_suffix(':') {
        if !key.contains(": ") {
            return Some((key.to_owned(), ""));
        }
    }
    let (key, rest) = text.split_once(": ")?;
    (!key.starts_with(['!', '[', '{', '\''])).then(|| (key.to_owned(), rest.trim()))
}

/// Entries at `indent`; `first` is an entry already taken off a sequence item's line.
fn mapping(
    lines: &[Line],
    at: &mut usize,
    indent: usize,
    first: Option<&str>,
    map: &mut Map<String, Value>,
) {
    let mut pending = first;
    loop {
        let text = match pending.take() {
            Some(text) => text,
            None => {
                let Some(line) = lines.get(*at).filter(|l| l.indent == indent) else {
                    return;
                };
                if line.text.starts_with("- ") {
                    return;
                }
                line.text
            }
        };
        let (key, rest) = entry(text).unwrap_or_else(|| panic!("not a mapping entry: {text}"));
        *at += 1;
        let value = match rest {
            "" => child(lines, at, indent),
            ">-" | ">" => {
                let mut folded = Vec::new();
                while let Some(line) = lines.get(*at).filter(|l| l.indent > indent) {
                    folded.push(line.text);
                    *at += 1;
                }
                Value::String(folded.join(" "))
            }
            tag if tag.starts_with('!') && !tag.contains(' ') => {
                json!({ tag: child(lines, at, indent) })
            }
            scalar_text => scalar(scalar_text),
        };
        assert!(map.insert(key.clone(), value).is_none(), "duplicate {key}");
    }
}

/// The block under an entry with no value on its line (a sequence may sit at its indent).
fn child(lines: &[Line], at: &mut usize, indent: usize) -> Value {
    match lines.get(*at) {
        Some(line) if line.indent > indent => node(lines, at, line.indent),
        Some(line) if line.indent == indent && line.text.starts_with("- ") => {
            sequence(lines, at, indent)
        }
        _ => Value::Null,
    }
}

fn sequence(lines: &[Line], at: &mut usize, indent: usize) -> Value {
    let mut items = Vec::new();
    while let Some(line) = lines.get(*at).filter(|l| l.indent == indent) {
        let Some(item) = line.text.strip_prefix('-') else {
            break;
        };
        let item = item.trim_start();
        if item.is_empty() {
            *at += 1;
            items.push(child(lines, at, indent));
        } else if entry(item).is_some() {
            // `- key: value` opens a mapping two columns in.
            let mut map = Map::new();
            mapping(lines, at, indent + 2, Some(item), &mut map);
            items.push(Value::Object(map));
        } else {
            *at += 1;
            items.push(scalar(item));
        }
    }
    Value::Array(items)
}

fn scalar(text: &str) -> Value {
    if let Some(inner) = text.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
        let mut items = Vec::new();
        let (mut depth, mut start) = (0, 0);
        for (i, c) in inner.char_indices() {
            match c {
                '[' => depth += 1,
                ']' => depth -= 1,
                ',' if depth == 0 => {
                    items.push(scalar(inner[start..i].trim()));
                    start = i + 1;
                }
                _ => {}
            }
        }
        if !inner.trim().is_empty() {
            items.push(scalar(inner[start..].trim()));
        }
        return Value::Array(items);
    }
    // `!Sub "..."` is read as `!Sub ...`: the quotes are YAML's, not the value's.
    if let Some((tag, argument)) = text.split_once(' ').filter(|(t, _)| t.starts_with('!')) {
        if let Value::String(argument) = scalar(argument) {
            return Value::String(format!("{tag} {argument}"));
        }
    }
    for quote in ['"', '\''] {
        if let Some(inner) = text.strip_prefix(quote).and_then(|t| t.strip_suffix(quote)) {
            return Value::String(inner.to_owned());
        }
    }
    Value::String(text.to_owned())
}

#[test]
fn the_reader_reads_what_the_template_uses() {
    let doc = yaml(
        "A:\n  B: \"x: y\"\n  S: !Sub \"a:${B}\"\n  C: [a, [b, c], !Ref D]\n  E:\n    - F: 1\n      G: >-\n        folded\n        text\n    - plain\n  H:\n  - same-indent\n  \"I:J\": !GetAtt K.Arn\n  L: !If\n    - Cond\n    - yes\n",
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
            "L": {"!If": ["Cond", "yes"]}
        }})
    );
}

// ------------------------------------------------------------------ policies

fn resource<'a>(template: &'a Value, name: &str) -> &'a Value {
    let resource = &template["Resources"][name];
    assert!(resource.is_object(), "no resource {name}");
    resource
}

/// A string or a list of strings, as a list.
fn strings(value: &Value) -> Vec<String> {
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
fn statements(resource: &Value) -> Vec<&Value> {
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

/// Every resource that grants IAM permissions, with its statements.
fn grants(template: &Value) -> Vec<(String, Vec<&Value>)> {
    template["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(name, resource)| (name.clone(), statements(resource)))
        .filter(|(_, statements)| !statements.is_empty())
        .collect()
}

fn sid<'a>(statements: &[&'a Value], sid: &str) -> &'a Value {
    statements
        .iter()
        .find(|s| s["Sid"] == sid)
        .unwrap_or_else(|| panic!("no statement {sid}"))
}

#[test]
fn only_the_token_function_role_can_sign_whatever_iam_allows() {
    let template = template();
    let key = resource(&template, "SigningKey");
    let policy = &key["Properties"]["KeyPolicy"]["Statement"];
    let statements: Vec<&Value> = policy.as_array().unwrap().iter().collect();
    assert_eq!(statements.len(), 2, "{policy}");
    // The account (and so IAM) manages the key...
    let root = sid(&statements, "EnableIamPolicies");
    assert_eq!(root["Effect"], "Allow");
    assert_eq!(
        root["Principal"],
        json!({"AWS": "!Sub arn:${AWS::Partition}:iam::${AWS::AccountId}:root"})
    );
    assert_eq!(strings(&root["Action"]), ["kms:*"]);
    assert!(root.get("Condition").is_none());
    // ...but no principal other than the token function's role may sign, whatever IAM says.
    let deny = sid(
        &statements,
        token_service::keys::ONLY_THE_TOKEN_FUNCTION_SIGNS,
    );
    assert_eq!(deny["Effect"], "Deny");
    assert_eq!(deny["Principal"], json!({"AWS": "*"}));
    assert_eq!(strings(&deny["Action"]), ["kms:Sign"]);
    assert_eq!(deny["Resource"], "*");
    assert_eq!(
        deny["Condition"],
        json!({"ArnNotEquals": {"aws:PrincipalArn": "!GetAtt TokenFunctionRole.Arn"}})
    );

    // `authctl key rotate` gives its keys the same policy.
    let generated =
        token_service::keys::signing_key_policy("arn:aws:iam::123456789012:role/r").unwrap();
    let shape = |s: &Value| {
        (
            s["Sid"].clone(),
            s["Effect"].clone(),
            strings(&s["Action"]),
            s["Resource"].clone(),
            s.get("Condition")
                .and_then(Value::as_object)
                .map(|c| c.keys().cloned().collect::<Vec<_>>()),
        )
    };
    let generated: Vec<_> = generated["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .map(shape)
        .collect();
    let templated: Vec<_> = statements.iter().map(|s| shape(s)).collect();
    assert_eq!(generated, templated);

    // The role is the template's own, holding the function's policy before the function runs.
    let function = resource(&template, "TokenFunction");
    assert_eq!(
        function["Properties"]["Role"],
        "!GetAtt TokenFunctionRole.Arn"
    );
    assert_eq!(function["DependsOn"], "TokenFunctionPolicy");
    assert!(function["Properties"].get("Policies").is_none());
    let role = resource(&template, "TokenFunctionRole");
    assert_eq!(role["Type"], "AWS::IAM::Role");
    assert_eq!(
        role["Properties"]["AssumeRolePolicyDocument"]["Statement"],
        json!([{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}])
    );
    assert_eq!(
        strings(&role["Properties"]["ManagedPolicyArns"]),
        ["!Sub arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"]
    );
    assert!(role["Properties"].get("Policies").is_none());
    let attached = resource(&template, "TokenFunctionPolicy");
    assert_eq!(attached["Type"], "AWS::IAM::Policy");
    assert_eq!(
        strings(&attached["Properties"]["Roles"]),
        ["!Ref TokenFunctionRole"]
    );
    // Operators find the role's ARN among the outputs.
    assert_eq!(
        template["Outputs"]["TokenFunctionRoleArn"]["Value"],
        "!GetAtt TokenFunctionRole.Arn"
    );

    // And in IAM too, only that policy allows signing, only with this stack's tagged keys.
    for (holder, statements) in grants(&template) {
        for statement in statements {
            let signs = strings(&statement["Action"])
                .iter()
                .any(|a| a == "kms:Sign" || a == "kms:*" || a == "*");
            if statement["Effect"] == "Allow" && signs {
                assert_eq!(holder, "TokenFunctionPolicy", "{statement}");
                assert_eq!(strings(&statement["Action"]), ["kms:Sign"]);
                assert_eq!(
                    statement["Condition"],
                    json!({"StringEquals": {"aws:ResourceTag/token-service-signing-key": "!Ref AWS::StackName"}})
                );
            }
        }
    }
}

/// The resources a statement names (`!GetAtt X.Arn` as `X`).
fn resources_of(statement: &Value) -> Vec<String> {
    strings(&statement["Resource"])
        .into_iter()
        .map(|r| {
            r.strip_prefix("!GetAtt ")
                .and_then(|r| r.strip_suffix(".Arn"))
                .map_or(r.clone(), str::to_owned)
        })
        .collect()
}

fn actions_of(statement: &Value) -> Vec<String> {
    let mut actions = strings(&statement["Action"]);
    actions.sort();
    actions
}

#[test]
fn only_the_operator_writes_the_key_set() {
    let template = template();
    let mut operator_writes = false;
    for (holder, statements) in grants(&template) {
        for statement in statements {
            assert!(
                statement.get("NotAction").is_none() && statement.get("NotResource").is_none(),
                "{holder}: {statement}"
            );
            let resources = resources_of(statement);
            let actions = actions_of(statement);
            let on_keys = resources.iter().any(|r| r == "KeysTable" || r == "*");
            let dynamodb = actions
                .iter()
                .any(|a| a.starts_with("dynamodb:") || a == "*");
            if statement["Effect"] != "Allow" || !on_keys || !dynamodb {
                continue;
            }
            assert_eq!(resources, ["KeysTable"], "{holder}: {statement}");
            if holder == "OperatorPolicy" {
                assert_eq!(actions, ["dynamodb:GetItem", "dynamodb:PutItem"]);
                operator_writes = true;
            } else {
                assert_eq!(
                    actions,
                    ["dynamodb:GetItem"],
                    "{holder} may write the key set"
                );
            }
        }
    }
    assert!(operator_writes, "the operator publishes keys");
    // No function is told a key to publish, nor may read a KMS key's public half to do so.
    let globals = &template["Globals"]["Function"]["Environment"]["Variables"];
    let token = &resource(&template, "TokenFunction")["Properties"];
    assert!(globals.get("SIGNING_KEY_ARN").is_none());
    assert!(token.get("Environment").is_none(), "{token}");
    for (holder, statements) in grants(&template) {
        if holder != "OperatorPolicy" {
            for statement in statements {
                assert!(
                    !actions_of(statement).contains(&"kms:GetPublicKey".to_owned()),
                    "{holder}"
                );
            }
        }
    }
}
