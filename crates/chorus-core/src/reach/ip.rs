//! The address the consent ledger keeps: truncated, never the full one. IPv4 keeps its /24,
//! IPv6 its /48 (an IPv4-mapped IPv6 address is treated as the IPv4 address it carries). Enough
//! to show where consent came from roughly (the ICO's "how"), not enough to name a household.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The network an address belongs to, as stored: `203.0.113.0/24` or `2001:db8:1::/48`.
pub fn truncate(ip: IpAddr) -> String {
    let ip = match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        v4 => v4,
    };
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            format!("{}/24", Ipv4Addr::new(a, b, c, 0))
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{}/48", Ipv6Addr::new(s[0], s[1], s[2], 0, 0, 0, 0, 0))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_keep_only_their_network() {
        for (ip, stored) in [
            ("203.0.113.77", "203.0.113.0/24"),
            ("10.0.0.1", "10.0.0.0/24"),
            ("255.255.255.255", "255.255.255.0/24"),
            ("2001:db8:1:2:3:4:5:6", "2001:db8:1::/48"),
            ("2001:db8:abcd:ffff::1", "2001:db8:abcd::/48"),
            ("::1", "::/48"),
            ("::ffff:198.51.100.9", "198.51.100.0/24"),
        ] {
            let ip: IpAddr = ip.parse().unwrap();
            assert_eq!(truncate(ip), stored, "{ip}");
        }
    }
}
