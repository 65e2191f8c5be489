//! Which addresses an outbound request may reach.
//!
//! Every IP address is either public (a global unicast address) or in one [`AddressClass`]. A
//! [`Policy`] is the set of classes allowed besides public addresses; the default allows none.
//! IPv6 forms that carry an IPv4 address (IPv4-mapped `::ffff:a.b.c.d`, the deprecated
//! IPv4-compatible `::a.b.c.d`, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`) are classed by the IPv4
//! address they carry, so `::ffff:127.0.0.1` is loopback like `127.0.0.1`.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A kind of address that is not on the public internet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AddressClass {
    /// `127.0.0.0/8`, `::1`: this machine.
    Loopback,
    /// `10/8`, `172.16/12`, `192.168/16`, unique-local `fc00::/7`, site-local `fec0::/10`.
    Private,
    /// `169.254/16` (cloud metadata services live here), `fe80::/10`.
    LinkLocal,
    /// Carrier-grade NAT, `100.64/10`.
    SharedNat,
    /// `0.0.0.0/8` and `::`: on Linux, connecting to `0.0.0.0` reaches this machine.
    Unspecified,
    /// Multicast, broadcast, documentation, benchmarking, IETF protocol assignments, the
    /// reserved `240/4`, other special IPv6 ranges: nothing a server-side fetch has business with.
    Reserved,
}

impl AddressClass {
    const ALL: [AddressClass; 6] = [
        AddressClass::Loopback,
        AddressClass::Private,
        AddressClass::LinkLocal,
        AddressClass::SharedNat,
        AddressClass::Unspecified,
        AddressClass::Reserved,
    ];

    /// The class of `ip`, or `None` for a public address.
    pub fn of(ip: IpAddr) -> Option<AddressClass> {
        match ip {
            IpAddr::V4(v4) => class_v4(v4),
            IpAddr::V6(v6) => class_v6(v6),
        }
    }

    const fn bit(self) -> u8 {
        1 << self as u8
    }

    /// How the class reads in a sentence: "a loopback address".
    pub fn describe(self) -> &'static str {
        match self {
            AddressClass::Loopback => "a loopback address",
            AddressClass::Private => "a private-network address",
            AddressClass::LinkLocal => "a link-local address",
            AddressClass::SharedNat => "a carrier-grade NAT address",
            AddressClass::Unspecified => "the unspecified address (0.0.0.0 or ::)",
            AddressClass::Reserved => "a reserved or non-unicast address",
        }
    }
}

impl fmt::Display for AddressClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

fn class_v4(ip: Ipv4Addr) -> Option<AddressClass> {
    let o = ip.octets();
    let class = if o[0] == 0 {
        AddressClass::Unspecified // "this network", 0/8
    } else if ip.is_loopback() {
        AddressClass::Loopback
    } else if ip.is_private() {
        AddressClass::Private
    } else if ip.is_link_local() {
        AddressClass::LinkLocal
    } else if o[0] == 100 && (o[1] & 0xc0) == 64 {
        AddressClass::SharedNat
    } else if ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || (o[0] == 192 && o[1] == 0 && o[2] == 0) // IETF protocol assignments
        || (o[0] == 192 && o[1] == 88 && o[2] == 99) // 6to4 relay anycast (deprecated)
        || (o[0] == 198 && (o[1] & 0xfe) == 18) // benchmarking 198.18/15
        || o[0] >= 240
    {
        AddressClass::Reserved
    } else {
        return None;
    };
    Some(class)
}

