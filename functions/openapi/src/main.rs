//! Lambda function for GET /openapi.json: the OpenAPI 3.1 document of the API. Built once per process from the endpoint table; reads nothing.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    token_service::run_function::<token_service::http::function::OpenApi>().await
}
