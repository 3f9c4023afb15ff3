//! Lambda function for `GET /users/me/`: the router of that one endpoint, run by `lambda_http`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    token_service::run_function::<token_service::http::function::UsersMe>().await
}
