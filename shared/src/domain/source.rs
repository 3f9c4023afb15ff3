//! Where a sign-in comes from, as far as the service can trust it: API Gateway's
//! `requestContext.http.sourceIp` in Lambda, the peer address of the socket locally. Never a
//! client-supplied header such as `X-Forwarded-For`, which anyone can set.

use std::net::{IpAddr, Ipv6Addr};

/// The address a budget is kept for. IPv6 addresses count by their /64 network: one
/// subscriber gets a whole /64, so a guesser could otherwise take a fresh address per guess.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SourceAddress(String);

impl SourceAddress {
    pub fn from_ip(ip: IpAddr) -> Self {
        let ip = match ip {
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => {
                    let [a, b, c, d, ..] = v6.segments();
                    return SourceAddress(format!("{}/64", Ipv6Addr::new(a, b, c, d, 0, 0, 0, 0)));
                }
            },
            v4 => v4,
        };
        SourceAddress(ip.to_string())
    }

    /// An address as text (API Gateway's `sourceIp`); `None` if it is not an IP address.
    pub fn parse(text: &str) -> Option<Self> {
        text.trim().parse::<IpAddr>().ok().map(Self::from_ip)
    }

    /// An address followed by `:port`, as CloudFront's `CloudFront-Viewer-Address` sends it
    /// (`203.0.113.9:46532`, `2001:db8::1:46532`, or bracketed `[2001:db8::1]:46532`). The
    /// port is always split off at the last colon: `2001:db8::1:b:c:d:4000` would also parse
    /// whole as an IPv6 address, in a /64 its sender chose by choosing its port.
    pub fn parse_with_port(text: &str) -> Option<Self> {
        let (address, port) = text.trim().rsplit_once(':')?;
        port.parse::<u16>().ok()?;
        let address = match address.strip_prefix('[') {
            Some(inner) => inner.strip_suffix(']')?,
            None => address,
        };
        Self::parse(address)
    }

    /// A request whose source is not known shares one budget with every other such request:
    /// it can never escape the per-source limit by hiding its address.
    pub fn unknown() -> Self {
        SourceAddress("unknown".to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for SourceAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_counts_per_address() {
        assert_eq!(
            SourceAddress::parse("203.0.113.7").unwrap().as_str(),
            "203.0.113.7"
        );
        assert_eq!(
            SourceAddress::parse("::ffff:203.0.113.7").unwrap().as_str(),
            "203.0.113.7"
        );
    }

    #[test]
    fn ipv6_counts_per_64_network() {
        let a = SourceAddress::parse("2001:db8:1:2:aaaa::1").unwrap();
        let b = SourceAddress::parse("2001:db8:1:2:bbbb::9").unwrap();
        let other = SourceAddress::parse("2001:db8:1:3::1").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.as_str(), "2001:db8:1:2::/64");
        assert_ne!(a, other);
    }

    #[test]
    fn anything_else_is_not_an_address() {
        for text in ["", "localhost", "1.2.3.4, 5.6.7.8", "1.2.3.4:80", "unknown"] {
            assert_eq!(SourceAddress::parse(text), None, "{text}");
        }
    }
}
