//! Requests to a test app, straight into its router or through its socket, and the
//! sign-in and token shorthands the scenarios use.

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Body;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use tower::ServiceExt as _;

use super::{documented, TestApp, TestResponse, Transport};

impl TestApp {
    pub async fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: impl Into<Bytes>,
    ) -> TestResponse {
        self.request_from(None, method, path, headers, body).await
    }

    /// [`Self::request`] from the client address `source` (as the socket would report it).
    /// Over a real socket the source is always the loopback address.
    pub async fn request_from(
        &self,
        source: Option<SocketAddr>,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: impl Into<Bytes>,
    ) -> TestResponse {
        let mut builder = hyper::Request::builder().method(method);
        if let Some(source) = source {
            assert!(
                matches!(self.transport, Transport::Router(_)),
                "a socket's source address cannot be chosen"
            );
            builder = builder.extension(axum::extract::ConnectInfo(source));
        }
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let (status, headers, bytes) = match &self.transport {
            Transport::Router(router) => {
                let request = builder.uri(path).body(Body::from(body.into())).unwrap();
                let response =
                    tokio::time::timeout(Duration::from_secs(30), router.clone().oneshot(request))
                        .await
                        .expect("the router answered within 30 s")
                        .expect("the router is infallible");
                let (parts, body) = response.into_parts();
                (
                    parts.status,
                    parts.headers,
                    body.collect().await.unwrap().to_bytes(),
                )
            }
            Transport::Socket {
                address, client, ..
            } => {
                let request = builder
                    .uri(format!("http://{address}{path}"))
                    .body(Full::new(body.into()))
                    .unwrap();
                let response =
                    tokio::time::timeout(Duration::from_secs(30), client.request(request))
                        .await
                        .expect("the server answered within 30 s")
                        .expect("the request went through");
                let (parts, body) = response.into_parts();
                (
                    parts.status,
                    parts.headers,
                    body.collect().await.unwrap().to_bytes(),
                )
            }
        };
        // Only the docs page's files are ever compressed, and only when asked: every other
        // body is UTF-8 text.
        let text = if headers.contains_key("content-encoding") {
            String::new()
        } else {
            String::from_utf8(bytes.to_vec()).expect("UTF-8 body")
        };
        documented::assert_documented(method, path, status.as_u16(), &headers, &text);
        TestResponse {
            status: status.as_u16(),
            headers,
            text,
            bytes: bytes.to_vec(),
        }
    }

    /// `POST /token` with a form body.
    pub async fn token(&self, form: &str) -> TestResponse {
        self.request(
            "POST",
            "/token",
            &[("content-type", "application/x-www-form-urlencoded")],
            form.to_owned(),
        )
        .await
    }

    /// `POST /token` with a form body, from the client address `ip`.
    pub async fn token_from(&self, ip: &str, form: &str) -> TestResponse {
        let source = SocketAddr::new(ip.parse().expect("an IP address"), 40000);
        self.request_from(
            Some(source),
            "POST",
            "/token",
            &[("content-type", "application/x-www-form-urlencoded")],
            form.to_owned(),
        )
        .await
    }

    /// `POST /token` with `grant_type=refresh_token` (and `extra` form fields).
    pub async fn refresh(&self, refresh_token: &str, extra: &str) -> TestResponse {
        self.token(&format!(
            "grant_type=refresh_token&refresh_token={refresh_token}{extra}"
        ))
        .await
    }

    /// Signs in and returns (access token, refresh token), asserting success.
    pub async fn sign_in_pair(&self, user: &str, password: &str, scope: &str) -> (String, String) {
        let response = self
            .token(&format!(
                "username={user}&password={password}&scope={scope}"
            ))
            .await;
        assert_eq!(response.status, 200, "{}", response.text);
        let body = response.json();
        (
            body["access_token"].as_str().unwrap().to_owned(),
            body["refresh_token"].as_str().unwrap().to_owned(),
        )
    }

    /// `POST /token` with a form body and extra headers (HTTP Basic).
    pub async fn token_with(&self, headers: &[(&str, &str)], form: &str) -> TestResponse {
        self.form_post("/token", None, headers, form).await
    }

    /// `POST /token` with a form body and extra headers, from the client address `ip`.
    pub async fn token_with_from(
        &self,
        ip: &str,
        headers: &[(&str, &str)],
        form: &str,
    ) -> TestResponse {
        let source = SocketAddr::new(ip.parse().expect("an IP address"), 40000);
        self.form_post("/token", Some(source), headers, form).await
    }

    /// `POST /introspect` with a form body and extra headers (HTTP Basic).
    pub async fn introspect(&self, headers: &[(&str, &str)], form: &str) -> TestResponse {
        self.form_post("/introspect", None, headers, form).await
    }

    /// `POST /revoke` with a form body and extra headers (HTTP Basic).
    pub async fn revoke_with(&self, headers: &[(&str, &str)], form: &str) -> TestResponse {
        self.form_post("/revoke", None, headers, form).await
    }

    async fn form_post(
        &self,
        path: &str,
        source: Option<SocketAddr>,
        headers: &[(&str, &str)],
        form: &str,
    ) -> TestResponse {
        let mut all = vec![("content-type", "application/x-www-form-urlencoded")];
        all.extend_from_slice(headers);
        self.request_from(source, "POST", path, &all, form.to_owned())
            .await
    }

    /// A client's own token (client credentials with HTTP Basic), asserting success.
    pub async fn client_token(&self, id: &str, secret: &str, scope: &str) -> String {
        let basic = basic(id, secret);
        let response = self
            .token_with(
                &[("authorization", &basic)],
                &format!("grant_type=client_credentials&scope={scope}"),
            )
            .await;
        assert_eq!(response.status, 200, "{}", response.text);
        response.json()["access_token"].as_str().unwrap().to_owned()
    }

    /// Signs in through the public client `client_id` and returns the access token.
    pub async fn sign_in_with(
        &self,
        user: &str,
        password: &str,
        scope: &str,
        client_id: &str,
    ) -> String {
        let response = self
            .token(&format!(
                "username={user}&password={password}&scope={scope}&client_id={client_id}"
            ))
            .await;
        assert_eq!(response.status, 200, "{}", response.text);
        response.json()["access_token"].as_str().unwrap().to_owned()
    }

    /// `POST /revoke` with a form body.
    pub async fn revoke(&self, form: &str) -> TestResponse {
        self.request(
            "POST",
            "/revoke",
            &[("content-type", "application/x-www-form-urlencoded")],
            form.to_owned(),
        )
        .await
    }

    /// Signs in and returns the access token, asserting success.
    pub async fn sign_in(&self, user: &str, password: &str, scope: &str) -> String {
        let response = self
            .token(&format!(
                "username={user}&password={password}&scope={scope}"
            ))
            .await;
        assert_eq!(response.status, 200, "{}", response.text);
        response.json()["access_token"].as_str().unwrap().to_owned()
    }

    pub async fn get(&self, path: &str, bearer: Option<&str>) -> TestResponse {
        let auth = bearer.map(|token| format!("Bearer {token}"));
        let headers: Vec<(&str, &str)> = auth
            .as_deref()
            .map(|value| vec![("authorization", value)])
            .unwrap_or_default();
        self.request("GET", path, &headers, Bytes::new()).await
    }
}

/// An `Authorization: Basic` value for a client (RFC 6749 §2.3.1: both halves
/// form-urlencoded first).
pub fn basic(id: &str, secret: &str) -> String {
    use base64::Engine as _;
    let encode = |v: &str| form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>();
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            encode(id),
            encode(secret)
        ))
    )
}
