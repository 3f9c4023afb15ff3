//! Lambda function for GET /.well-known/jwks.json: the public keys that verify access tokens (RFC 7517). Holds no key and no secret; reads the published key set.

// Lambda hands a function one event at a time: one thread drives it (no worker threads to
// start), and password hashing runs on the blocking pool.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    token_service::run_function::<token_service::http::function::Jwks>().await
}
