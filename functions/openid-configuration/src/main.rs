//! Lambda function for GET /.well-known/openid-configuration: discovery metadata (issuer, jwks_uri, token endpoint, scopes).

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    token_service::run_function::<token_service::http::function::OpenIdConfiguration>().await
}
