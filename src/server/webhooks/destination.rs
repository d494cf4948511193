//! Where deliveries may go. An Org Manager types the endpoint; without a
//! guard, the delivery list's HTTP statuses would let one organisation's
//! manager probe the network Roster runs in. So, checked on every delivery
//! against the address actually connected to (after DNS, so a name cannot
//! point somewhere else later):
//! - loopback is allowed (a receiver on this machine, as the issue asks);
//! - link-local (169.254.0.0/16: cloud metadata; fe80::/10), unspecified,
//!   multicast and broadcast addresses are always refused;
//! - private networks (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7)
//!   are refused unless `ROSTER_WEBHOOK_PRIVATE_ADDRESSES=allow`, for an HR
//!   system inside the same network.

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PrivateAddresses {
    #[default]
    Refused,
    Allowed,
}

impl PrivateAddresses {
    /// `ROSTER_WEBHOOK_PRIVATE_ADDRESSES`: `refuse` (the default) or `allow`.
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "refuse" => Ok(PrivateAddresses::Refused),
            "allow" => Ok(PrivateAddresses::Allowed),
            other => Err(format!("“{other}” is neither refuse nor allow.")),
        }
    }
}

/// Why no delivery may go to `ip`, if none may.
pub fn refusal(ip: IpAddr, private: PrivateAddresses) -> Option<String> {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    };
    if ip.is_loopback() {
        return None;
    }
    if is_special(ip) {
        return Some(format!("Refused: {ip} is a link-local or special address."));
    }
    if is_private(ip) && private == PrivateAddresses::Refused {
        return Some(format!(
            "Refused: {ip} is a private address (ROSTER_WEBHOOK_PRIVATE_ADDRESSES=allow permits it)."
        ));
    }
    None
}

fn is_special(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_multicast()
                || v4.is_broadcast()
                || v4.octets()[0] == 0
        }
        IpAddr::V6(v6) => {
            (v6.segments()[0] & 0xffc0) == 0xfe80 || v6.is_unspecified() || v6.is_multicast()
        }
    }
}

fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_private() || in_v4(v4, Ipv4Addr::new(100, 64, 0, 0), 10),
        IpAddr::V6(v6) => (v6.segments()[0] & 0xfe00) == 0xfc00 || v6 == Ipv6Addr::UNSPECIFIED,
    }
}

fn in_v4(ip: Ipv4Addr, network: Ipv4Addr, prefix: u32) -> bool {
    let mask = u32::MAX << (32 - prefix);
    u32::from(ip) & mask == u32::from(network) & mask
}

/// A refused destination, as the delivery list words it.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct RefusedDestination(pub String);

/// The system resolver, keeping only the addresses deliveries may go to.
pub struct GuardedResolver(pub PrivateAddresses);

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let private = self.0;
        let host = name.as_str().to_string();
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let mut why = None;
            let allowed: Vec<SocketAddr> = found
                .into_iter()
                .filter(|address| match refusal(address.ip(), private) {
                    Some(reason) => {
                        why.get_or_insert(reason);
                        false
                    }
                    None => true,
                })
                .collect();
            if allowed.is_empty() {
                let reason = why.unwrap_or_else(|| format!("{host} has no address."));
                return Err(Box::new(RefusedDestination(format!("{host}: {reason}"))) as _);
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_and_public_go_private_only_when_allowed_special_never() {
        let refused = PrivateAddresses::Refused;
        let allowed = PrivateAddresses::Allowed;
        for ok in ["127.0.0.1", "::1", "93.184.216.34", "2606:2800:220:1::1"] {
            assert_eq!(refusal(ok.parse().unwrap(), refused), None, "{ok}");
        }
        for private in [
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "100.64.0.1",
            "fd00::1",
            "::ffff:10.0.0.1",
        ] {
            let ip: IpAddr = private.parse().unwrap();
            assert!(
                refusal(ip, refused).unwrap().contains("private"),
                "{private}"
            );
            assert_eq!(refusal(ip, allowed), None, "{private}");
        }
        for special in [
            "169.254.169.254",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "fe80::1",
            "::",
        ] {
            let ip: IpAddr = special.parse().unwrap();
            assert!(refusal(ip, allowed).is_some(), "{special}");
        }
        assert_eq!(refusal("172.32.0.1".parse().unwrap(), refused), None);
        assert_eq!(PrivateAddresses::parse(" Allow ").unwrap(), allowed);
        assert!(PrivateAddresses::parse("yes").is_err());
    }
}
