//! Lambda function for `GET /status/`: all behaviour lives in the `shared` crate.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::run_function(shared::Route::Status).await
}
