//! Lambda function for `POST /token`. All behaviour lives in the `shared` crate; this only wires it.

use lambda_http::{run, service_fn, Error};
use shared::{handle_lambda, start_function, Route};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let state = start_function().await?;
    run(service_fn(|request| {
        handle_lambda(Route::Token, &state, request)
    }))
    .await
}
