//! `authctl` as an operator runs it: the zero-setup local server, every user, key, table and
//! token command against a real DynamoDB- and KMS-compatible server (moto), exit codes, and
//! configuration refusals.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_authctl");
const SECRET: &str = "cli-test-signing-key-0123456789abcdef";

/// A child process that is killed when the test ends, pass or fail.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `authctl` with a clean environment: nothing of the developer's AWS setup leaks in.
fn authctl(args: &[&str]) -> Command {
    let mut command = Command::new(BIN);
    command.args(args);
    for var in [
        "JWT_SECRET",
        "JWT_ISSUER",
        "TOKEN_SIGNER",
        "SIGNING_KEY_FILE",
        "SIGNING_KEY_TAG",
        "KEY_SET_FILE",
        "KEYS_TABLE",
        "TOKENS_TABLE",
        "TRUSTED_KEYS",
        "SERVICE_ENVIRONMENT",
        "USER_STORE",
        "USERS_TABLE",
        "PORT",
        "AWS_ENDPOINT_URL",
    ] {
        command.env_remove(var);
    }
    command
}

/// Starts `authctl serve --port 0` and returns it with the address it printed.
fn serve(mut command: Command) -> (Running, String) {
    command.stderr(Stdio::piped()).stdout(Stdio::null());
    let mut child = Running(command.spawn().unwrap());
    let stderr = child.0.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let address = loop {
        let line = lines
            .next()
            .expect("authctl serve printed its address before exiting")
            .unwrap();
        if let Some(rest) = line.split("listening on http://").nth(1) {
            break rest.trim().to_owned();
        }
    };
    std::thread::spawn(move || lines.for_each(drop));
    (child, address)
}

/// One HTTP/1.1 exchange; returns status and body.
fn http(
    address: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String) {
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut request = format!("{method} {path} HTTP/1.1\r\nhost: {address}\r\nconnection: close\r\ncontent-length: {}\r\n", body.len());
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response[9..12].parse().unwrap();
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

fn sign_in(address: &str, form: &str) -> (u16, serde_json::Value) {
    let (status, body) = http(
        address,
        "POST",
        "/token",
        &[("content-type", "application/x-www-form-urlencoded")],
        form,
    );
    (
        status,
        serde_json::from_str(&body).unwrap_or_else(|_| panic!("JSON: {body}")),
    )
}

fn get(address: &str, path: &str, token: &str) -> (u16, serde_json::Value) {
    let auth = format!("Bearer {token}");
    let (status, body) = http(address, "GET", path, &[("authorization", &auth)], "");
    (status, serde_json::from_str(&body).unwrap())
}

#[test]
fn serve_runs_the_whole_api_with_no_setup() {
    let mut command = authctl(&["serve", "--port", "0"]);
    command.env_remove("AWS_ENDPOINT_URL_DYNAMODB");
    let (_server, address) = serve(command);
    let (status, body) = sign_in(&address, "username=johndoe&password=secret&scope=me+items");
    assert_eq!(status, 200, "{body}");
    let token = body["access_token"].as_str().unwrap();
    assert_eq!(get(&address, "/users/me/", token).1["username"], "johndoe");
    assert_eq!(
        get(&address, "/users/me/items/", token).1[0]["item_id"],
        "Foo"
    );
    assert_eq!(get(&address, "/status/", token).1["status"], "ok");
    // Discovery names this very server.
    let (status, discovery) = http(
        &address,
        "GET",
        "/.well-known/openid-configuration",
        &[],
        "",
    );
    assert_eq!(status, 200);
    let discovery: serde_json::Value = serde_json::from_str(&discovery).unwrap();
    assert_eq!(discovery["issuer"], format!("http://{address}"));
    assert_eq!(
        discovery["jwks_uri"],
        format!("http://{address}/.well-known/jwks.json")
    );
    let (status, body) = sign_in(&address, "username=alice&password=secretalice");
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
}

#[test]
fn serve_stops_gracefully_on_sigterm() {
    let mut command = authctl(&["serve", "--port", "0"]);
    command
        .env_remove("AWS_ENDPOINT_URL_DYNAMODB")
        .stderr(Stdio::piped())
        .stdout(Stdio::null());
    let mut child = Running(command.spawn().unwrap());
    let mut lines = BufReader::new(child.0.stderr.take().unwrap()).lines();
    let address = loop {
        let line = lines.next().expect("an address line").unwrap();
        if let Some(rest) = line.split("listening on http://").nth(1) {
            break rest.trim().to_owned();
        }
    };
    assert_eq!(sign_in(&address, "username=johndoe&password=secret").0, 200);
    let killed = Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let rest: Vec<String> = lines.map(Result::unwrap).collect();
    let status = child.0.wait().unwrap();
    assert!(status.success(), "exit status {status:?}: {rest:?}");
    assert!(rest.iter().any(|line| line.contains("stopped")), "{rest:?}");
}

#[test]
fn serve_takes_its_port_from_the_environment() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut command = authctl(&["serve"]);
    command
        .env("PORT", port.to_string())
        .env_remove("AWS_ENDPOINT_URL_DYNAMODB");
    let (_server, address) = serve(command);
    assert_eq!(address, format!("127.0.0.1:{port}"));
}

