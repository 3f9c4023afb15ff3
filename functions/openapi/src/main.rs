//! Lambda function for GET /openapi.json: the OpenAPI 3.1 document of the API. Built once per process from the endpoint table; reads nothing.

// Lambda hands a function one event at a time: one thread drives it (no worker threads to
// start), and password hashing runs on the blocking pool.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    token_service::run_function::<token_service::http::function::OpenApi>().await
}
