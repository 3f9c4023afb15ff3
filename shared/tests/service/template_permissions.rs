//! What each role in `template.yaml` may do, read as structure (statement by statement,
//! condition by condition), not as substrings: the signing key's policy lets only the token
//! function sign; no function writes the key set; the token function re-hashes passwords and
//! touches no other user attribute; revocation and introspection write only the items they
//! own in the tokens table. cfn-lint cannot know any of this; nothing can deploy here, so this
//! test is what holds the template to it.

mod calls;

use serde_json::{json, Value};

use calls::like;

use crate::support::template::{resource, statements, strings, template};
use crate::support::{self, NOW};

// ------------------------------------------------------------------ policies

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

/// The statements of `holder` on `table`.
fn on_table<'a>(template: &'a Value, holder: &str, table: &str) -> Vec<&'a Value> {
    statements(resource(template, holder))
        .into_iter()
        .filter(|s| resources_of(s).iter().any(|r| r == table || r == "*"))
        .collect()
}

fn writes(statement: &Value) -> bool {
    actions_of(statement)
        .iter()
        .any(|a| !matches!(a.as_str(), "dynamodb:GetItem"))
}

/// The functions that sign people in (and so may re-hash their passwords).
const SIGNERS_IN: [&str; 2] = ["TokenFunctionPolicy", "AuthorizeFunction"];

#[test]
fn the_functions_that_sign_in_write_nothing_of_a_user_but_the_password_hash() {
    let template = template();
    for holder in SIGNERS_IN {
        let users = on_table(&template, holder, "UsersTable");
        let written: Vec<_> = users.iter().filter(|s| writes(s)).collect();
        assert_eq!(written.len(), 1, "{holder}: {users:?}");
        let update = written[0];
        assert_eq!(update["Effect"], "Allow");
        assert_eq!(actions_of(update), ["dynamodb:UpdateItem"]);
        assert_eq!(resources_of(update), ["UsersTable"]);
        assert_eq!(
            update["Condition"],
            json!({
                // The key the request names, and the one attribute a re-hash changes.
                "ForAllValues:StringEquals": {"dynamodb:Attributes": ["username", "password_hash"]},
                // No write that hands back attributes it does not name.
                "StringEqualsIfExists": {"dynamodb:ReturnValues": ["NONE", "UPDATED_OLD", "UPDATED_NEW"]}
            }),
            "{holder}"
        );
    }
    // The other functions only read users; only the operator manages them.
    for (holder, statements) in grants(&template) {
        if SIGNERS_IN.contains(&holder.as_str()) || holder == "OperatorPolicy" {
            continue;
        }
        for statement in statements {
            if resources_of(statement).iter().any(|r| r == "UsersTable") {
                assert_eq!(actions_of(statement), ["dynamodb:GetItem"], "{holder}");
            }
        }
    }
}

