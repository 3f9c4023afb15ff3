//! `authctl` as an operator runs it: the zero-setup local server, the table commands against a
//! real DynamoDB-compatible server, and configuration refusals.

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
        "JWT_SECRET_ARN",
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

#[test]
fn issue_token_needs_a_secret_and_signs_with_it() {
    let output = authctl(&["issue-token", "johndoe"]).output().unwrap();
    assert!(!output.status.success());
    let output = authctl(&["issue-token", "johndoe", "--scopes", "me"])
        .env("JWT_SECRET", SECRET)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let token = String::from_utf8(output.stdout).unwrap();
    assert_eq!(token.trim().split('.').count(), 3);
}

fn run_ok(command: &mut Command) -> String {
    let output = command.output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "{command:?} failed: {stderr}");
    stderr
}

fn add_user(table: &str, args: &[&str], password: &str) -> std::process::Output {
    let mut all = vec!["add-user", "--table", table];
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
    run_ok(&mut authctl(&["create-table", "--table", &table]));
    run_ok(&mut authctl(&["create-table", "--table", &table])); // idempotent
    assert!(run_ok(&mut authctl(&["seed-demo", "--table", &table])).contains("added `johndoe`"));
    assert!(run_ok(&mut authctl(&["seed-demo", "--table", &table])).contains("already exists"));

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
    let again = add_user(&table, &["carol"], "other");
    assert!(!again.status.success(), "adding an existing user must fail");
    let bad = add_user(&table, &["dave", "--scopes", "root"], "pw");
    assert!(!bad.status.success(), "unknown scopes are refused");

    let mut command = authctl(&["serve", "--port", "0"]);
    command.env("USERS_TABLE", &table).env("JWT_SECRET", SECRET);
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
    // The first add-user's password stands: the refused second one changed nothing.
    assert_eq!(sign_in(&address, "username=carol&password=other").0, 400);
    assert_eq!(sign_in(&address, "username=johndoe&password=secret").0, 200);
}

#[test]
#[ignore = "needs a DynamoDB server: scripts/test.sh runs it"]
fn an_empty_dynamodb_endpoint_variable_counts_as_unset() {
    // The SAM template declares AWS_ENDPOINT_URL_DYNAMODB="" (so sam local can override it);
    // the SDK alone would panic on it. Here the generic variable carries the real endpoint.
    let endpoint = std::env::var("AWS_ENDPOINT_URL_DYNAMODB").expect("run scripts/test.sh");
    let table = format!("users-empty-endpoint-{}", std::process::id());
    for args in [
        ["create-table", "--table", &table],
        ["seed-demo", "--table", &table],
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
        let output = authctl(&["add-user", "carol", flag, "secret"])
            .output()
            .unwrap();
        assert!(!output.status.success(), "{flag} was accepted");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("unexpected argument"), "{stderr}");
    }
}
