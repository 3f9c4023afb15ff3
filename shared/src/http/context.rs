//! What API Gateway says about a request (its HTTP API request context), and what the socket
//! says locally. These, never a client's headers, decide the issuer domain, the source address
//! and the request id in the logs.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::Extensions;
use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequestContext;
use lambda_http::request::RequestContext;

use crate::domain::SourceAddress;

/// The HTTP API request context, when the request came through Lambda.
fn api_gateway(extensions: &Extensions) -> Option<&ApiGatewayV2httpRequestContext> {
    match extensions.get::<RequestContext>()? {
        RequestContext::ApiGatewayV2(context) => Some(context),
        // The enum is non-exhaustive; the functions receive HTTP API (v2) events only.
        _ => None,
    }
}

/// The domain the API received the request on.
pub(super) fn api_domain(extensions: &Extensions) -> Option<&str> {
    api_gateway(extensions)?.domain_name.as_deref()
}

/// API Gateway's id of the request (`requestContext.requestId`), the id operators search by.
pub(super) fn request_id(extensions: &Extensions) -> Option<&str> {
    api_gateway(extensions)?.request_id.as_deref()
}

/// The client's address: API Gateway's `sourceIp` in Lambda, the socket's peer locally, and
/// otherwise the shared "unknown" source.
pub(super) struct ClientSource(pub SourceAddress);

impl<S: Send + Sync> FromRequestParts<S> for ClientSource {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let from_gateway = api_gateway(&parts.extensions)
            .and_then(|context| context.http.source_ip.as_deref())
            .and_then(SourceAddress::parse);
        let from_socket = || {
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(peer)| SourceAddress::from_ip(peer.ip()))
        };
        Ok(ClientSource(
            from_gateway
                .or_else(from_socket)
                .unwrap_or_else(SourceAddress::unknown),
        ))
    }
}