#[test]
fn serve_refuses_a_short_secret() {
    let output = authctl(&["serve", "--port", "0"])
        .env("TOKEN_SIGNER", "hs256")
        .env("JWT_SECRET", "too-short")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("JWT_SECRET is too short"), "{stderr}");
    assert!(
        !stderr.contains("too-short"),
        "the secret itself is never printed"
    );
}

/// A fresh directory under the target directory, removed when dropped.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("authctl-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn path(&self, file: &str) -> String {
        self.0.join(file).to_str().unwrap().to_owned()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The JOSE header of a compact JWS.
fn jose_header(token: &str) -> serde_json::Value {
    use base64::Engine as _;
    let header = token.split('.').next().unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

#[test]
fn issue_token_needs_a_trusted_key_and_signs_with_it() {
    let output = authctl(&["token", "issue", "johndoe"]).output().unwrap();
    assert!(
        !output.status.success(),
        "a key nobody can verify is refused"
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("SIGNING_KEY_FILE"));

    let dir = TempDir::new("token-issue");
    let (key_file, key_set) = (dir.path("signing-key.pem"), dir.path("key-set.json"));
    let issue = || {
        let output = authctl(&["token", "issue", "johndoe", "--scopes", "me"])
            .env("SIGNING_KEY_FILE", &key_file)
            .env("KEY_SET_FILE", &key_set)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap().trim().to_owned()
    };
    let (first, second) = (issue(), issue());
    assert_eq!(first.split('.').count(), 3);
    let header = jose_header(&first);
    assert_eq!(header["alg"], "RS256");
    assert_eq!(header["typ"], "at+jwt");
    assert_eq!(
        header["kid"],
        jose_header(&second)["kid"],
        "the key file is reused"
    );
    // The key is published, public half only.
    let jwks = run_stdout(authctl(&["key", "jwks", "--key-set-file", &key_set]));
    let jwks: serde_json::Value = serde_json::from_str(&jwks).unwrap();
    assert_eq!(jwks["keys"][0]["kid"], header["kid"]);
    assert!(jwks["keys"][0].get("d").is_none(), "no private member");
    assert!(!std::fs::read_to_string(&key_set)
        .unwrap()
        .contains("PRIVATE"));

    let output = authctl(&["token", "issue", "johndoe", "--json"])
        .env("TOKEN_SIGNER", "hs256")
        .env("JWT_SECRET", SECRET)
        .output()
        .unwrap();
    assert!(output.status.success());
    let body: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(body["scope"], "");
    assert_eq!(body["expires_in"], 1800);
    assert_eq!(
        jose_header(body["access_token"].as_str().unwrap())["alg"],
        "HS256"
    );
}

fn run_stdout(mut command: Command) -> String {
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "{command:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn run_ok(command: &mut Command) -> String {
    let output = command.output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "{command:?} failed: {stderr}");
    stderr
}

fn add_user(table: &str, args: &[&str], password: &str) -> std::process::Output {
    let mut all = vec!["user", "add", "--table", table];
    all.extend_from_slice(args);
    let mut child = authctl(&all)
        .arg("--password-stdin")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{password}\n").as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

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

    // The first key of an empty set signs at once.
    let first: serde_json::Value =
        serde_json::from_str(&run_stdout(key(&["rotate", "--tag", "stack-a", "--json"]))).unwrap();
    assert_eq!(first["state"], "signing");
    assert_eq!(first["kind"], "kms");
    assert!(first["key_id"]
        .as_str()
        .unwrap()
        .starts_with("arn:aws:kms:"));

    // The second is published now and signs after the lead; the first hands over then.
    let second: serde_json::Value = serde_json::from_str(&run_stdout(key(&[
        "rotate",
        "--tag",
        "stack-a",
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

/// `authctl user ...` with a password on standard input (when given).
fn user_command(table: &str, args: &[&str], stdin: Option<&str>) -> std::process::Output {
    let mut all = vec!["user"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--table", table]);
    let mut child = authctl(&all)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        input.write_all(format!("{text}\n").as_bytes()).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap()
}

fn json_of(output: &std::process::Output) -> serde_json::Value {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
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
    assert_eq!(shown["failed_logins"], 0);
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

    // unlock clears a lockout.
    for _ in 0..5 {
        assert_eq!(sign_in_erin("wrong-password").0, 400);
    }
    let locked = json_of(&user_command(&table, &["show", "erin", "--json"], None));
    // (Whether the 1-second lock is still on depends on the wall clock: the lock itself is
    // tested with a manual clock in the library's tests.)
    assert_eq!(locked["failed_logins"], 5, "{locked}");
    let unlocked = json_of(&user_command(&table, &["unlock", "erin", "--json"], None));
    assert_eq!(unlocked["failed_logins"], 0);
    assert!(unlocked["locked_until"].is_null());

    // revoke ends every token of the user now.
    assert_eq!(get(&address, "/users/me/", &token).0, 200);
    json_of(&user_command(&table, &["revoke", "erin", "--json"], None));
    assert_eq!(get(&address, "/users/me/", &token).0, 401);

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
