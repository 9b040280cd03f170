//! Table-driven tests: for every named format, values PVE accepts and values it refuses.

use super::{Verdict, check};

/// Asserts the verdict class of each value: valid, invalid or not checked.
fn expect(format: &str, valid: &[&str], invalid: &[&str]) {
    for v in valid {
        let verdict = check(format, v);
        assert!(matches!(verdict, Verdict::Valid), "{format}: {v:?} should be valid, got {verdict:?}");
    }
    for v in invalid {
        let verdict = check(format, v);
        assert!(matches!(verdict, Verdict::Invalid(_)), "{format}: {v:?} should be invalid, got {verdict:?}");
    }
}

fn not_checked(format: &str, values: &[&str]) {
    for v in values {
        let verdict = check(format, v);
        assert!(matches!(verdict, Verdict::NotChecked(_)), "{format}: {v:?} should not be checked, got {verdict:?}");
    }
}

#[test]
fn addresses() {
    expect(
        "ipv4",
        &["192.0.2.1", "0.0.0.0", "255.255.255.255", "10.0.0.1\n"],
        &["", "01.2.3.4", "1.2.3", "256.1.1.1", " 1.2.3.4", "1.2.3.4 "],
    );
    expect(
        "ipv6",
        &["::", "::1", "2001:db8::1", "fe80::1:2:3:4", "1:2:3:4:5:6:7:8", "::ffff:192.0.2.1", "2001:DB8::A", "1::"],
        &["", "1:2:3:4:5:6:7:8:9", "1::2::3", ":1", "12345::", "g::1", "192.0.2.1"],
    );
    expect("ip", &["192.0.2.1", "::1"], &["host.example", "", "1.2.3.4/24"]);
    expect(
        "ipv4mask",
        &["255.255.255.0", "0.0.0.0", "255.255.255.255", "255.255.128.0"],
        &["255.255.0.255", "255.255.255.0\n", "24"],
    );
    expect(
        "CIDRv4",
        &["192.0.2.0/24", "10.0.0.1/8", "10.0.0.0/32", "10.0.0.0/08"],
        &["10.0.0.0/7", "10.0.0.0/33", "10.0.0.0", "10.0.0.0/"],
    );
    expect("CIDRv6", &["2001:db8::/64", "::/8", "::1/128"], &["::/7", "::1/129", "::1"]);
    expect("CIDR", &["192.0.2.0/24", "2001:db8::/32"], &["192.0.2.0", "x/24"]);
    expect(
        "FullRangeCIDR",
        &["0.0.0.0/0", "10.0.0.0/8", "::/0", "2001:db8::/128", "192.0.2.1"],
        &["10.0.0.0/33", "::/129", "x"],
    );
    expect("pve-ipv4-config", &["dhcp", "manual", "192.0.2.10/24"], &["auto", "192.0.2.10", "DHCP"]);
    expect("pve-ipv6-config", &["auto", "dhcp", "manual", "2001:db8::10/64"], &["2001:db8::10", "static"]);
    expect(
        "mac-addr",
        &["BC:24:11:00:00:01", "02:00:00:00:00:00", "bc:24:11:aa:bb:cc"],
        &["01:00:00:00:00:00", "BC:24:11:00:00", "BC-24-11-00-00-01", ""],
    );
    expect("mac-prefix", &["BC:24:11", "BC:24", "BC", "BC:24:11:"], &["BD:24", "BC:24:11:00", ""]);
    expect("address", &["192.0.2.1", "::1", "pve1.example.com", "localhost"], &["-bad", "a_b", ""]);
    expect("address-list", &["192.0.2.1 192.0.2.2", "1.1.1.1,8.8.8.8;9.9.9.9", ""], &["1.1.1.1,bad_name"]);
    expect("ip-list", &["192.0.2.1,::1", "1.2.3.4\0::1"], &["192.0.2.1,foo"]);
    expect("dns-name", &["example.com", "a", "a-b.c1"], &["-a", "a-", "a..b", "a_b", ""]);
    expect("dns-name-list", &["example.com other.org", ""], &["example.com bad_"]);
    expect("graphite-path", &["proxmox", "pve.metrics"], &["pve/metrics", ""]);
    expect(
        "pve-iface",
        &["eth0", "vmbr0", "bond0.100", "enp3s0f1", "eth0:1", "ETH0"],
        &["e", "0eth", "eth-0", "a234567890123456789012"],
    );
    expect("pve-iface-list", &["eth0 eth1", "eth0,eth1;eth2"], &["eth0 -x"]);
    expect("lxc-ip-with-ll-iface-list", &["192.0.2.1", "fe80::1%eth0", "::1 8.8.8.8"], &["fe80::1%", "fe80::1%-x"]);
    expect(
        "pve-storage-portal-dns",
        &[
            "192.0.2.1",
            "192.0.2.1:3260",
            "iscsi.example.com:3260",
            "[2001:db8::1]:3260",
            "2001:db8::1",
            "2001:db8::1.3260",
        ],
        &["host:port", "a b", ""],
    );
    expect("pve-storage-portal-dns-list", &["10.0.0.1 10.0.0.2:6789", "mon1;mon2"], &["mon1 a:b"]);
    expect("pve-storage-server", &["nfs.example.com", "192.0.2.5"], &["nfs.example.com:2049", ""]);
    expect("pve-vlan-id-or-range-list", &["2 4 100-200", "4094", "5-0", ""], &["1", "4095", "200-100", "10-10", "a"]);
    expect("pve-acme-domain", &["pve.example.com", "a_b.example"], &["example", "-a.example", "a..b"]);
    expect("pve-acme-domain-list", &["a.example;b.example"], &["a.example;nodot"]);
    expect("pve-acme-alias", &["_acme.example.com", "x.y"], &["single", "a.-b"]);
    expect("pve-sdn-bgp-rt-list", &["65000:100", "1:1,4294967295:0"], &["65000", "4294967296:1", "a:b"]);
    expect("pve-sdn-isis-net", &["49.0001.1921.6800.1001.00"], &["49.0001.00", "49.0001.1921.6800.1001.0"]);
    expect(
        "pve-sdn-subnet-id",
        &["10.0.0.0/24", "myzone-10.0.0.0-24", "z-fd00::-64"],
        &["myzone-10.0.0.0", "10.0.0.0"],
    );
}

