//! What API Gateway says about a request (its HTTP API request context), and what the socket
//! says locally. These, never a client's headers, decide the issuer domain, the source address
//! and the request id in the logs.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::Extensions;
use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequestContext;
use lambda_http::request::RequestContext;

use crate::app::AppState;
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

/// The client's address: the last entry of the trusted proxy header if one is configured (the
/// shared "unknown" source if it is missing or unreadable), else API Gateway's `sourceIp` in
/// Lambda, the socket's peer locally, and otherwise the shared "unknown" source.
pub(super) struct ClientSource(pub SourceAddress);

/// CloudFront's header with the viewer's address, which always ends in `:port`.
const CLOUDFRONT_VIEWER_ADDRESS: &str = "cloudfront-viewer-address";

/// The last address in `header` (the one the nearest, trusted proxy appended: the ones
/// before it are whatever the client sent).
fn from_trusted_header(parts: &Parts, header: &axum::http::HeaderName) -> Option<SourceAddress> {
    let last = parts.headers.get_all(header).iter().next_back()?;
    let text = last.to_str().ok()?.rsplit(',').next()?.trim();
    if header.as_str() == CLOUDFRONT_VIEWER_ADDRESS {
        SourceAddress::parse_with_port(text)
    } else {
        SourceAddress::parse(text)
    }
}

impl FromRequestParts<AppState> for ClientSource {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(header) = &state.source_header {
            // Behind the proxy, the gateway's source is the proxy (a CloudFront edge shared
            // by many users): without the proxy's header, the source is not known.
            return Ok(ClientSource(
                from_trusted_header(parts, header).unwrap_or_else(SourceAddress::unknown),
            ));
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{HeaderName, Request};

    fn parts(event_or_headers: Request<()>) -> Parts {
        event_or_headers.into_parts().0
    }

    #[test]
    fn only_the_last_entry_of_the_trusted_header_counts() {
        let header = HeaderName::from_static("x-forwarded-for");
        let request = Request::builder()
            .header("x-forwarded-for", "6.6.6.6, 203.0.113.9")
            .body(())
            .unwrap();
        assert_eq!(
            from_trusted_header(&parts(request), &header)
                .unwrap()
                .as_str(),
            "203.0.113.9"
        );
        let garbage = Request::builder()
            .header("x-forwarded-for", "203.0.113.9, not-an-ip")
            .body(())
            .unwrap();
        assert_eq!(from_trusted_header(&parts(garbage), &header), None);
    }

    #[test]
    fn cloudfront_viewer_addresses_lose_their_port_and_keep_their_network() {
        let header = HeaderName::from_static(CLOUDFRONT_VIEWER_ADDRESS);
        for (value, expected) in [
            ("203.0.113.9:46532", Some("203.0.113.9")),
            // A port of four digits or fewer makes the whole text a valid IPv6 address too:
            // it must still be read as a port, or the caller picks its /64 by its port.
            ("2001:db8::1:b:c:d:4000", Some("2001:db8::/64")),
            ("2001:db8:1:2::1:46532", Some("2001:db8:1:2::/64")),
            ("2001:db8:1:2::1:80", Some("2001:db8:1:2::/64")),
            ("[2001:db8:1:2::1]:46532", Some("2001:db8:1:2::/64")),
            ("[2001:db8::1:b:c:d]:4000", Some("2001:db8::/64")),
            ("[::ffff:203.0.113.9]:443", Some("203.0.113.9")),
            ("::ffff:203.0.113.9:443", Some("203.0.113.9")),
            // Without a port it is not CloudFront's format: nothing to trust.
            ("203.0.113.9", None),
            ("2001:db8::1", None),
            ("[2001:db8::1]", None),
            ("203.0.113.9:99999", None),
            ("203.0.113.9:", None),
        ] {
            let request = Request::builder().header(&header, value).body(()).unwrap();
            assert_eq!(
                from_trusted_header(&parts(request), &header)
                    .as_ref()
                    .map(SourceAddress::as_str),
                expected,
                "{value}"
            );
        }
    }

    #[test]
    fn other_trusted_headers_carry_bare_addresses() {
        let header = HeaderName::from_static("x-forwarded-for");
        for (value, expected) in [
            ("203.0.113.9", Some("203.0.113.9")),
            ("2001:db8::1:b:c:d:4000", Some("2001:db8:0:1::/64")),
            ("203.0.113.9:443", None),
        ] {
            let request = Request::builder().header(&header, value).body(()).unwrap();
            assert_eq!(
                from_trusted_header(&parts(request), &header)
                    .as_ref()
                    .map(SourceAddress::as_str),
                expected,
                "{value}"
            );
        }
    }

    #[test]
    fn the_gateway_source_ip_and_request_id_come_from_the_event() {
        let event = include_str!("../../../events/token-wrong-password.json");
        let request = lambda_http::request::from_str(event).unwrap();
        let parts = request.into_parts().0;
        assert_eq!(request_id(&parts.extensions), Some("sample-request-id"));
        assert_eq!(api_domain(&parts.extensions), Some("localhost"));
        let context = api_gateway(&parts.extensions).unwrap();
        assert_eq!(context.http.source_ip.as_deref(), Some("127.0.0.1"));
    }
}
