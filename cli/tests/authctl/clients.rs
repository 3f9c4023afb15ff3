//! `authctl client ...`: every client command against a clients table on the DynamoDB server,
//! the secret shown once and stored only hashed, and exit codes.

use token_service::clients::{ClientStore as _, DynamoClientStore};
use token_service::domain::ClientId;

use crate::support::*;

/// `authctl client ARGS --table TABLE`, its output.
fn client(table: &str, args: &[&str]) -> std::process::Output {
    let mut all = vec!["client"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--table", table]);
    authctl(&all).output().unwrap()
}

fn text(output: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// The client as stored, read the way the functions read it.
fn stored(table: &str, id: &str) -> token_service::domain::Client {
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let aws = aws_config::load_from_env().await;
        DynamoClientStore::new(token_service::store::dynamodb_client(&aws), table)
            .get(&ClientId::parse(id).unwrap())
            .await
            .unwrap()
            .unwrap()
    })
}

#[test]
#[ignore = "needs a DynamoDB server: scripts/test.sh runs it"]
fn every_client_command_works_against_the_table_the_functions_use() {
    assert!(
        std::env::var("AWS_ENDPOINT_URL_DYNAMODB").is_ok(),
        "run scripts/test.sh"
    );
    let id = std::process::id();
    let table = format!("clients-admin-{id}");
    run_ok(authctl(&["table", "create"]).args([
        "--table",
        &format!("users-c-{id}"),
        "--tokens-table",
        &format!("tokens-c-{id}"),
        "--keys-table",
        &format!("keys-c-{id}"),
        "--clients-table",
        &table,
    ]));

    // A confidential client: its secret printed once, as JSON; stored only as a hash.
    let added = json_of(&client(
        &table,
        &[
            "add",
            "reports",
            "--type",
            "confidential",
            "--grant-types",
            "client_credentials",
            "--scopes",
            "items",
            "--json",
        ],
    ));
    assert_eq!(added["client_id"], "reports");
    let secret = added["client_secret"].as_str().unwrap().to_owned();
    assert_eq!(secret.len(), 43, "256 random bits, base64url");
    assert_eq!(added.as_object().unwrap().len(), 2, "{added}");
    let record = stored(&table, "reports");
    assert_eq!(record.secrets.len(), 1);
    assert!(record.secrets[0]
        .phc
        .starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
    assert!(!format!("{record:?}").contains(&secret));
    assert_ne!(record.secrets[0].phc, secret);

    // show and list never print a secret or a hash.
    let shown = client(&table, &["show", "reports", "--json"]);
    let view = json_of(&shown);
    assert_eq!(view["client_type"], "confidential");
    assert_eq!(view["grant_types"], "client_credentials");
    assert_eq!(view["scopes"], "items");
    assert_eq!(view["secrets_created_at"].as_array().unwrap().len(), 1);
    // A public client: no secret at all.
    let public = json_of(&client(
        &table,
        &[
            "add",
            "spa",
            "--type",
            "public",
            "--grant-types",
            "authorization_code refresh_token",
            "--scopes",
            "me,items",
            "--redirect-uri",
            "https://app.example.com/callback",
            "--json",
        ],
    ));
    assert_eq!(public, serde_json::json!({"client_id": "spa"}));
    let listed = client(&table, &["list", "--json"]);
    let list = json_of(&listed);
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert_eq!(
        list[1]["redirect_uris"][0],
        "https://app.example.com/callback"
    );
    for output in [&shown, &listed, &client(&table, &["list"])] {
        let all = text(output);
        assert!(!all.contains(&secret) && !all.contains("argon2"), "{all}");
        assert!(!all.contains(&record.secrets[0].hint), "{all}");
    }

    // disable, enable, set-scopes, set-grant-types.
    assert_eq!(
        json_of(&client(&table, &["disable", "reports", "--json"]))["disabled"],
        true
    );
    assert!(stored(&table, "reports").disabled);
    assert_eq!(
        json_of(&client(&table, &["enable", "reports", "--json"]))["disabled"],
        false
    );
    let scoped = json_of(&client(
        &table,
        &["set-scopes", "reports", "me items", "--json"],
    ));
    assert_eq!(scoped["scopes"], "me items");
    let granted = json_of(&client(
        &table,
        &[
            "set-grant-types",
            "reports",
            "client_credentials,password",
            "--json",
        ],
    ));
    assert_eq!(granted["grant_types"], "password client_credentials");

    // rotate-secret: a second secret, both stored; a third refused; the old one removed.
    let rotated = json_of(&client(&table, &["rotate-secret", "reports", "--json"]));
    let next = rotated["client_secret"].as_str().unwrap().to_owned();
    assert_ne!(next, secret);
    let record = stored(&table, "reports");
    assert_eq!(record.secrets.len(), 2);
    assert_eq!(
        client(&table, &["rotate-secret", "reports"]).status.code(),
        Some(7),
        "a third secret"
    );
    let kept = json_of(&client(&table, &["remove-old-secret", "reports", "--json"]));
    assert_eq!(kept["secrets_created_at"].as_array().unwrap().len(), 1);
    let after = stored(&table, "reports");
    assert_eq!(
        after.secrets,
        record.secrets[1..].to_vec(),
        "the newest is kept"
    );
    assert_eq!(
        client(&table, &["remove-old-secret", "reports"])
            .status
            .code(),
        Some(7),
        "nothing old left"
    );

    // remove, and the exit codes.
    run_ok(&mut authctl(&[
        "client", "remove", "spa", "--table", &table,
    ]));
    let code = |args: &[&str]| client(&table, args).status.code();
    assert_eq!(code(&["show", "spa"]), Some(3), "removed");
    assert_eq!(code(&["remove", "spa"]), Some(3));
    assert_eq!(code(&["disable", "nobody"]), Some(3));
    assert_eq!(code(&["rotate-secret", "nobody"]), Some(3));
    let add = |id: &str, kind: &str, grants: &str, extra: &[&str]| {
        let mut args = vec!["add", id, "--type", kind, "--grant-types", grants];
        args.extend_from_slice(extra);
        code(&args)
    };
    assert_eq!(
        add("reports", "confidential", "client_credentials", &[]),
        Some(4)
    );
    assert_eq!(
        add("x", "confidential", "implicit", &[]),
        Some(5),
        "grant type"
    );
    assert_eq!(
        add("x", "public", "client_credentials", &[]),
        Some(5),
        "public machine"
    );
    assert_eq!(
        add("x", "public", "authorization_code", &[]),
        Some(5),
        "no redirect"
    );
    assert_eq!(
        add(
            "x",
            "public",
            "authorization_code",
            &["--redirect-uri", "app.example.com/cb"]
        ),
        Some(5),
        "bad redirect"
    );
    assert_eq!(
        add(
            "x",
            "public",
            "authorization_code",
            &["--redirect-uri", "http://app.example.com/cb"]
        ),
        Some(5),
        "a code in the clear: http is for loopback hosts only"
    );
    assert_eq!(add("x", "secret", "password", &[]), Some(5), "type");
    assert_eq!(
        add("x", "public", "password", &["--scopes", "root"]),
        Some(5),
        "scope"
    );
    assert_eq!(add("has space", "public", "password", &[]), Some(5), "id");
    assert_eq!(
        add("default", "public", "password", &[]),
        Some(5),
        "the built-in name"
    );
    run_ok(&mut authctl(&[
        "client",
        "add",
        "cli-app",
        "--type",
        "public",
        "--grant-types",
        "password",
        "--table",
        &table,
    ]));
    assert_eq!(
        code(&["rotate-secret", "cli-app"]),
        Some(5),
        "a public client has no secret"
    );
    assert_eq!(
        code(&["set-grant-types", "cli-app", "client_credentials"]),
        Some(5),
        "public machine"
    );
}
