//! Lambda function for POST /introspect: token introspection (RFC 7662) for confidential
//! clients. Verifies access tokens with public keys only and reads users, clients and
//! sessions; it cannot sign.

// Lambda hands a function one event at a time: one thread drives it (no worker threads to
// start), and password hashing runs on the blocking pool.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    token_service::run_function::<token_service::http::function::Introspect>().await
}
