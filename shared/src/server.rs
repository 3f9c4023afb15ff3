//! The whole API on one local HTTP listener, for development and the HTTP-level tests. Requests
//! are turned into the same `lambda_http::Request` the functions receive and answered by the
//! same [`handle`], so local behaviour is Lambda behaviour.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use lambda_http::Body;
use tokio::net::TcpListener;

use crate::errors::ApiError;
use crate::handlers::{dispatch, MAX_FORM_BYTES};
use crate::http::error_response;
use crate::state::AppState;

/// Serves until `shutdown` completes. Each connection runs on its own task; password hashing
/// runs on the blocking pool, so slow sign-ins never stall other requests.
pub async fn serve(
    listener: TcpListener,
    state: Arc<AppState>,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => accepted?,
            () = &mut shutdown => return Ok(()),
        };
        let state = Arc::clone(&state);
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let state = Arc::clone(&state);
                async move { Ok::<_, Infallible>(answer(&state, request).await) }
            });
            if let Err(err) = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                tracing::debug!(%peer, error = %err, "connection ended with an error");
            }
        });
    }
}

async fn answer(
    state: &AppState,
    request: hyper::Request<Incoming>,
) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = request.into_parts();
    let response = match Limited::new(body, MAX_FORM_BYTES).collect().await {
        Err(_) => error_response(&ApiError::body_too_large(MAX_FORM_BYTES)),
        Ok(collected) => {
            let bytes = collected.to_bytes();
            let body = if bytes.is_empty() {
                Body::Empty
            } else {
                Body::Binary(bytes.to_vec())
            };
            dispatch(state, lambda_http::Request::from_parts(parts, body)).await
        }
    };
    let (parts, body) = response.into_parts();
    let bytes = match body {
        Body::Empty => Bytes::new(),
        Body::Text(text) => Bytes::from(text),
        Body::Binary(bytes) => Bytes::from(bytes),
        _ => Bytes::new(),
    };
    hyper::Response::from_parts(parts, Full::new(bytes))
}