#[test]
fn emails() {
    expect("email-list", &["root@example.com,admin@example.org", "a.b+c@d-e.f", ""], &["root", "a@b..c", "a@"]);
    expect("email-opt", &["", "0", "root@example.com"], &["root"]);
    expect("email-or-username", &["root", "root@example.com", "first.last"], &["a b", "", "a..b"]);
    expect("email-or-username-list", &["root,admin@example.com"], &["root,x@y@z"]);
}

#[test]
fn identifiers() {
    expect("pve-node", &["pve1", "node-a", "A", "9"], &["-pve", "pve-", "pve_1", "pve.example", ""]);
    expect("pve-node-list", &["pve1,pve2", "pve1 pve2;pve3", "", "pve1\0pve2"], &["pve1,-x", "pve1\0\0pve2"]);
    // The integer form of a VM ID, as its decimal text; the format runs before the range check.
    expect(
        "pve-vmid",
        &["100", "999999999", "12345", "100\n"],
        &["99", "0100", "+100", "1000000000", "abc", "", "1e3"],
    );
    expect("pve-vmid-list", &["100,101", "100 101;102", "100\u{0}101", ""], &["100,abc", "99"]);
    expect("pve-configid", &["net0", "ab", "a-b_c", "NET0"], &["a", "0net", "a.b", ""]);
    expect("pve-configid-list", &["net1,scsi2;ide0 unused0", "delete-me"], &["net1,x"]);
    expect("pve-storage-id", &["local", "local-lvm", "a.b_c9", "LOCAL"], &["a", "0local", "local-", "lo cal"]);
    expect("pve-storage-id-list", &["local,nfs1"], &["local,-x"]);
    expect("pve-bridge-id", &["vmbr0", "br-lan", "vnet.1", "_x"], &["br 0", "br:0", ""]);
    expect("pve-bridge-id-list", &["vmbr0 vmbr1"], &["vmbr0 br/1"]);
    expect(
        "storage-pair-list",
        &["1", "local-lvm", "local:nfs", "local:nfs1,nfs:local", "1\0local"],
        &["local:a:b", "-x", ":a"],
    );
    expect("bridge-pair-list", &["1", "vmbr0", "vmbr0:vmbr1"], &["vmbr0:", "a:b:c"]);
    expect("pve-realm", &["pam", "pve", "my-ldap.1"], &["p", "1pam", "a b"]);
    expect(
        "pve-userid",
        &["root@pam", "user.name@my-realm", "a@pve"],
        &["root", "root@", "@pam", "a:b@pve", "a/b@pve", "root@p"],
    );
    expect("pve-userid-list", &["root@pam,admin@pve"], &["root"]);
    expect("pve-tokenid-list", &["root@pam!mytoken", "a@pve!t1,b@pve!t2"], &["root@pam", "root@pam!", "root@pam!1t"]);
    expect("pve-groupid", &["admins", "ops-team_1.x"], &["a b", "a/b", ""]);
    expect("pve-groupid-list", &["admins,ops"], &["admins,a:b"]);
    expect("pve-roleid", &["PVEAdmin", "custom-role"], &["a b", ""]);
    expect("pve-roleid-list", &["PVEAdmin PVEAuditor"], &["PVEAdmin,x!"]);
    expect("pve-poolid", &["pool1", "parent/child", "a/b/c"], &["a/b/c/d", "/a", "a/", "a b"]);
    expect("pve-priv-list", &["VM.Audit,Datastore.Allocate", "Sys.Modify;SDN.Use", ""], &["VM.audit", "VM.Fly"]);
    expect("pve-tag-list", &["prod;web", "a+b.c-d_e", "tag1 tag2", "_x"], &["-tag", ".tag", "tag!"]);
    expect("pve-ha-node-list", &["node1", "node1:2,node2:1", "node1:10 node2"], &["node1:", "node1:a", "-node"]);
    expect("pve-ha-resource-id-list", &["vm:100", "vm:100,ct:101"], &["100", "VM:100", "vm:"]);
    expect("pve-ha-resource-or-vm-id", &["vm:100", "ct:200", "100"], &["VM:100", "vm:", "abc"]);
    expect("pve-sdn-fabric-id", &["fab1", "ab", "a", "A-b-C-d"], &["abcdefghi", "-ab", "a_b"]);
    expect("pve-sdn-prefix-list-id", &["pl1", "a_b-c"], &["only_default", "loopbacks_ips", "-x"]);
    expect("pve-sdn-route-map-id", &["rm1", "my_map"], &["pve_internal", "MAP_VTEP_IN", "correct_src", "_x"]);
    expect("pve-replication-job-id", &["100-0", "12345-99"], &["99-0", "100", "100-a", "abc-1"]);
    expect("ldap-simple-attr", &["uid", "sAMAccountName"], &["mail-addr", ""]);
    expect("ldap-simple-attr-list", &["groupOfNames, group, univentionGroup"], &["group_of"]);
    expect("pve-task-status-type-list", &["ok,error", "WARNING unknown"], &["failed"]);
    expect("pve-day-of-week-list", &["mon,tue", "sat sun", ""], &["Mon", "monday"]);
    expect("urlencoded", &["", "QEMU%20HARDDISK", "a-b_c.d!e~f*g'h(i)"], &["a b", "a,b", "ä"]);
    expect("string-list", &["anything, at all;\0really", ""], &[]);
}

