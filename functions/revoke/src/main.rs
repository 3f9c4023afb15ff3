//! Lambda function for POST /revoke: token revocation (RFC 7009). Verifies access tokens with
//! public keys only and ends sessions; it cannot sign.

// Lambda hands a function one event at a time: one thread drives it (no worker threads to
// start), and password hashing runs on the blocking pool.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    token_service::run_function::<token_service::http::function::Revoke>().await
}
