//! Lambda function for `GET /users/me/`: all behaviour lives in the `shared` crate.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::run_function(shared::Route::UsersMe).await
}