#[test]
fn storage() {
    expect("disk-size", &["32G", "1.5T", "1024", "10K"], &["32GB", "1,5G", "-1G", "", "G"]);
    expect(
        "pve-volume-id",
        &["local:iso/debian.iso", "local-lvm:vm-100-disk-0", "nfs:100/vm-100-disk-0.qcow2"],
        &["local", ":x", "0local:x", "local:"],
    );
    expect("pve-volume-id-or-qm-path", &["none", "cdrom", "/dev/sdb", "local:iso/x.iso"], &["None", "sdb", ""]);
    expect(
        "pve-volume-id-or-absolute-path",
        &["/var/lib/vz/images/x.raw", "local:100/x.raw"],
        &["cdrom", "relative/path"],
    );
    expect("pve-storage-path", &["/mnt/data", "/a;b", "/ x"], &["mnt/data", "/", "/;x", "/(x"]);
    expect("pve-storage-path-in-property-string", &["/mnt/share", "/a,b"], &["/,x", "/=x", "share"]);
    expect("pve-storage-vgname", &["pve", "data-vg", "0vg"], &["-vg", "vg-", "v"]);
    expect("pve-storage-zfs-blocksize", &["", "8k", "128K", "1M", "512", "16m"], &["1000", "256", "32m", "08k", "8g"]);
    expect("pve-storage-options", &["vers=4.2,soft", "nolock"], &["a b", ""]);
    expect("pve-storage-content", &["images", "rootdir", "import", "none"], &["image", "Images", ""]);
    expect("pve-storage-content-list", &["images,rootdir", "iso vztmpl;backup snippets"], &["images,disks"]);
    expect(
        "pve-dir-override-list",
        &["iso=isos", "images=vm/images,backup=dumps"],
        &["iso=../x", "iso=a..b", "disks=x", "iso="],
    );
}

