//! `authctl user ...`: every account command against the tables the functions use, and exit codes.

use crate::support::*;

#[test]
fn passwords_are_never_taken_from_arguments() {
    for flag in ["--password", "--password=secret"] {
        let output = authctl(&["user", "add", "carol", flag, "secret"])
            .output()
            .unwrap();
        assert!(!output.status.success(), "{flag} was accepted");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("unexpected argument"), "{stderr}");
    }
}

#[test]
#[ignore = "needs a DynamoDB server: scripts/test.sh runs it"]
fn every_user_command_works_against_the_tables_the_functions_use() {
    assert!(
        std::env::var("AWS_ENDPOINT_URL_DYNAMODB").is_ok(),
        "run scripts/test.sh"
    );
    let id = std::process::id();
    let (table, tokens, keys) = (
        format!("users-admin-{id}"),
        format!("tokens-admin-{id}"),
        format!("keys-admin-{id}"),
    );
    run_ok(authctl(&["table", "create", "--table", &table]).args([
        "--tokens-table",
        &tokens,
        "--keys-table",
        &keys,
    ]));

    // add: JSON without the hash; the distinct failures have distinct exit codes.
    let added = json_of(&user_command(
        &table,
        &["add", "erin", "--scopes", "me items", "--json"],
        Some("erin-password"),
    ));
    assert_eq!(added["username"], "erin");
    assert_eq!(added["scopes"], "me items");
    assert!(!added.to_string().contains("argon2"), "{added}");
    let code = |args: &[&str], stdin: Option<&str>| user_command(&table, args, stdin).status.code();
    assert_eq!(code(&["add", "erin"], Some("another-password")), Some(4));
    assert_eq!(
        code(&["add", "frank"], Some("short")),
        Some(5),
        "weak password"
    );
    assert_eq!(code(&["add", "frank"], Some("")), Some(5), "empty password");
    assert_eq!(code(&["add", "bad name"], Some("frank-password")), Some(5));
    assert_eq!(
        code(
            &["add", "frank", "--scopes", "root"],
            Some("frank-password")
        ),
        Some(5)
    );
    assert_eq!(code(&["show", "nobody"], None), Some(3));
    assert_eq!(code(&["disable", "nobody"], None), Some(3));
    assert_eq!(
        code(&["set-password", "nobody"], Some("whatever-password")),
        Some(3)
    );

    // show and list.
    let shown = json_of(&user_command(&table, &["show", "erin", "--json"], None));
    assert_eq!(shown["disabled"], false);
    assert_eq!(shown["recent_failures"], 0);
    assert_eq!(shown["locked_out"], false);
    let listed = json_of(&user_command(&table, &["list", "--json"], None));
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["username"], "erin");

    // The local server over the same tables, as the functions would use them.
    let mut command = authctl(&["serve", "--port", "0"]);
    command
        .env("USERS_TABLE", &table)
        .env("TOKENS_TABLE", &tokens)
        .env("KEYS_TABLE", &keys);
    let (_server, address) = serve(command);
    let sign_in_erin = |password: &str| {
        sign_in(
            &address,
            &format!("username=erin&password={password}&scope=me+items"),
        )
    };
    let (status, body) = sign_in_erin("erin-password");
    assert_eq!(status, 200, "{body}");
    let token = body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(get(&address, "/users/me/items/", &token).0, 200);

    // set-scopes: the next request is cut to the new scopes.
    let changed = json_of(&user_command(
        &table,
        &["set-scopes", "erin", "me", "--json"],
        None,
    ));
    assert_eq!(changed["scopes"], "me");
    assert_eq!(get(&address, "/users/me/items/", &token).0, 403);
    json_of(&user_command(
        &table,
        &["set-scopes", "erin", "me,items", "--json"],
        None,
    ));

    // disable ends the token at once; enable lets her sign in again.
    let disabled = json_of(&user_command(&table, &["disable", "erin", "--json"], None));
    assert_eq!(disabled["disabled"], true);
    assert_eq!(disabled["token_version"], 1);
    // Hashed at today's parameters, never shown.
    assert_eq!(disabled["outdated_hash"], false);
    assert!(!disabled.to_string().contains("$argon2"), "{disabled}");
    assert_eq!(get(&address, "/users/me/", &token).0, 401);
    assert_eq!(sign_in_erin("erin-password").0, 400);
    json_of(&user_command(&table, &["enable", "erin", "--json"], None));
    assert_eq!(get(&address, "/users/me/", &token).0, 401, "still dead");
    // Signing in within the revocation's second still gives a token that works.
    let (status, body) = sign_in_erin("erin-password");
    assert_eq!(status, 200, "{body}");
    let token = body["access_token"].as_str().unwrap().to_owned();
    let refresh = body["refresh_token"].as_str().unwrap().to_owned();

    // set-password (from stdin; never from argv) ends tokens and sessions.
    json_of(&user_command(
        &table,
        &["set-password", "erin", "--json"],
        Some("erin-new-password"),
    ));
    assert_eq!(get(&address, "/users/me/", &token).0, 401);
    let (status, _) = sign_in(
        &address,
        &format!("grant_type=refresh_token&refresh_token={refresh}"),
    );
    assert_eq!(status, 400, "the session ended with the password change");
    assert_eq!(sign_in_erin("erin-password").0, 400);
    let (status, body) = sign_in_erin("erin-new-password");
    assert_eq!(status, 200, "{body}");
    let token = body["access_token"].as_str().unwrap().to_owned();

    // unlock ends a lockout. The counters keep hourly windows on the wall clock: start well
    // inside one, so the five failures and the reads below share it.
    let into_hour = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        % 3600;
    if into_hour > 3570 {
        std::thread::sleep(std::time::Duration::from_secs(3601 - into_hour));
    }
    let before = json_of(&user_command(&table, &["show", "erin", "--json"], None));
    // One failure so far since set-password (which also unlocked): the old password's.
    assert_eq!(before["recent_failures"], 1, "{before}");
    for _ in 0..5 {
        assert_eq!(sign_in_erin("wrong-password").0, 400);
    }
    let locked = json_of(&user_command(&table, &["show", "erin", "--json"], None));
    assert_eq!(locked["recent_failures"], 6, "{locked}");
    assert!(locked["last_failure"].is_u64(), "{locked}");
    let unlocked = json_of(&user_command(&table, &["unlock", "erin", "--json"], None));
    assert_eq!(unlocked["recent_failures"], 0, "{unlocked}");
    assert_eq!(
        unlocked["lockout_epoch"].as_u64(),
        before["lockout_epoch"].as_u64().map(|e| e + 1)
    );
    let (status, body) = sign_in_erin("erin-new-password");
    assert_eq!(status, 200, "unlocked at once: {body}");

    // revoke ends every token of the user now.
    assert_eq!(get(&address, "/users/me/", &token).0, 200);
    json_of(&user_command(&table, &["revoke", "erin", "--json"], None));
    assert_eq!(get(&address, "/users/me/", &token).0, 401);

    // A hash made at older Argon2 parameters (as after raising them) is marked outdated, and
    // the next successful sign-in replaces it.
    const OLD_PARAMETERS_HASH: &str =
        "$argon2id$v=19$m=8192,t=1,p=1$FE1hHLtm15k+eK2z7HhfxA$sr6i6KQoTQLP1i6thvTAXmSCwUzK9uXrF1OBPvxv658";
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        use token_service::store::{AccountChange, DynamoUserStore, UserStore as _};
        let change = AccountChange {
            password_hash: Some(OLD_PARAMETERS_HASH.to_owned()),
            ..AccountChange::default()
        };
        let erin = token_service::domain::Username::parse("erin").unwrap();
        DynamoUserStore::from_env(table.clone())
            .await
            .update_account(&erin, &change)
            .await
            .unwrap();
    });
    let outdated = json_of(&user_command(&table, &["show", "erin", "--json"], None));
    assert_eq!(outdated["outdated_hash"], true, "{outdated}");
    assert!(!outdated.to_string().contains("$argon2"), "{outdated}");
    let (status, body) = sign_in_erin("erin-weak-password");
    assert_eq!(status, 200, "{body}");
    let upgraded = json_of(&user_command(&table, &["show", "erin", "--json"], None));
    assert_eq!(upgraded["outdated_hash"], false, "{upgraded}");
    assert_eq!(sign_in_erin("erin-weak-password").0, 200);

    // token issue publishes its key in the same keys table: a server started afterwards,
    // which has never held that key, finds it there and accepts the token. (The running one
    // would too, after its 10-second floor between key-set reads.)
    // (For a user whose tokens were never revoked: `token issue` reads no user.)
    json_of(&user_command(
        &table,
        &["add", "gus", "--scopes", "me", "--json"],
        Some("gus-password"),
    ));
    let dir = TempDir::new("token-issue-dynamodb");
    let output = authctl(&["token", "issue", "gus", "--scopes", "me", "--json"])
        .env("SIGNING_KEY_FILE", dir.path("key.pem"))
        .env("KEYS_TABLE", &keys)
        .env("JWT_ISSUER", "http://issuer.test")
        .output()
        .unwrap();
    let issued = json_of(&output);
    let token = issued["access_token"].as_str().unwrap();
    let mut command = authctl(&["serve", "--port", "0"]);
    command
        .env("USERS_TABLE", &table)
        .env("TOKENS_TABLE", &tokens)
        .env("KEYS_TABLE", &keys)
        .env("JWT_ISSUER", "http://issuer.test");
    let (_second, second_address) = serve(command);
    assert_eq!(get(&second_address, "/users/me/", token).0, 200);
}

#[test]
fn a_store_that_cannot_be_reached_is_exit_code_6() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let output = authctl(&["user", "show", "erin", "--table", "users"])
        .env("AWS_ENDPOINT_URL_DYNAMODB", format!("http://{closed}"))
        .env("AWS_ACCESS_KEY_ID", "x")
        .env("AWS_SECRET_ACCESS_KEY", "x")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_MAX_ATTEMPTS", "1")
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(6),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
