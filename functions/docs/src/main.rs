//! Lambda function for GET /docs: Swagger UI and the files it loads, embedded at build time. Reads nothing.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    token_service::run_function::<token_service::http::function::Docs>().await
}
