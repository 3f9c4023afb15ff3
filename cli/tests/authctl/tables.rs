//! `authctl table create`, `user seed-demo` and `user add` against DynamoDB, then `serve` over those tables.

use crate::support::*;

#[test]
#[ignore = "needs a DynamoDB server: scripts/test.sh runs it"]
fn table_commands_then_serve_from_dynamodb() {
    assert!(
        std::env::var("AWS_ENDPOINT_URL_DYNAMODB").is_ok(),
        "run scripts/test.sh"
    );
    let table = format!("users-cli-{}", std::process::id());
    let tokens_table = format!("tokens-cli-{}", std::process::id());
    let create = || {
        let mut command = authctl(&["table", "create", "--table", &table]);
        command.args(["--tokens-table", &tokens_table]);
        command
    };
    assert!(run_ok(&mut create()).contains("are ready"));
    run_ok(&mut create()); // idempotent
    let seed = || authctl(&["user", "seed-demo", "--table", &table]);
    assert!(run_ok(&mut seed()).contains("added `johndoe`"));
    assert!(run_ok(&mut seed()).contains("already exists"));

    let added = add_user(
        &table,
        &[
            "carol",
            "--scopes",
            "me,items",
            "--full-name",
            "Carol",
            "--item",
            "Bar",
        ],
        "carol-pass",
    );
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    let again = add_user(&table, &["carol"], "other-password");
    assert_eq!(
        again.status.code(),
        Some(4),
        "adding an existing user must fail"
    );
    let bad = add_user(&table, &["dave", "--scopes", "root"], "dave-password");
    assert_eq!(bad.status.code(), Some(5), "unknown scopes are refused");

    // The local signer publishes its key in the keys table, as the token function would.
    let keys_table = format!("keys-cli-{}", std::process::id());
    run_ok(&mut authctl(&[
        "key",
        "create-table",
        "--keys-table",
        &keys_table,
    ]));
    let mut command = authctl(&["serve", "--port", "0"]);
    command
        .env("USERS_TABLE", &table)
        .env("TOKENS_TABLE", &tokens_table)
        .env("KEYS_TABLE", &keys_table);
    let (_server, address) = serve(command);
    let (status, body) = sign_in(
        &address,
        "username=carol&password=carol-pass&scope=me+items",
    );
    assert_eq!(status, 200, "{body}");
    let token = body["access_token"].as_str().unwrap();
    let (_, me) = get(&address, "/users/me/", token);
    assert_eq!(me["full_name"], "Carol");
    let (_, items) = get(&address, "/users/me/items/", token);
    assert_eq!(
        items,
        serde_json::json!([{"item_id": "Bar", "owner": "carol"}])
    );
    // The first user add's password stands: the refused second one changed nothing.
    assert_eq!(
        sign_in(&address, "username=carol&password=other-password").0,
        400
    );
    assert_eq!(sign_in(&address, "username=johndoe&password=secret").0, 200);
    let listed = run_stdout(authctl(&[
        "key",
        "list",
        "--json",
        "--keys-table",
        &keys_table,
    ]));
    let listed: serde_json::Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(listed[0]["kid"], jose_header(token)["kid"]);
    assert_eq!(listed[0]["state"], "signing");
    assert_eq!(listed[0]["kind"], "local");
}

#[test]
#[ignore = "needs a DynamoDB server: scripts/test.sh runs it"]
fn an_empty_dynamodb_endpoint_variable_counts_as_unset() {
    // The SAM template declares AWS_ENDPOINT_URL_DYNAMODB="" (so sam local can override it);
    // the SDK alone would panic on it. Here the generic variable carries the real endpoint.
    let endpoint = std::env::var("AWS_ENDPOINT_URL_DYNAMODB").expect("run scripts/test.sh");
    let table = format!("users-empty-endpoint-{}", std::process::id());
    for args in [
        ["table", "create", "--table", &table],
        ["user", "seed-demo", "--table", &table],
    ] {
        let stderr = run_ok(
            authctl(&args)
                .env("AWS_ENDPOINT_URL_DYNAMODB", "")
                .env("AWS_ENDPOINT_URL", &endpoint),
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}
