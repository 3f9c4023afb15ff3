//! Lambda function for `GET /status/`, and for API Gateway's catch-all `$default` route:
//! the router of that one endpoint, so any other path or method gets the JSON 404/405.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    token_service::run_function(token_service::Endpoint::Status).await
}
