//! The baseline again on the runtime the service's functions use (`tokio`'s current-thread
//! runtime), so the probe shows what that choice alone is worth: `hello-lambda` stays the
//! common `#[tokio::main]` hello world the ratios are taken against.

use lambda_http::{run, service_fn, Body, Error, Request, Response};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    run(service_fn(|_request: Request| async {
        Ok::<_, Error>(Response::new(Body::from("hello")))
    }))
    .await
}