#[test]
fn revocation_and_introspection_touch_only_their_items_in_the_tokens_table() {
    use token_service::attempts::SignInCounters;
    use token_service::domain::lockout::LockoutPolicy;
    use token_service::domain::SourceAddress;

    let template = template();
    let source = SourceAddress::from_ip("203.0.113.7".parse().unwrap());
    let policy = LockoutPolicy::default();
    let user = SignInCounters::new(
        &policy,
        Some((&support::username("johndoe"), 0)),
        &source,
        NOW,
    );
    let client = SignInCounters::for_client(&policy, &support::client_id("service"), &source, NOW);
    // Items of other kinds, by the keys the service gives them.
    let accounts = [
        user.account.key.clone(),
        user.source_and_account.key.clone(),
        user.known_source.key.clone(),
    ];
    let clients = [
        client.account.key.clone(),
        client.source_and_account.key.clone(),
        client.source.key.clone(),
    ];
    for (holder, session_writes) in [
        ("RevokeFunction", vec![("dynamodb:UpdateItem", "fam#f")]),
        ("IntrospectFunction", vec![]),
    ] {
        let statements = on_table(&template, holder, "TokensTable");
        assert!(!statements.is_empty());
        let mut allowed: Vec<(String, String)> = Vec::new();
        for statement in &statements {
            assert_eq!(statement["Effect"], "Allow");
            assert_eq!(resources_of(statement), ["TokensTable"], "{holder}");
            // Every statement names its items: one LeadingKeys condition, nothing else.
            let condition = statement["Condition"].as_object().expect("a condition");
            assert_eq!(condition.len(), 1, "{holder}: {statement}");
            let patterns = strings(&condition["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]);
            assert!(!patterns.is_empty(), "{holder}: {statement}");
            for action in actions_of(statement) {
                for pattern in &patterns {
                    allowed.push((action.clone(), pattern.clone()));
                }
            }
        }
        let may = |action: &str, key: &str| {
            allowed
                .iter()
                .any(|(a, pattern)| a == action && like(pattern, key))
        };
        // What they need: sessions read, revocation by family, the client's attempts.
        assert!(may("dynamodb:GetItem", "rt#h"), "{holder}");
        for (action, key) in &session_writes {
            assert!(may(action, key), "{holder}: {action} {key}");
        }
        for key in &clients {
            assert!(may("dynamodb:UpdateItem", key), "{holder}: {key}");
            assert!(may("dynamodb:DeleteItem", key), "{holder}: {key}");
        }
        assert!(may("dynamodb:GetItem", &client.known_source.key));
        assert!(may("dynamodb:UpdateItem", &client.known_source.key));
        // What they must not: write a session but to revoke it, or an account's sign-in items.
        for action in [
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            "dynamodb:DeleteItem",
        ] {
            for key in ["rt#h", "fam#f"] {
                let needed = session_writes
                    .iter()
                    .any(|(a, k)| *a == action && *k == key);
                assert_eq!(may(action, key), needed, "{holder}: {action} {key}");
            }
            for key in &accounts {
                assert!(!may(action, key), "{holder}: {action} {key}");
            }
        }
        for key in &accounts {
            assert!(!may("dynamodb:GetItem", key), "{holder}: reads {key}");
        }
    }
}

#[test]
fn operators_create_only_kms_made_single_region_tagged_signing_keys() {
    let template = template();
    let operator = statements(resource(&template, "OperatorPolicy"));
    let create = sid(&operator, "CreateTaggedSigningKeys");
    assert_eq!(create["Effect"], "Allow");
    assert_eq!(actions_of(create), ["kms:CreateKey", "kms:TagResource"]);
    assert_eq!(
        create["Condition"],
        json!({
            "StringEquals": {
                "aws:RequestTag/token-service-signing-key": "!Ref AWS::StackName",
                "kms:KeySpec": "RSA_2048",
                "kms:KeyUsage": "SIGN_VERIFY"
            },
            "ForAllValues:StringEquals": {"aws:TagKeys": ["token-service-signing-key"]}
        })
    );
    for (name, actions, condition) in [
        (
            "OnlyKeysMadeInKms",
            vec!["kms:CreateKey"],
            json!({"StringNotEquals": {"kms:KeyOrigin": "AWS_KMS"}}),
        ),
        (
            "NoMultiRegionKeys",
            vec!["kms:CreateKey"],
            json!({"Bool": {"kms:MultiRegion": "true"}}),
        ),
        (
            "NoLockoutSafetyCheckBypass",
            vec!["kms:CreateKey", "kms:PutKeyPolicy"],
            json!({"Bool": {"kms:BypassPolicyLockoutSafetyCheck": "true"}}),
        ),
    ] {
        let deny = sid(&operator, name);
        assert_eq!(deny["Effect"], "Deny", "{name}");
        assert_eq!(actions_of(deny), actions, "{name}");
        assert_eq!(deny["Resource"], "*", "{name}");
        assert_eq!(deny["Condition"], condition, "{name}");
    }
    // The operator neither signs nor changes key policies.
    for statement in &operator {
        if statement["Effect"] == "Allow" {
            let actions = actions_of(statement);
            for forbidden in ["kms:Sign", "kms:PutKeyPolicy", "kms:*", "*"] {
                assert!(!actions.iter().any(|a| a == forbidden), "{statement}");
            }
        }
    }
}
