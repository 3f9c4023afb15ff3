//! Lambda function for POST /revoke: token revocation (RFC 7009). Verifies access tokens with
//! public keys only and ends sessions; it cannot sign.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    token_service::run_function::<token_service::http::function::Revoke>().await
}