#[test]
fn guests() {
    expect("pve-cpuset", &["0", "0,5,8-11", " 1-3 ", "2-2", ""], &["3-1", "a", "0,,1", ",1", "1-"]);
    expect(
        "pve-hotplug-features",
        &["0", "1", "network,disk,usb", "cpu;memory cloudinit", ""],
        &["net", "network,foo"],
    );
    expect(
        "pve-qm-bootdisk",
        &["scsi0", "virtio15", "ide3", "sata5", "efidisk0", "tpmstate0"],
        &["scsi31", "ide4", "scsi01", "net0"],
    );
    expect("pve-qm-bootdev-list", &["scsi0;net0", "ide2 hostpci0 usb13"], &["efidisk0", "net32", "usb14"]);
    expect("pve-phys-bits", &["host", "8", "64", "40"], &["7", "65", "100", "Host"]);
    expect("pve-lxc-mp-string", &["/mnt/data", "mnt", "/a.b/c", "/..x"], &["/mnt/../etc", "/mnt/.", "../x", "/a/./b"]);
    expect("pve-lxc-dev-string", &["/dev/ttyUSB0", "/dev/dri/card0"], &["/tmp/x", "/dev/../etc", "/dev/.", "dev/x"]);
    expect(
        "pve-startup-order",
        &["1", "order=1,up=30,down=60", "up=5", " , "],
        &["", "0", "order=-1", "up=x", "first"],
    );
    expect(
        "pve-ct-timezone",
        &["host", "UTC", "Europe/Vienna", "America/New_York"],
        &["utc", "Europe/Nowhere", "US/Eastern", ""],
    );
    expect(
        "pve-command-batch",
        &[
            "[]",
            r#"[{"path":"/nodes/pve1/status","method":"GET"}]"#,
            r#"[{"path":"/x","method":"POST","args":{"a":1}}]"#,
        ],
        &[
            "",
            "{}",
            "[1]",
            r#"[{"path":"/x"}]"#,
            r#"[{"path":"/x","method":"PATCH"}]"#,
            r#"[{"path":true,"method":"GET"}]"#,
            r#"[{"path":"/x","method":"GET","args":[]}]"#,
        ],
    );
}

