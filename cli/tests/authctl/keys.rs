//! `authctl key ...`: rotation with KMS keys (moto).

use crate::support::*;

const TOKEN_ROLE: &str = "arn:aws:iam::123456789012:role/stack-a-TokenFunctionRole-X";

/// The key policy of a KMS key on the test server, as JSON, and whether the key was made
/// in KMS (not imported) for one Region.
fn key_policy(key_id: &str) -> serde_json::Value {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let kms = aws_sdk_kms::Client::new(&aws_config::load_from_env().await);
        let key = kms.describe_key().key_id(key_id).send().await.unwrap();
        let metadata = key.key_metadata().unwrap();
        assert_eq!(
            metadata.origin(),
            Some(&aws_sdk_kms::types::OriginType::AwsKms)
        );
        assert_ne!(metadata.multi_region(), Some(true));
        let policy = kms
            .get_key_policy()
            .key_id(key_id)
            .policy_name("default")
            .send()
            .await
            .unwrap();
        serde_json::from_str(policy.policy().unwrap()).unwrap()
    })
}

#[test]
#[ignore = "needs a DynamoDB and KMS server: scripts/test.sh runs it"]
fn key_rotation_with_kms_keys() {
    assert!(
        std::env::var("AWS_ENDPOINT_URL_KMS").is_ok(),
        "run scripts/test.sh"
    );
    let keys_table = format!("keys-rotate-{}", std::process::id());
    let key = |args: &[&str]| {
        let mut all = vec!["key"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--keys-table", &keys_table]);
        authctl(&all)
    };
    run_ok(&mut key(&["create-table"]));
    let list = || -> serde_json::Value {
        serde_json::from_str(&run_stdout(key(&["list", "--json"]))).unwrap()
    };
    assert_eq!(list(), serde_json::json!([]));

    // A new key without the deployment's tag is refused: the token function could not use it.
    let untagged = key(&["rotate"]).output().unwrap();
    assert!(!untagged.status.success());
    assert!(String::from_utf8_lossy(&untagged.stderr).contains("--tag"));

    // ...and so is one without the token function's role, or with something else in its
    // place: its key policy could not keep other principals from signing. Nothing is created.
    let no_role = key(&["rotate", "--tag", "stack-a"]).output().unwrap();
    assert!(!no_role.status.success());
    assert!(String::from_utf8_lossy(&no_role.stderr).contains("--token-role-arn"));
    let user = "arn:aws:iam::123456789012:user/alice";
    let not_a_role = key(&["rotate", "--tag", "stack-a", "--token-role-arn", user])
        .output()
        .unwrap();
    assert!(!not_a_role.status.success());
    assert!(String::from_utf8_lossy(&not_a_role.stderr).contains("not an IAM role ARN"));
    assert_eq!(list(), serde_json::json!([]));

    // The first key of an empty set signs at once.
    let first: serde_json::Value = serde_json::from_str(&run_stdout(key(&[
        "rotate",
        "--tag",
        "stack-a",
        "--token-role-arn",
        TOKEN_ROLE,
        "--json",
    ])))
    .unwrap();
    assert_eq!(first["state"], "signing");
    assert_eq!(first["kind"], "kms");
    let first_arn = first["key_id"].as_str().unwrap();
    assert!(first_arn.starts_with("arn:aws:kms:"));
    // Its key policy is the template's: the account manages it, only the token role signs.
    assert_eq!(
        key_policy(first_arn),
        token_service::keys::signing_key_policy(TOKEN_ROLE).unwrap()
    );

    // The deployment step after the first `sam deploy`: the template's key (an existing,
    // tagged key) published into the stack's empty set signs at once. The token function
    // cannot do it: its role may not write the key set.
    let deployed_table = format!("keys-deployed-{}", std::process::id());
    let deployed = |args: &[&str]| {
        let mut all = vec!["key"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--keys-table", &deployed_table]);
        authctl(&all)
    };
    run_ok(&mut deployed(&["create-table"]));
    let wrong_tag = deployed(&["rotate", "--kms-key-id", first_arn, "--tag", "stack-b"])
        .output()
        .unwrap();
    assert!(!wrong_tag.status.success());
    assert!(String::from_utf8_lossy(&wrong_tag.stderr).contains("is not tagged"));
    let published: serde_json::Value = serde_json::from_str(&run_stdout(deployed(&[
        "rotate",
        "--kms-key-id",
        first_arn,
        "--tag",
        "stack-a",
        "--json",
    ])))
    .unwrap();
    assert_eq!(published["state"], "signing");
    assert_eq!(published["key_id"], first_arn);
    assert_eq!(published["signs_from"], published["created_at"]);
    assert_eq!(published["kid"], first["kid"]);
    let jwks: serde_json::Value = serde_json::from_str(&run_stdout(deployed(&["jwks"]))).unwrap();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 1);
    assert_eq!(jwks["keys"][0]["kid"], first["kid"]);

    // The second is published now and signs after the lead; the first hands over then.
    let second: serde_json::Value = serde_json::from_str(&run_stdout(key(&[
        "rotate",
        "--tag",
        "stack-a",
        "--token-role-arn",
        TOKEN_ROLE,
        "--publish-lead",
        "3600",
        "--json",
    ])))
    .unwrap();
    assert_eq!(second["state"], "pending");
    assert_eq!(
        second["signs_from"].as_i64().unwrap() - second["created_at"].as_i64().unwrap(),
        3600
    );
    let keys = list();
    assert_eq!(keys.as_array().unwrap().len(), 2);
    assert_eq!(keys[0]["signs_until"], second["signs_from"]);
    let jwks: serde_json::Value = serde_json::from_str(&run_stdout(key(&["jwks"]))).unwrap();
    let published: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert_eq!(
        published,
        [
            first["kid"].as_str().unwrap(),
            second["kid"].as_str().unwrap()
        ]
    );

    // One rotation at a time.
    let again = key(&["rotate", "--tag", "stack-a"]).output().unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("rotation is in progress"));

    // A kid may begin with `-` (base64url): it is still the kid, not an option.
    let dashed = key(&["retire", "-not-a-kid-in-this-set", "--now"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&dashed.stderr);
    assert!(!dashed.status.success());
    assert!(!stderr.contains("unexpected argument"), "{stderr}");
    assert!(stderr.contains("-not-a-kid-in-this-set"), "{stderr}");

    // A compromised key leaves the JWKS at once.
    run_ok(&mut key(&[
        "retire",
        first["kid"].as_str().unwrap(),
        "--now",
    ]));
    let jwks: serde_json::Value = serde_json::from_str(&run_stdout(key(&["jwks"]))).unwrap();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 1);
    assert_eq!(jwks["keys"][0]["kid"], second["kid"]);
}
