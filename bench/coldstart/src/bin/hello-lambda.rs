//! The baseline of the cold-start probe: the smallest `lambda_http` function, built with the
//! same profile and `lambda_http` features as the service's functions.

use lambda_http::{run, service_fn, Body, Error, Request, Response};

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(service_fn(|_request: Request| async {
        Ok::<_, Error>(Response::new(Body::from("hello")))
    }))
    .await
}
