//! Redirect URIs (RFC 6749 §3.1.2): as a client registers them, and which URIs an
//! authorization request may present for them.

use serde::{Deserialize, Serialize};

/// A redirect URI as registered: absolute, `https://`, or `http://` on a loopback host only
/// (OAuth 2.1 §7.5.1, RFC 8252 §7.3: nothing else can receive a code in the clear), without
/// userinfo (`http://127.0.0.1@evil.example/` names evil.example) or fragment (RFC 6749
/// §3.1.2). Compared as an exact string when used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RedirectUri(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("redirect URI must be an absolute https URI (http only on a loopback host: 127.0.0.1, [::1], localhost), without userinfo or fragment, at most 2000 characters: `{0}`")]
pub struct InvalidRedirectUri(pub String);

/// The hosts an `http://` redirect URI may name: the machine the app runs on.
const LOOPBACK_HOSTS: [&str; 3] = ["127.0.0.1", "[::1]", "localhost"];

/// The host of a URI's `authority` (`None`: none, userinfo before it, or a port that is not
/// one).
fn host(authority: &str) -> Option<&str> {
    if authority.contains('@') {
        return None;
    }
    let host_end = if authority.starts_with('[') {
        authority.find(']')? + 1
    } else {
        authority.find(':').unwrap_or(authority.len())
    };
    let (host, port) = authority.split_at(host_end);
    let port_ok = port.is_empty()
        || port
            .strip_prefix(':')
            .is_some_and(|digits| digits.len() <= 5 && digits.parse::<u16>().is_ok());
    (!host.is_empty() && port_ok).then_some(host)
}