#[test]
fn pem() {
    let cert = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUZ\nAbCd==\n-----END CERTIFICATE-----\n";
    let key = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----\n";
    let chain = format!("{cert}\n{cert}");
    let with_text = format!("subject=CN=pve\n{cert}");
    expect("pem-certificate-chain", &[cert, &chain, &with_text], &["", "not a certificate", key]);
    expect("pem-string", &[key, cert], &["", "-----BEGIN X-----\nabc\n"]);
    expect("pem-certificate", &[cert], &[key]);
}

#[test]
fn calendar_events() {
    expect(
        "pve-calendar-event",
        &[
            "daily",
            "hourly",
            "minutely",
            "weekly",
            "monthly",
            "yearly",
            "annually",
            "quarterly",
            "semiannually",
            "semi-annually",
            "mon..fri 02:00",
            "*/15",
            "sat 03:00",
            "02:00",
            "21:30:15",
            "mon,wed,fri 12:00",
            "sun..mon",
            "2024-01-01",
            "01-01 00:00",
            "*-*-01 03:00",
            "Mon..Fri 8..17:00",
            "0/5",
            "*:0/10",
            "12",
            "24:00",
            "  daily  ",
            "daily UTC",
            "mon 02:00 UTC",
            "sat\t03:00",
            "monday",
            "1..5/2:00",
        ],
        &[
            "",
            "   ",
            "never",
            "mon..",
            "25:00:00:00",
            "60",
            "mon 02:00 extra",
            "02:00,",
            "mon..fri,",
            "5..3",
            "*/",
            "13-01",
            "2200-01-01",
            "day",
            "UTC",
        ],
    );
}

#[test]
fn firewall() {
    expect(
        "pve-fw-addr-spec",
        &[
            "192.0.2.1",
            "192.0.2.0/24",
            "10.0.0.1-10.0.0.5",
            "192.0.2.1,192.0.2.2",
            "2001:db8::/32",
            "+myset",
            "+dc/myset",
            "myalias",
            "dc/myalias",
            "10/8",
            "",
        ],
        &["192.0.2.1/24", "192.0.2.1,::1", "10.0.0.1-10.0.0.5,10.0.0.9", "192.0.2.1,", "bad!", "10.0.0.5-10.0.0.1"],
    );
    expect(
        "IPorCIDR",
        &["192.0.2.1", "192.0.2.0/24", "2001:db8::/32", "::1"],
        &["192.0.2.1/24", "10/8", "host", "192.0.2.0/33"],
    );
    expect("IPorCIDRorAlias", &["192.0.2.0/24", "myalias", "::1"], &["192.0.2.1/24", "1alias"]);
    expect(
        "pve-fw-dport-spec",
        &["22", "80,443", "8000:8080", "ssh", "http,https", "echo-request", "", "0"],
        &["65536", "80,", ",80", "1:70000", "echo-request,22", "a b"],
    );
    expect("pve-fw-sport-spec", &["1024:65535", "domain"], &["99999", "22,"]);
    // ICMP types are destination ports only; as a source port the name is an unknown service.
    not_checked("pve-fw-sport-spec", &["echo-request"]);
    expect("pve-fw-sport-spec", &[], &["1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16"]);
    not_checked("pve-fw-dport-spec", &["my-local-service", "22,my-local-service"]);
    expect(
        "pve-fw-protocol-spec",
        &["tcp", "udp", "icmp", "icmpv6", "ipv6-icmp", "6", "17", "", "0", "255"],
        &["256", "06", "t cp"],
    );
    not_checked("pve-fw-protocol-spec", &["TCP", "myproto"]);
    expect(
        "pve-fw-icmp-type-spec",
        &["echo-request", "neighbor-solicitation", "any", "", "8"],
        &["echo", "Echo-Request", "256"],
    );
    expect("pve-fw-conntrack-helper", &["", "ftp", "ftp,tftp,sip", "ftp,"], &["http", ",ftp", "ftp,,sip", "FTP"]);
}

