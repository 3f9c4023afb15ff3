//! Lambda function for GET /docs: Swagger UI and the files it loads, embedded at build time. Reads nothing.

// Lambda hands a function one event at a time: one thread drives it (no worker threads to
// start), and password hashing runs on the blocking pool.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    token_service::run_function::<token_service::http::function::Docs>().await
}
