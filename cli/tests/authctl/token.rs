//! `authctl token issue`: tokens signed by a key verifiers trust.

use crate::support::*;

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
