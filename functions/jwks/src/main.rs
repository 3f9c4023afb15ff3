//! Lambda function for GET /.well-known/jwks.json: the public keys that verify access tokens (RFC 7517). Holds no key and no secret; reads the published key set.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    token_service::run_function::<token_service::http::function::Jwks>().await
}
