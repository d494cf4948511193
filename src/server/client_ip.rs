//! Who the client is, behind a reverse proxy (SPEC §7). The TCP peer is the
//! client unless it is a proxy named in `ROSTER_TRUSTED_PROXIES`; only then
//! is `X-Forwarded-For` read, from the right, skipping the trusted proxies,
//! so a client cannot choose its own address by sending the header itself.

use axum::http::HeaderMap;
use ipnet::IpNet;
use std::net::IpAddr;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    pub fn none() -> Self {
        TrustedProxies(Vec::new())
    }

    /// A comma-separated list of addresses (`10.0.0.7`) and networks (`10.0.0.0/8`).
    pub fn parse(list: &str) -> Result<Self, String> {
        list.split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(|item| {
                item.parse::<IpNet>()
                    .or_else(|_| item.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("“{item}” is not an IP address or network."))
            })
            .collect::<Result<_, _>>()
            .map(TrustedProxies)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn trusts(&self, address: IpAddr) -> bool {
        let address = address.to_canonical();
        self.0.iter().any(|net| net.contains(&address))
    }

    /// The client's address for a request that arrived from `peer`.
    pub fn client_ip(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = peer.to_canonical();
        if !self.trusts(peer) {
            return peer;
        }
        let forwarded: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .collect();
        let mut client = peer;
        for hop in forwarded.iter().rev() {
            // A hop we cannot read ends the chain: trust stops at garbage.
            let Ok(address) = hop.parse::<IpAddr>() else {
                break;
            };
            client = address.to_canonical();
            if !self.trusts(client) {
                break;
            }
        }
        client
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for value in xff {
            map.append("x-forwarded-for", value.parse().unwrap());
        }
        map
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn the_header_is_ignored_unless_the_peer_is_a_trusted_proxy() {
        let none = TrustedProxies::none();
        assert_eq!(
            none.client_ip(ip("198.51.100.4"), &headers(&["203.0.113.9"])),
            ip("198.51.100.4")
        );
        let proxy = TrustedProxies::parse("10.0.0.7").unwrap();
        assert_eq!(
            proxy.client_ip(ip("198.51.100.4"), &headers(&["203.0.113.9"])),
            ip("198.51.100.4"),
            "a client talking to us directly cannot pose as someone else"
        );
    }

    #[test]
    fn behind_a_trusted_proxy_the_rightmost_untrusted_hop_is_the_client() {
        let proxies = TrustedProxies::parse("10.0.0.0/8, ::1").unwrap();
        assert_eq!(
            proxies.client_ip(ip("10.0.0.7"), &headers(&["203.0.113.9"])),
            ip("203.0.113.9")
        );
        // The client sent its own header; the proxy appended the real peer.
        assert_eq!(
            proxies.client_ip(
                ip("10.0.0.7"),
                &headers(&["1.2.3.4, 198.51.100.4, 10.0.0.9"])
            ),
            ip("198.51.100.4")
        );
        assert_eq!(
            proxies.client_ip(ip("::1"), &headers(&["1.2.3.4", "198.51.100.4"])),
            ip("198.51.100.4"),
            "several header lines read as one list"
        );
    }

    #[test]
    fn a_missing_or_unreadable_header_leaves_the_last_good_hop() {
        let proxies = TrustedProxies::parse("10.0.0.7").unwrap();
        assert_eq!(
            proxies.client_ip(ip("10.0.0.7"), &headers(&[])),
            ip("10.0.0.7")
        );
        assert_eq!(
            proxies.client_ip(ip("10.0.0.7"), &headers(&["203.0.113.9, garbage"])),
            ip("10.0.0.7")
        );
    }

    #[test]
    fn ipv4_mapped_peers_match_ipv4_proxies() {
        let proxies = TrustedProxies::parse("127.0.0.1").unwrap();
        assert!(proxies.trusts(ip("::ffff:127.0.0.1")));
    }

    #[test]
    fn bad_entries_are_named() {
        let err = TrustedProxies::parse("10.0.0.1, proxy.local").unwrap_err();
        assert!(err.contains("proxy.local"), "{err}");
    }
}
