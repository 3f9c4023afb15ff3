//! Lambda function for `GET /users/me/items/`: all behaviour lives in the `shared` crate.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::run_function(shared::Route::UsersMeItems).await
}