#[test]
fn registered_formats_come_back_as_property_strings() {
    for name in [
        "backup-fleecing",
        "backup-performance",
        "proxmox-remote",
        "prune-backups",
        "pve-qemu-sev-fmt",
        "pve-qemu-tdx-fmt",
        "pve-qm-boot",
        "pve-qm-cicustom",
        "pve-qm-hostpci",
        "pve-qm-ide",
        "pve-qm-ipconfig",
        "pve-qm-rng",
        "pve-qm-smbios1",
        "pve-qm-watchdog",
        "pve-sdn-dhcp-range",
        "pve-sdn-fabric-wireguard-interface",
        "pve-tfa-config",
        "pve-vm-cpu-conf",
        "realm-sync-options",
    ] {
        assert!(matches!(check(name, "x=1"), Verdict::PropertyString(_)), "{name}");
    }
    let Verdict::PropertyString(boot) = check("pve-qm-boot", "order=scsi0") else { panic!("pve-qm-boot") };
    assert!(boot.get("legacy").is_some_and(|p| p.schema.default_key));
}

#[test]
fn unknown_formats_are_not_checked() {
    assert_eq!(check("no-such-format", "x"), Verdict::NotChecked("unknown format"));
    assert_eq!(check("no-such-format-list", "x"), Verdict::NotChecked("unknown format"));
    assert_eq!(check("pve-qm-boot-list", "x"), Verdict::NotChecked("unknown format"));
}

#[test]
fn list_errors_name_the_item() {
    let Verdict::Invalid(text) = check("pve-vmid-list", "100,abc") else { panic!("expected invalid") };
    assert!(text.contains("'abc' is not a valid VM ID"), "{text}");
    assert!(text.chars().next().is_some_and(char::is_lowercase) && !text.ends_with('.'), "{text}");
}

#[test]
fn prune_backups_rules() {
    use super::extra_rules;
    assert!(extra_rules("prune-backups", &[("keep-all", "1")]).is_empty());
    assert!(extra_rules("prune-backups", &[("keep-last", "3"), ("keep-daily", "7")]).is_empty());
    assert!(extra_rules("prune-backups", &[("keep-all", "1"), ("keep-last", "0")]).is_empty());
    assert!(extra_rules("prune-backups", &[("keep-all", "0"), ("keep-last", "3")]).is_empty());
    let errors = extra_rules("prune-backups", &[("keep-all", "yes"), ("keep-last", "+003")]);
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].0, "keep-all");
}

#[test]
fn vm_cpu_conf_rules() {
    use super::extra_rules;
    let ok = |pairs: &[(&str, &str)]| extra_rules("pve-vm-cpu-conf", pairs).is_empty();
    assert!(ok(&[("cputype", "host")]));
    assert!(ok(&[("cputype", "x86-64-v2-AES"), ("flags", "+aes;-pcid")]));
    assert!(ok(&[("cputype", "custom-mymodel"), ("flags", "+md-clear")]));
    assert!(ok(&[("cputype", "kvm64"), ("hidden", "1"), ("phys-bits", "host")]));
    let keys =
        |pairs: &[(&str, &str)]| extra_rules("pve-vm-cpu-conf", pairs).into_iter().map(|(k, _)| k).collect::<Vec<_>>();
    assert_eq!(keys(&[("flags", "+aes")]), ["cputype"]);
    assert_eq!(keys(&[("cputype", "Host")]), ["cputype"]);
    assert_eq!(keys(&[("cputype", "host"), ("flags", "+avx512f")]), ["flags"]);
    // The VM-safe flag set applies to custom models too.
    assert_eq!(keys(&[("cputype", "custom-mymodel"), ("flags", "+avx512f")]), ["flags"]);
    assert_eq!(keys(&[("cputype", "host"), ("reported-model", "kvm64")]), ["reported-model"]);
    assert!(extra_rules("pve-qm-boot", &[("order", "scsi0")]).is_empty());
}
