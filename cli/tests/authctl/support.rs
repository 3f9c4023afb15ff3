//! Running `authctl` as an operator would: a clean environment, a server on a free port,
//! plain HTTP/1.1 exchanges, temporary directories.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub const BIN: &str = env!("CARGO_BIN_EXE_authctl");
pub const SECRET: &str = "cli-test-signing-key-0123456789abcdef";

/// A child process that is killed when the test ends, pass or fail.
pub struct Running(pub Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `authctl` with a clean environment: nothing of the developer's AWS setup leaks in.
pub fn authctl(args: &[&str]) -> Command {
    let mut command = Command::new(BIN);
    command.args(args);
    for var in [
        "JWT_SECRET",
        "JWT_ISSUER",
        "TOKEN_SIGNER",
        "SIGNING_KEY_FILE",
        "SIGNING_KEY_TAG",
        "TOKEN_FUNCTION_ROLE_ARN",
        "KEY_SET_FILE",
        "KEYS_TABLE",
        "TOKENS_TABLE",
        "TRUSTED_KEYS",
        "SERVICE_ENVIRONMENT",
        "USER_STORE",
        "USERS_TABLE",
        "CLIENTS_TABLE",
        "ANONYMOUS_CLIENT",
        "PORT",
        "AWS_ENDPOINT_URL",
    ] {
        command.env_remove(var);
    }
    command
}

/// Starts `authctl serve --port 0` and returns it with the address it printed.
pub fn serve(mut command: Command) -> (Running, String) {
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
pub fn http(
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

pub fn sign_in(address: &str, form: &str) -> (u16, serde_json::Value) {
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

pub fn get(address: &str, path: &str, token: &str) -> (u16, serde_json::Value) {
    let auth = format!("Bearer {token}");
    let (status, body) = http(address, "GET", path, &[("authorization", &auth)], "");
    (status, serde_json::from_str(&body).unwrap())
}

/// A fresh directory under the target directory, removed when dropped.
pub struct TempDir(pub std::path::PathBuf);

impl TempDir {
    pub fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("authctl-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub fn path(&self, file: &str) -> String {
        self.0.join(file).to_str().unwrap().to_owned()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The JOSE header of a compact JWS.
pub fn jose_header(token: &str) -> serde_json::Value {
    use base64::Engine as _;
    let header = token.split('.').next().unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

pub fn run_stdout(mut command: Command) -> String {
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "{command:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

pub fn run_ok(command: &mut Command) -> String {
    let output = command.output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "{command:?} failed: {stderr}");
    stderr
}

pub fn add_user(table: &str, args: &[&str], password: &str) -> std::process::Output {
    let mut all = vec!["user", "add", "--table", table];
    all.extend_from_slice(args);
    let mut child = authctl(&all)
        .arg("--password-stdin")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    write_input(child.stdin.take().unwrap(), password);
    child.wait_with_output().unwrap()
}

/// Writes one line to a command's standard input. A command may refuse its arguments and exit
/// before it reads (unknown scopes, say): its pipe is then closed, which is its answer, not ours
/// to fail on; the exit status tells the test what happened.
fn write_input(mut input: std::process::ChildStdin, line: &str) {
    match input.write_all(format!("{line}\n").as_bytes()) {
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => {}
        other => other.unwrap(),
    }
}

/// `authctl user ...` with a password on standard input (when given).
pub fn user_command(table: &str, args: &[&str], stdin: Option<&str>) -> std::process::Output {
    let mut all = vec!["user"];
    all.extend_from_slice(args);
    // The tests name their tables users-…/tokens-…: the attempt counters are in the latter.
    let tokens = table.replacen("users-", "tokens-", 1);
    all.extend_from_slice(&["--table", table, "--tokens-table", &tokens]);
    let mut child = authctl(&all)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let input = child.stdin.take().unwrap();
    match stdin {
        Some(text) => write_input(input, text),
        None => drop(input), // end of input: the command must not wait for more
    }
    child.wait_with_output().unwrap()
}

pub fn json_of(output: &std::process::Output) -> serde_json::Value {
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