fn class_v6(ip: Ipv6Addr) -> Option<AddressClass> {
    let seg = ip.segments();
    if ip.is_unspecified() {
        return Some(AddressClass::Unspecified);
    }
    if ip.is_loopback() {
        return Some(AddressClass::Loopback);
    }
    // Forms that carry an IPv4 address are what that address is.
    if let Some(v4) = ip.to_ipv4_mapped() {
        return class_v4(v4);
    }
    let low_v4 = || {
        Ipv4Addr::new(
            (seg[6] >> 8) as u8,
            seg[6] as u8,
            (seg[7] >> 8) as u8,
            seg[7] as u8,
        )
    };
    if seg[0..6] == [0, 0, 0, 0, 0, 0] {
        // IPv4-compatible (deprecated): `::a.b.c.d`.
        return class_v4(low_v4()).or(Some(AddressClass::Reserved));
    }
    if seg[0..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        // NAT64: reaches the IPv4 address it carries.
        return class_v4(low_v4());
    }
    if seg[0] == 0x2002 {
        // 6to4: the IPv4 address is in the second and third segments.
        let v4 = Ipv4Addr::new(
            (seg[1] >> 8) as u8,
            seg[1] as u8,
            (seg[2] >> 8) as u8,
            seg[2] as u8,
        );
        return class_v4(v4);
    }
    let class = if (seg[0] & 0xfe00) == 0xfc00 || (seg[0] & 0xffc0) == 0xfec0 {
        AddressClass::Private // unique local fc00::/7, site-local fec0::/10
    } else if (seg[0] & 0xffc0) == 0xfe80 {
        AddressClass::LinkLocal
    } else if ip.is_multicast()
        || (seg[0] == 0x2001 && seg[1] == 0x0db8) // documentation
        || (seg[0] == 0x0064 && seg[1] == 0xff9b) // local-use NAT64 64:ff9b:1::/48
        || (seg[0] == 0x0100 && seg[1..4] == [0, 0, 0]) // discard-only 100::/64
        || (seg[0] == 0x2001 && seg[1] < 0x0200) // IETF protocol assignments, Teredo
        || (seg[0] & 0xe000) != 0x2000
    // outside 2000::/3, the global unicast range
    {
        AddressClass::Reserved
    } else {
        return None;
    };
    Some(class)
}

/// The address classes outbound requests may reach besides public addresses.
///
/// The default allows none: a server-side request goes to the public internet only. An
/// installation that fetches from its own network (an intranet feed, a PDS on the same host)
/// opens classes explicitly; [`Policy::allow_private_addresses`] is what the configuration
/// switch `ingest.allow_private_addresses` means.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub struct Policy {
    allowed: u8,
}

impl Policy {
    /// Public addresses only.
    pub const fn public_only() -> Policy {
        Policy { allowed: 0 }
    }

    /// This policy, also allowing `class`.
    #[must_use]
    pub const fn allow(self, class: AddressClass) -> Policy {
        Policy {
            allowed: self.allowed | class.bit(),
        }
    }

    /// Loopback, private networks, link-local and carrier-grade NAT: the networks an
    /// installation may run its own services on. The unspecified address and reserved ranges
    /// stay refused (write `127.0.0.1`, not `0.0.0.0`).
    pub const fn local_networks() -> Policy {
        Policy::public_only()
            .allow(AddressClass::Loopback)
            .allow(AddressClass::Private)
            .allow(AddressClass::LinkLocal)
            .allow(AddressClass::SharedNat)
    }

    /// What a configuration switch such as `ingest.allow_private_addresses` means: off, public
    /// addresses only; on, [`Policy::local_networks`] too.
    pub const fn allow_private_addresses(allow: bool) -> Policy {
        if allow {
            Policy::local_networks()
        } else {
            Policy::public_only()
        }
    }

    /// Whether addresses of `class` are allowed.
    pub const fn allows(&self, class: AddressClass) -> bool {
        self.allowed & class.bit() != 0
    }

    /// Checks one address: `Err` names its class when it is refused.
    pub fn check(&self, ip: IpAddr) -> Result<(), AddressClass> {
        match AddressClass::of(ip) {
            Some(class) if !self.allows(class) => Err(class),
            _ => Ok(()),
        }
    }
}

