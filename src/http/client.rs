//! Who is asking: the client address (the socket peer, or behind a trusted
//! proxy the right-most untrusted `X-Forwarded-For` address), and a request
//! id that is safe to echo, log and store.

use std::net::{IpAddr, SocketAddr};

use axum::{
    extract::{ConnectInfo, FromRequestParts, Request, State},
    http::{HeaderMap, HeaderName},
    middleware::Next,
    response::Response,
};
use ipnet::IpNet;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
const FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

/// The longest client request id that is kept.
const MAX_REQUEST_ID: usize = 64;

/// Whether a client's `X-Request-Id` may be used as ours: 1 to 64 characters
/// of `[A-Za-z0-9._-]`. Anything else is replaced by a generated id, so a
/// client can neither forge log fields nor grow audit rows.
pub fn acceptable_request_id(value: &[u8]) -> bool {
    !value.is_empty()
        && value.len() <= MAX_REQUEST_ID
        && value.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Drops a client request id that is not acceptable (and a repeated one);
/// the layer after this one then generates a fresh id.
pub async fn sanitize_request_id(mut req: Request, next: Next) -> Response {
    let headers = req.headers_mut();
    let mut values = headers.get_all(&REQUEST_ID).iter();
    let keep = match (values.next(), values.next()) {
        (Some(one), None) => acceptable_request_id(one.as_bytes()),
        _ => false,
    };
    if !keep {
        headers.remove(&REQUEST_ID);
    }
    next.run(req).await
}

/// The request's id, as the middleware settled it.
pub fn request_id(headers: &HeaderMap) -> Option<&str> {
    headers.get(&REQUEST_ID).and_then(|v| v.to_str().ok())
}

/// The proxies whose `X-Forwarded-For` is believed.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<IpNet>);

/// The client's address for this request, put in the request's extensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub Option<IpAddr>);

/// IPv4 peers may arrive as IPv4-mapped IPv6 on a dual-stack socket.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// An `X-Forwarded-For` entry: an address, optionally with a port.
fn parse_hop(raw: &str) -> Option<IpAddr> {
    let raw = raw.trim();
    raw.parse::<IpAddr>()
        .ok()
        .or_else(|| raw.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| raw.strip_prefix('[').and_then(|r| r.strip_suffix(']')).and_then(|r| r.parse().ok()))
        .map(canonical)
}

impl TrustedProxies {
    pub fn new(nets: Vec<IpNet>) -> Self {
        TrustedProxies(nets)
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client address: the peer itself, unless the peer is a trusted
    /// proxy; then `X-Forwarded-For` is read from the right (each proxy
    /// appends the address it saw) and the first address that is not a
    /// trusted proxy is the client. Without trusted proxies the header is
    /// ignored, so a client cannot choose its own address.
    pub fn client_ip(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let mut client = canonical(peer);
        if !self.trusts(client) {
            return client;
        }
        let values: Vec<&str> = headers.get_all(&FORWARDED_FOR).iter().filter_map(|v| v.to_str().ok()).collect();
        for hop in values.iter().flat_map(|v| v.split(',')).rev() {
            match parse_hop(hop) {
                Some(ip) => {
                    client = ip;
                    if !self.trusts(ip) {
                        return ip;
                    }
                }
                // A hop that is not an address: what lies left of it was
                // not written by a proxy we trust.
                None => return client,
            }
        }
        client
    }
}

/// Works out the client address once and puts it in the extensions, for
/// the sign-in limits, the audit log and the request log.
pub async fn client_address(
    State(proxies): State<std::sync::Arc<TrustedProxies>>,
    req: Request,
    next: Next,
) -> Response {
    let (mut parts, body) = req.into_parts();
    // Through the extractor, so tests' MockConnectInfo is seen too.
    let peer = ConnectInfo::<SocketAddr>::from_request_parts(&mut parts, &()).await.ok().map(|c| c.0.ip());
    let client = ClientIp(peer.map(|ip| proxies.client_ip(ip, &parts.headers)));
    parts.extensions.insert(client);
    next.run(Request::from_parts(parts, body)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(xff: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in xff {
            h.append(FORWARDED_FOR, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn without_trusted_proxies_forwarding_headers_change_nothing() {
        let none = TrustedProxies::default();
        assert_eq!(none.client_ip(ip("10.0.0.1"), &headers(&["203.0.113.9"])), ip("10.0.0.1"));
    }

    #[test]
    fn the_right_most_untrusted_address_is_the_client() {
        let proxies = TrustedProxies::new(vec!["10.0.0.0/8".parse().unwrap(), "127.0.0.1/32".parse().unwrap()]);
        // A client that forges a first hop is still seen at the address the proxy saw.
        let h = headers(&["198.51.100.7, 203.0.113.9", "10.1.2.3"]);
        assert_eq!(proxies.client_ip(ip("127.0.0.1"), &h), ip("203.0.113.9"));
        assert_eq!(proxies.client_ip(ip("192.0.2.1"), &h), ip("192.0.2.1"), "an untrusted peer is the client");
        assert_eq!(proxies.client_ip(ip("10.0.0.5"), &headers(&[])), ip("10.0.0.5"), "no header: the proxy itself");
        assert_eq!(proxies.client_ip(ip("10.0.0.5"), &headers(&["junk, 10.0.0.6"])), ip("10.0.0.6"));
        assert_eq!(proxies.client_ip(ip("10.0.0.5"), &headers(&["[2001:db8::1]:443"])), ip("2001:db8::1"));
        assert_eq!(proxies.client_ip(ip("::ffff:10.0.0.5"), &headers(&["203.0.113.1"])), ip("203.0.113.1"));
    }

    #[test]
    fn only_short_plain_request_ids_are_kept() {
        assert!(acceptable_request_id(b"abc-123_X.y"));
        assert!(acceptable_request_id("a".repeat(64).as_bytes()));
        for bad in ["", " ", "a b", "a\"b", "x=1 level=error", "é", &"a".repeat(65)] {
            assert!(!acceptable_request_id(bad.as_bytes()), "{bad:?}");
        }
    }
}