impl RedirectUri {
    pub fn parse(s: &str) -> Result<Self, InvalidRedirectUri> {
        let invalid = || InvalidRedirectUri(s.chars().take(80).collect());
        let (secure, rest) = match s.strip_prefix("https://") {
            Some(rest) => (true, rest),
            None => (false, s.strip_prefix("http://").ok_or_else(invalid)?),
        };
        let authority = rest.split(['/', '?']).next().unwrap_or_default();
        let ok = host(authority).is_some_and(|host| secure || LOOPBACK_HOSTS.contains(&host))
            && s.len() <= 2000
            && !s.contains(['#', '\\'])
            && s.chars().all(|c| c.is_ascii_graphic());
        if ok {
            Ok(RedirectUri(s.to_owned()))
        } else {
            Err(invalid())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `presented` (an authorization request's `redirect_uri`) is this registered
    /// URI: the exact string (RFC 9700 §4.1.3: no prefix, case or normalisation games), except
    /// that a loopback IP literal over `http` may come with any port (RFC 8252 §7.3: native
    /// apps listen on a port the system gives them). `localhost` is compared exactly, as any
    /// host (RFC 8252 §8.3).
    pub fn admits(&self, presented: &str) -> bool {
        if self.0 == presented {
            return true;
        }
        ["http://127.0.0.1", "http://[::1]"].iter().any(|loopback| {
            match (
                loopback_rest(&self.0, loopback),
                loopback_rest(presented, loopback),
            ) {
                (Some(registered), Some(presented)) => registered == presented,
                _ => false,
            }
        })
    }
}

/// What follows the port of `uri` if it is `loopback` with or without a port, else `None`.
fn loopback_rest<'a>(uri: &'a str, loopback: &str) -> Option<&'a str> {
    let after_host = uri.strip_prefix(loopback)?;
    let rest = match after_host.strip_prefix(':') {
        None => after_host,
        Some(port_and_rest) => {
            let digits = port_and_rest
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(port_and_rest.len());
            let port = &port_and_rest[..digits];
            if port.is_empty() || port.len() > 5 || port.parse::<u16>().is_err() {
                return None;
            }
            &port_and_rest[digits..]
        }
    };
    // The authority ends here: `http://127.0.0.1.evil.example` is another host.
    (rest.is_empty() || rest.starts_with(['/', '?'])).then_some(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_redirect_uri_is_admitted_only_as_registered() {
        let registered = RedirectUri::parse("https://app.example/callback").unwrap();
        assert!(registered.admits("https://app.example/callback"));
        for near_miss in [
            "https://app.example/callback/",
            "https://APP.example/callback",
            "https://app.example/Callback",
            "https://app.example/callback?x=1",
            "https://app.example:443/callback",
            "https://app.example:8443/callback",
            "http://app.example/callback",
            "https://app.example/callback#",
            "https://app.example/callback/../callback",
            "https://app.example/callback%2F",
            "https://app.example.evil.example/callback",
            "https://app.example/callbackx",
            "",
        ] {
            assert!(!registered.admits(near_miss), "{near_miss}");
        }
    }

    #[test]
    fn only_a_loopback_ip_redirect_may_change_its_port() {
        for (registered, admitted, refused) in [
            (
                "http://127.0.0.1/cb",
                &[
                    "http://127.0.0.1:53211/cb",
                    "http://127.0.0.1/cb",
                    "http://127.0.0.1:1/cb",
                ][..],
                &[
                    "http://127.0.0.1:53211/cb/",
                    "http://127.0.0.1:/cb",
                    "http://127.0.0.1:99999/cb",
                    "http://127.0.0.1:123456/cb",
                    "http://127.0.0.1:80x/cb",
                    "http://127.0.0.1.evil.example/cb",
                    "http://127.0.0.1:8080.evil.example/cb",
                    "https://127.0.0.1:8080/cb",
                    "http://[::1]:8080/cb",
                    "http://localhost:8080/cb",
                ][..],
            ),
            (
                "http://[::1]:8080/cb?app=1",
                &["http://[::1]:9/cb?app=1", "http://[::1]/cb?app=1"][..],
                &["http://[::1]:9/cb?app=2", "http://127.0.0.1:8080/cb?app=1"][..],
            ),
            (
                // localhost is a name, not a loopback literal: exact only.
                "http://localhost:8080/cb",
                &["http://localhost:8080/cb"][..],
                &["http://localhost:8081/cb", "http://localhost/cb"][..],
            ),
            (
                "https://app.example:8443/cb",
                &["https://app.example:8443/cb"][..],
                &["https://app.example:8444/cb", "https://app.example/cb"][..],
            ),
        ] {
            let registered = RedirectUri::parse(registered).unwrap();
            for uri in admitted {
                assert!(registered.admits(uri), "{registered:?} should admit {uri}");
            }
            for uri in refused {
                assert!(!registered.admits(uri), "{registered:?} admitted {uri}");
            }
        }
    }

    #[test]
    fn redirect_uris_are_absolute_https_or_loopback_http_without_userinfo_or_fragments() {
        for ok in [
            "https://app.example.com/callback",
            "http://127.0.0.1:8765/callback",
            "http://127.0.0.1/callback",
            "http://[::1]:8765/callback",
            "http://localhost:8080/cb",
            "https://app.example.com/cb?tenant=1",
            "https://[2001:db8::1]:8443/cb",
            "http://127.0.0.1:65535/cb",
        ] {
            assert_eq!(RedirectUri::parse(ok).unwrap().as_str(), ok);
        }
        for bad in [
            "app.example.com/callback",
            "https://",
            "https:///path",
            "https://a.example/cb#frag",
            "javascript:alert(1)",
            "https://a.example/has space",
            // A code sent in the clear across the network.
            "http://app.example.com/callback",
            "http://127.0.0.1.evil.example/cb",
            "http://[::1].evil.example/cb",
            "http://10.0.0.7:8080/cb",
            // Userinfo: the host is what follows the `@`.
            "http://127.0.0.1@evil.example/cb",
            "https://app.example.com@evil.example/cb",
            "http://[::1",
            // Ports that are none; a backslash, which browsers read as a slash.
            "http://localhost:abc/cb",
            "http://127.0.0.1:99999/cb",
            "http://127.0.0.1:/cb",
            "http://[::1]:1:2/cb",
            "http://localhost:8080\\evil.example/cb",
        ] {
            assert!(RedirectUri::parse(bad).is_err(), "{bad}");
        }
    }
}