impl fmt::Debug for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let allowed: Vec<AddressClass> = AddressClass::ALL
            .into_iter()
            .filter(|c| self.allows(*c))
            .collect();
        f.debug_struct("Policy")
            .field("public", &true)
            .field("also", &allowed)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_address_has_its_class() {
        use AddressClass::*;
        let table: &[(&str, Option<AddressClass>)] = &[
            ("127.0.0.1", Some(Loopback)),
            ("127.5.5.5", Some(Loopback)),
            ("::1", Some(Loopback)),
            ("::ffff:127.0.0.1", Some(Loopback)),
            ("::127.0.0.1", Some(Loopback)),
            ("64:ff9b::7f00:1", Some(Loopback)),
            ("2002:7f00:1::", Some(Loopback)),
            ("10.1.2.3", Some(Private)),
            ("172.16.0.1", Some(Private)),
            ("172.31.255.255", Some(Private)),
            ("192.168.1.1", Some(Private)),
            ("::ffff:10.0.0.1", Some(Private)),
            ("fc00::1", Some(Private)),
            ("fd12:3456::1", Some(Private)),
            ("fec0::1", Some(Private)),
            ("169.254.169.254", Some(LinkLocal)),
            ("fe80::1", Some(LinkLocal)),
            ("::ffff:169.254.169.254", Some(LinkLocal)),
            ("100.64.0.1", Some(SharedNat)),
            ("100.127.255.255", Some(SharedNat)),
            ("0.0.0.0", Some(Unspecified)),
            ("0.1.2.3", Some(Unspecified)),
            ("::", Some(Unspecified)),
            ("::ffff:0.0.0.0", Some(Unspecified)),
            ("255.255.255.255", Some(Reserved)),
            ("224.0.0.1", Some(Reserved)),
            ("198.18.0.1", Some(Reserved)),
            ("192.0.2.1", Some(Reserved)),
            ("192.0.0.8", Some(Reserved)),
            ("240.0.0.1", Some(Reserved)),
            ("ff02::1", Some(Reserved)),
            ("2001:db8::1", Some(Reserved)),
            ("2001::1", Some(Reserved)),
            ("64:ff9b:1::1", Some(Reserved)),
            ("::2", Some(Unspecified)),
            ("::1.1.1.1", Some(Reserved)),
            ("93.184.215.14", None),
            ("1.1.1.1", None),
            ("172.32.0.1", None),
            ("100.128.0.1", None),
            ("2606:4700::1111", None),
            ("::ffff:1.1.1.1", None),
            ("64:ff9b::101:101", None),
            ("2a00:1450:4001::200e", None),
        ];
        for (ip, want) in table {
            let parsed: IpAddr = ip.parse().unwrap();
            assert_eq!(AddressClass::of(parsed), *want, "{ip}");
        }
    }

    #[test]
    fn policies_allow_what_they_name() {
        let lo: IpAddr = "127.0.0.1".parse().unwrap();
        let zero: IpAddr = "0.0.0.0".parse().unwrap();
        let meta: IpAddr = "169.254.169.254".parse().unwrap();
        let public: IpAddr = "1.1.1.1".parse().unwrap();
        let strict = Policy::default();
        assert_eq!(strict, Policy::public_only());
        assert_eq!(strict.check(lo), Err(AddressClass::Loopback));
        assert_eq!(strict.check(meta), Err(AddressClass::LinkLocal));
        assert_eq!(strict.check(public), Ok(()));
        let local = Policy::allow_private_addresses(true);
        assert_eq!(local, Policy::local_networks());
        assert_eq!(local.check(lo), Ok(()));
        assert_eq!(local.check(meta), Ok(()));
        assert_eq!(local.check(zero), Err(AddressClass::Unspecified));
        assert_eq!(
            Policy::allow_private_addresses(false),
            Policy::public_only()
        );
        let only_lo = Policy::public_only().allow(AddressClass::Loopback);
        assert_eq!(only_lo.check(lo), Ok(()));
        assert_eq!(
            only_lo.check("10.0.0.1".parse().unwrap()),
            Err(AddressClass::Private)
        );
        assert_eq!(
            format!("{only_lo:?}"),
            "Policy { public: true, also: [Loopback] }"
        );
    }
}
