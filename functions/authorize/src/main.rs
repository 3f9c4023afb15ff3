//! Lambda function for GET and POST /authorize: the hosted sign-in page of the authorization
//! code flow. Signs people in (the sign-in budgets of /token) and issues authorization codes;
//! it cannot sign tokens and reads no key.

// Lambda hands a function one event at a time: one thread drives it (no worker threads to
// start), and password hashing runs on the blocking pool.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    token_service::run_function::<token_service::http::function::Authorize>().await
}
