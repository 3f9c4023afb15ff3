//! `authctl serve`: the whole API with no setup, its port, its shutdown, its refusals.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use crate::support::*;

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
    // The demo client gets a token for itself.
    let (status, body) = sign_in(
        &address,
        "grant_type=client_credentials&client_id=demo-service&client_secret=demo-service-secret",
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scope"], "items");
    let machine = body["access_token"].as_str().unwrap();
    assert_eq!(get(&address, "/status/", machine).0, 200);
}

#[test]
fn serve_prints_the_demo_users_and_clients() {
    let mut command = authctl(&["serve", "--port", "0"]);
    command
        .env_remove("AWS_ENDPOINT_URL_DYNAMODB")
        .stderr(Stdio::piped())
        .stdout(Stdio::null());
    let mut child = Running(command.spawn().unwrap());
    let lines = BufReader::new(child.0.stderr.take().unwrap()).lines();
    let mut banner = String::new();
    for line in lines {
        let line = line.unwrap();
        banner.push_str(&line);
        banner.push('\n');
        if line.starts_with("demo clients:") {
            break;
        }
    }
    for wanted in [
        "johndoe / secret",
        "demo-service / demo-service-secret",
        "client_credentials",
        "demo-app",
        "http://127.0.0.1:8765/callback",
        "docs (public, authorization_code",
    ] {
        assert!(banner.contains(wanted), "{wanted} not in:\n{banner}");
    }
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
