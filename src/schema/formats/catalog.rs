//! The catalog of every named format the vendored schema uses, for `describe` and the docs.

use super::{Checked, FormatInfo};

macro_rules! entry {
    ($name:literal, $checked:ident, $summary:literal) => {
        FormatInfo { name: $name, checked: Checked::$checked, summary: $summary }
    };
}

/// Every format name of `apidoc/apidoc.json` (in parameters), sorted by name.
const CATALOG: &[FormatInfo] = &[
    entry!(
        "CIDR",
        Locally,
        "An IPv4 network with a prefix length of 8-32 or an IPv6 network with 8-128, e.g. 192.0.2.0/24."
    ),
    entry!("CIDRv4", Locally, "An IPv4 network with a prefix length of 8-32, e.g. 192.0.2.0/24."),
    entry!("CIDRv6", Locally, "An IPv6 network with a prefix length of 8-128, e.g. 2001:db8::/64."),
    entry!("FullRangeCIDR", Locally, "An IPv4 or IPv6 network with any prefix length, e.g. 0.0.0.0/0."),
    entry!("IPorCIDR", Locally, "An IP address or a network whose host bits are zero, e.g. 192.0.2.0/24."),
    entry!("IPorCIDRorAlias", Locally, "An IP address, a network whose host bits are zero, or a firewall alias name."),
    entry!("address", Locally, "An IP address or a DNS name."),
    entry!("address-list", Locally, "A list of IP addresses or DNS names."),
    entry!("backup-fleecing", PropertyString, "Backup fleecing options: [enabled=]<1|0>, storage=<storage ID>."),
    entry!(
        "backup-performance",
        PropertyString,
        "Backup performance options: max-workers=<1-256>, pbs-entries-max=<N>."
    ),
    entry!("bridge-pair-list", Locally, "A bridge map: '1', a default bridge, or source:target bridge pairs."),
    entry!("disk-size", Locally, "A size with an optional K, M, G or T suffix, e.g. 32G."),
    entry!("dns-name", Locally, "A DNS name: dot-separated labels of letters, digits and inner '-'."),
    entry!("dns-name-list", Locally, "A list of DNS names."),
    entry!("email-list", Locally, "A list of email addresses."),
    entry!("email-opt", Locally, "An email address, or empty."),
    entry!("email-or-username", Locally, "An email address or a user name."),
    entry!("email-or-username-list", Locally, "A list of email addresses or user names."),
    entry!("graphite-path", Locally, "A graphite metric path: dot-separated parts of letters, digits and inner '-'."),
    entry!("ip", Locally, "An IPv4 or IPv6 address."),
    entry!("ip-list", Locally, "A list of IPv4 or IPv6 addresses."),
    entry!("ipv4", Locally, "An IPv4 address, e.g. 192.0.2.1."),
    entry!("ipv4mask", Locally, "An IPv4 netmask, e.g. 255.255.255.0."),
    entry!("ipv6", Locally, "An IPv6 address, e.g. 2001:db8::1."),
    entry!("ldap-simple-attr", Locally, "An LDAP attribute name of letters and digits."),
    entry!("ldap-simple-attr-list", Locally, "A list of LDAP attribute names."),
    entry!(
        "lxc-ip-with-ll-iface-list",
        Locally,
        "A list of IP addresses; link-local IPv6 addresses may carry '%interface'."
    ),
    entry!("mac-addr", Locally, "A unicast MAC address XX:XX:XX:XX:XX:XX."),
    entry!("mac-prefix", Locally, "A unicast MAC address prefix of one to three bytes, e.g. BC:24:11."),
    entry!("pem-certificate-chain", Locally, "One or more PEM-encoded certificates."),
    entry!("pem-string", Locally, "A PEM-encoded block, e.g. a private key."),
    entry!(
        "proxmox-remote",
        PropertyString,
        "A remote endpoint: apitoken=..., host=<address>, port=<port>, fingerprint=<sha256>."
    ),
    entry!(
        "prune-backups",
        PropertyString,
        "Backup retention: keep-all, keep-last, keep-hourly, keep-daily, keep-weekly, keep-monthly, keep-yearly."
    ),
    entry!("pve-acme-alias", Locally, "A domain name used as ACME DNS alias, e.g. _acme.example.com."),
    entry!("pve-acme-domain", Locally, "A domain name with at least two labels, e.g. pve.example.com."),
    entry!("pve-acme-domain-list", Locally, "A list of ACME domain names."),
    entry!("pve-bridge-id", Locally, "A bridge name of letters, digits, '-', '_' and '.'."),
    entry!("pve-bridge-id-list", Locally, "A list of bridge names."),
    entry!("pve-calendar-event", Locally, "A systemd-like calendar event, e.g. 'daily', '*/15' or 'mon..fri 02:00'."),
    entry!("pve-command-batch", Locally, "A JSON array of API calls, each with path, method and optional args."),
    entry!("pve-configid", Locally, "An ID: a letter followed by letters, digits, '_' or '-'."),
    entry!("pve-configid-list", Locally, "A list of IDs, e.g. setting names to delete."),
    entry!("pve-cpuset", Locally, "Host CPU numbers and ranges, e.g. 0,5,8-11."),
    entry!("pve-ct-timezone", Locally, "'host', 'UTC' or a time zone of zone.tab, e.g. Europe/Vienna."),
    entry!("pve-day-of-week-list", Locally, "A list of weekdays: mon, tue, wed, thu, fri, sat, sun."),
    entry!("pve-dir-override-list", Locally, "A list of content=relative/path directory overrides."),
    entry!(
        "pve-fw-addr-spec",
        Locally,
        "A firewall address: an address, network, range or list, '+ipset' or an alias."
    ),
    entry!(
        "pve-fw-conntrack-helper",
        Locally,
        "Conntrack helpers: amanda, ftp, irc, netbios-ns, pptp, sane, sip, snmp, tftp."
    ),
    entry!(
        "pve-fw-dport-spec",
        Locally,
        "Destination ports, ranges, service names or an ICMP type; unknown service names are left to the node."
    ),
    entry!("pve-fw-icmp-type-spec", Locally, "An ICMP or ICMPv6 type, e.g. echo-request."),
    entry!(
        "pve-fw-protocol-spec",
        Locally,
        "An IP protocol name or number; unknown protocol names are left to the node."
    ),
    entry!(
        "pve-fw-sport-spec",
        Locally,
        "Source ports, ranges or service names; unknown service names are left to the node."
    ),
    entry!("pve-groupid", Locally, "A group name of letters, digits, '.', '-' and '_'."),
    entry!("pve-groupid-list", Locally, "A list of group names."),
    entry!("pve-ha-node-list", Locally, "HA nodes with optional priorities: node[:priority],..."),
    entry!("pve-ha-resource-id-list", Locally, "A list of HA resource IDs type:name, e.g. vm:100."),
    entry!("pve-ha-resource-or-vm-id", Locally, "An HA resource ID type:name or a guest ID."),
    entry!(
        "pve-hotplug-features",
        Locally,
        "'0', '1' or hotplug features: network, disk, cpu, memory, usb, cloudinit."
    ),
    entry!("pve-iface", Locally, "A network interface name, e.g. eth0, vmbr0 or bond0.100."),
    entry!("pve-iface-list", Locally, "A list of network interface names."),
    entry!("pve-ipv4-config", Locally, "'dhcp', 'manual' or an IPv4 address in CIDR notation."),
    entry!("pve-ipv6-config", Locally, "'auto', 'dhcp', 'manual' or an IPv6 address in CIDR notation."),
    entry!("pve-lxc-dev-string", Locally, "A device path below /dev/ without '.' or '..' segments."),
    entry!("pve-lxc-mp-string", Locally, "A mount point path without '.' or '..' segments."),
    entry!("pve-node", Locally, "A node name of letters, digits and inner '-'."),
    entry!("pve-node-list", Locally, "A list of node names."),
    entry!("pve-phys-bits", Locally, "A number of physical address bits from 8 to 64, or 'host'."),
    entry!("pve-poolid", Locally, "A pool name, up to three levels separated by '/'."),
    entry!("pve-priv-list", Locally, "A list of privileges, e.g. VM.Audit,Datastore.Allocate."),
    entry!("pve-qemu-sev-fmt", PropertyString, "AMD SEV options: [type=]<std|es|snp> and policy flags."),
    entry!("pve-qemu-tdx-fmt", PropertyString, "Intel TDX options: [type=]tdx, attestation, vsock-cid, vsock-port."),
    entry!("pve-qm-boot", PropertyString, "Boot order: order=<device;device...> (or the legacy [acdn] letters)."),
    entry!("pve-qm-bootdisk", Locally, "A disk slot such as scsi0, virtio0, sata0 or ide0."),
    entry!("pve-qm-cicustom", PropertyString, "Custom cloud-init files: meta, network, user, vendor volumes."),
    entry!("pve-qm-hostpci", PropertyString, "A PCI passthrough device: [host=]<id> or mapping=<id> with options."),
    entry!("pve-qm-ide", PropertyString, "An IDE drive: [file=]<volume> with drive options."),
    entry!("pve-qm-ipconfig", PropertyString, "Cloud-init IP configuration: ip, gw, ip6, gw6."),
    entry!(
        "pve-qm-rng",
        PropertyString,
        "A VirtIO RNG: [source=]</dev/urandom|/dev/random|/dev/hwrng>, max_bytes, period."
    ),
    entry!(
        "pve-qm-smbios1",
        PropertyString,
        "SMBIOS type 1 fields: uuid, manufacturer, product, version, serial, sku, family, base64."
    ),
    entry!("pve-qm-watchdog", PropertyString, "A watchdog: [model=]<i6300esb|ib700>, action=<enum>."),
    entry!("pve-realm", Locally, "A realm: a letter followed by letters, digits, '.', '-' or '_'."),
    entry!("pve-replication-job-id", Locally, "A replication job ID GUEST-JOBNUM, e.g. 100-0."),
    entry!("pve-roleid", Locally, "A role name of letters, digits, '.', '-' and '_'."),
    entry!("pve-roleid-list", Locally, "A list of role names."),
    entry!("pve-sdn-bgp-rt-list", Locally, "A list of BGP route targets ASN:NUMBER."),
    entry!("pve-sdn-dhcp-range", PropertyString, "A DHCP range: start-address=<ip>, end-address=<ip>."),
    entry!("pve-sdn-fabric-id", Locally, "An SDN fabric ID of up to 8 letters, digits and inner '-'."),
    entry!(
        "pve-sdn-fabric-wireguard-interface",
        PropertyString,
        "A WireGuard interface: name, ip, ip6, listen_port, public_key."
    ),
    entry!("pve-sdn-isis-net", Locally, "An IS-IS network entity title, e.g. 49.0001.1921.6800.1001.00."),
    entry!("pve-sdn-prefix-list-id", Locally, "An SDN prefix list ID that is not reserved."),
    entry!("pve-sdn-route-map-id", Locally, "An SDN route map ID that is not reserved."),
    entry!("pve-sdn-subnet-id", Locally, "An SDN subnet: a CIDR or zone-address-prefixlength."),
    entry!("pve-startup-order", Locally, "Startup options: [order=]N, up=N, down=N."),
    entry!(
        "pve-storage-content",
        Locally,
        "A content type: backup, images, import, iso, none, rootdir, snippets or vztmpl."
    ),
    entry!("pve-storage-content-list", Locally, "A list of content types."),
    entry!("pve-storage-id", Locally, "A storage ID: a letter, then letters, digits, '-', '_' or '.'."),
    entry!("pve-storage-id-list", Locally, "A list of storage IDs."),
    entry!("pve-storage-options", Locally, "Mount options without white space."),
    entry!("pve-storage-path", Locally, "An absolute path."),
    entry!(
        "pve-storage-path-in-property-string",
        Locally,
        "An absolute path without ',', '=', ';', '(' or ')' right after the leading '/'."
    ),
    entry!("pve-storage-portal-dns", Locally, "A host name or IP address with an optional port."),
    entry!("pve-storage-portal-dns-list", Locally, "A list of host names or IP addresses with optional ports."),
    entry!("pve-storage-server", Locally, "A server name or IP address."),
    entry!("pve-storage-vgname", Locally, "An LVM volume group or thin pool name."),
    entry!(
        "pve-storage-zfs-blocksize",
        Locally,
        "A power of 2 from 512 bytes to 16 MiB with an optional k or m suffix."
    ),
    entry!("pve-tag-list", Locally, "A list of tags of letters, digits, '_', '-', '+' and '.'."),
    entry!("pve-task-status-type-list", Locally, "A list of task states: ok, error, warning, unknown."),
    entry!("pve-tfa-config", PropertyString, "Realm TFA settings: type=<yubico|oath> with id, key, url, digits, step."),
    entry!("pve-tokenid-list", Locally, "A list of API token IDs user@realm!token."),
    entry!("pve-userid", Locally, "A user ID name@realm of 3 to 64 characters."),
    entry!("pve-userid-list", Locally, "A list of user IDs."),
    entry!("pve-vlan-id-or-range-list", Locally, "A list of VLAN IDs (2-4094) and ranges low-high."),
    entry!(
        "pve-vm-cpu-conf",
        PropertyString,
        "A VM CPU: [cputype=]<type> with flags and options; custom- models are checked by the cluster."
    ),
    entry!("pve-vmid", Locally, "A guest ID from 100 to 999999999."),
    entry!("pve-vmid-list", Locally, "A list of guest IDs."),
    entry!("pve-volume-id", Locally, "A volume ID storage:volume."),
    entry!("pve-volume-id-or-absolute-path", Locally, "A volume ID storage:volume or an absolute path."),
    entry!("pve-volume-id-or-qm-path", Locally, "A volume ID, an absolute path, 'none' or 'cdrom'."),
    entry!(
        "realm-sync-options",
        PropertyString,
        "Realm sync defaults: scope, remove-vanished, enable-new, full, purge."
    ),
    entry!("storage-pair-list", Locally, "A storage map: '1', a default storage, or source:target storage pairs."),
    entry!("string-list", Locally, "A list of strings, not checked further."),
    entry!("urlencoded", Locally, "A URL-encoded string."),
];

/// Every format name the vendored schema uses, sorted by name.
pub fn catalog() -> &'static [FormatInfo] {
    CATALOG
}
