//! The baseline of the cold-start probe: the smallest `lambda_http` function, built with the
//! same profile and `lambda_http` features as the service's functions, on the multi-thread
//! runtime `#[tokio::main]` gives (as lambda-perf's Rust hello world; the functions run a
//! current-thread one, and `hello-lambda-current-thread` shows what that alone is worth).

use lambda_http::{run, service_fn, Body, Error, Request, Response};

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(service_fn(|_request: Request| async {
        Ok::<_, Error>(Response::new(Body::from("hello")))
    }))
    .await
}
