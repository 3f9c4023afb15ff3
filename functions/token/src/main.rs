//! Lambda function for `POST /token`, which API Gateway's catch-all `$default` route brings
//! here (one throttle for `/token` and `/token/`): the router of that one endpoint, so any
//! other path or method gets the JSON 404/405.

// Lambda hands a function one event at a time: one thread drives it (no worker threads to
// start), and password hashing runs on the blocking pool.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    token_service::run_function::<token_service::http::function::Token>().await
}
