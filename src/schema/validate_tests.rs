//! Table-driven tests of call validation and wire encoding over the real PVE 9.2 tables.

use super::*;
use serde_json::json;

fn check(method: &str, path: &str, data: Value) -> Result<ValidCall, CallError> {
    validate_call(method, path, Some(&data))
}

fn ok(method: &str, path: &str, data: Value) -> ValidCall {
    check(method, path, data.clone()).unwrap_or_else(|e| panic!("{method} {path} {data}: {e}"))
}

/// The problems as `'name': message` lines.
fn errors(method: &str, path: &str, data: Value) -> Vec<String> {
    match check(method, path, data.clone()) {
        Ok(_) => panic!("{method} {path} {data}: accepted"),
        Err(CallError::Params(p)) => p.problems.iter().map(|p| format!("'{}': {}", p.name, p.message)).collect(),
        Err(e) => vec![e.to_string()],
    }
}

fn pairs(call: &ValidCall) -> Vec<(&str, &str)> {
    call.params.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

const CONFIG: &str = "/nodes/pve1/qemu/100/config";

#[test]
fn the_issue_examples() {
    let call = ok("POST", CONFIG, json!({"net0": "virtio,bridge=vmbr0", "cores": "4"}));
    assert_eq!(call.path, CONFIG);
    assert_eq!(pairs(&call), [("cores", "4"), ("net0", "virtio,bridge=vmbr0")]);
    assert_eq!(
        errors("POST", CONFIG, json!({"net0": "virtio,bridge=vmbr0", "cores": 0})),
        ["'cores': expected an integer of at least 1, got '0'"]
    );
    let e = errors("POST", CONFIG, json!({"net0": "virtio,brige=vmbr0"}));
    assert!(e[0].starts_with("'net0': unknown key 'brige' (expected one of "), "{e:?}");
    assert!(e[0].ends_with("; did you mean 'bridge'?"), "{e:?}");
}

#[test]
fn values_as_json_types_or_form_strings() {
    // Integers: JSON numbers, integral floats, and PVE's integer syntax in strings.
    assert_eq!(pairs(&ok("POST", CONFIG, json!({"cores": 4.0}))), [("cores", "4")]);
    assert_eq!(pairs(&ok("POST", CONFIG, json!({"cores": "+004"}))), [("cores", "+004")]);
    assert_eq!(errors("POST", CONFIG, json!({"cores": "4.0"})), ["'cores': expected an integer, got '4.0'"]);
    assert_eq!(errors("POST", CONFIG, json!({"cores": 4.5})), ["'cores': expected an integer, got '4.5'"]);
    assert_eq!(errors("POST", CONFIG, json!({"cores": " 4"})), ["'cores': expected an integer, got ' 4'"]);
    // Booleans: JSON booleans become 1/0; top-level strings must be 0 or 1.
    assert_eq!(pairs(&ok("POST", CONFIG, json!({"onboot": true, "acpi": false}))), [("acpi", "0"), ("onboot", "1")]);
    assert_eq!(pairs(&ok("POST", CONFIG, json!({"onboot": "1"}))), [("onboot", "1")]);
    assert_eq!(
        errors("POST", CONFIG, json!({"onboot": "true"})),
        ["'onboot': expected a boolean (true/false, or 1/0 in a string), got 'true'"]
    );
    // Numbers.
    assert_eq!(
        pairs(&ok(
            "POST",
            "/nodes/pve1/ceph/osd",
            json!({"dev": "/dev/sdb", "wal_dev": "/dev/sdc", "wal_dev_size": "0.5"})
        ))
        .len(),
        3
    );
    // Null means "not given".
    assert_eq!(pairs(&ok("POST", CONFIG, json!({"cores": null}))), Vec::<(&str, &str)>::new());
}

#[test]
fn missing_unknown_and_indexed_parameters() {
    assert_eq!(errors("POST", "/nodes/pve1/qemu", json!({})), ["'vmid': is required but missing"]);
    assert_eq!(
        errors("POST", CONFIG, json!({"coers": 2})),
        ["'coers': is not a parameter of this method (did you mean 'cores'?)"]
    );
    assert!(
        ok(
            "POST",
            CONFIG,
            json!({"net31": "virtio,bridge=vmbr0", "scsi30": "local-lvm:4", "unused255": "local:vm-100-disk-1"})
        )
        .params
        .len()
            == 3
    );
    assert_eq!(
        errors("POST", CONFIG, json!({"net32": "virtio"})),
        ["'net32': is not a parameter of this method (net takes net0 to net31)"]
    );
    assert_eq!(
        errors("POST", CONFIG, json!({"net01": "virtio"})),
        ["'net01': is not a parameter of this method (net takes net0 to net31)"]
    );
    // `numa` (a boolean) and `numa0` (a property string) are different parameters.
    assert_eq!(
        pairs(&ok("POST", CONFIG, json!({"numa": 1, "numa0": "cpus=0-3"}))),
        [("numa", "1"), ("numa0", "cpus=0-3")]
    );
    assert_eq!(errors("GET", "/version", json!({"x": 1})), ["'x': is not a parameter of this method (it takes none)"]);
}

#[test]
fn methods_that_accept_any_parameter() {
    let call = ok("GET", "/cluster/firewall", json!({"anything": "goes", "n": 1}));
    assert_eq!(pairs(&call), [("anything", "goes"), ("n", "1")]);
    assert_eq!(pairs(&ok("GET", "/access/ticket", json!({"x": "y"}))), [("x", "y")]);
}

#[test]
fn placeholders_are_validated_as_parameters() {
    assert_eq!(errors("GET", "/nodes/pve1/qemu/abc/config", json!({})), ["'vmid': expected an integer, got 'abc'"]);
    let e = errors("GET", "/nodes/pve1/qemu/99/config", json!({}));
    assert_eq!(e.len(), 1);
    assert!(e[0].starts_with("'vmid': expected "), "{e:?}");
    // Repeating a placeholder in data: the same value is fine (and not sent twice), a
    // different one is an error.
    assert_eq!(pairs(&ok("POST", CONFIG, json!({"vmid": 100, "cores": 2}))), [("cores", "2")]);
    assert_eq!(errors("POST", CONFIG, json!({"vmid": 101})), ["'vmid': the path gives '100', but data gives '101'"]);
    // An undeclared placeholder takes any value.
    let call = ok("DELETE", "/cluster/sdn/prefix-lists/pl1/entries/10", json!({}));
    assert_eq!(call.path, "/cluster/sdn/prefix-lists/pl1/entries/10");
}

#[test]
fn requires_and_instance_types() {
    assert_eq!(
        errors("POST", "/nodes/pve1/ceph/osd", json!({"dev": "/dev/sdb", "wal_dev_size": 1})),
        ["'wal_dev': is required when 'wal_dev_size' is given"]
    );
    let e = errors(
        "POST",
        "/cluster/ha/rules",
        json!({"rule": "r1", "resources": "vm:100", "type": "node-affinity", "affinity": "positive"}),
    );
    assert_eq!(e, ["'affinity': is only allowed when 'type' is resource-affinity, and 'type' is 'node-affinity'"]);
    ok(
        "POST",
        "/cluster/ha/rules",
        json!({"rule": "r1", "resources": "vm:100", "type": "resource-affinity", "affinity": "positive"}),
    );
}

#[test]
fn arrays_lists_and_property_string_objects() {
    // `type: array` parameters go out as repeated keys.
    let call = ok(
        "POST",
        "/cluster/backup",
        json!({"exclude-path": ["/tmp", "/var/cache"], "vmid": [100, 101], "schedule": "daily"}),
    );
    assert_eq!(
        pairs(&call),
        [("exclude-path", "/tmp"), ("exclude-path", "/var/cache"), ("schedule", "daily"), ("vmid", "100,101")]
    );
    // An array for a plain string parameter is refused.
    assert_eq!(errors("POST", CONFIG, json!({"name": ["a", "b"]})), ["'name': expected a string, got a list"]);
    // An object for a property-string parameter is serialised, default key first.
    let call = ok("POST", CONFIG, json!({"net0": {"bridge": "vmbr0", "model": "virtio", "firewall": true}}));
    assert_eq!(pairs(&call), [("net0", "model=virtio,bridge=vmbr0,firewall=1")]);
    let e = errors("POST", CONFIG, json!({"net0": {"model": "virtio", "tag": 5000}}));
    assert_eq!(e, ["'net0.tag': expected an integer of at most 4094, got '5000'"]);
    assert_eq!(errors("POST", CONFIG, json!({"cores": {"a": 1}})), ["'cores': expected an integer, got an object"]);
}

#[test]
fn wire_encoding_for_get() {
    let call = ok("GET", "/cluster/resources", json!({"type": "vm"}));
    assert_eq!((call.path.as_str(), pairs(&call)), ("/cluster/resources", vec![("type", "vm")]));
    let call = ok("GET", "/nodes/pve1/tasks", json!({"limit": 50, "errors": true}));
    assert_eq!(pairs(&call), [("errors", "1"), ("limit", "50")]);
    let call = ok("GET", "/nodes/pve1/storage/local/content/local:iso/debian 12.iso", json!({}));
    assert_eq!(call.path, "/nodes/pve1/storage/local/content/local:iso%2Fdebian%2012.iso");
}

#[test]
fn errors_are_sorted_and_rendered_with_hints() {
    let err = check("POST", CONFIG, json!({"net0": "virtio,tag=9999", "cores": 0, "sockets": "x"})).unwrap_err();
    let text = err.to_string();
    let expected_start = "POST /nodes/{node}/qemu/{vmid}/config: 3 invalid parameters\n\
        - 'cores': expected an integer of at least 1, got '0'\n\
        - 'net0.tag': expected an integer of at most 4094, got '9999'\n\
        - 'sockets': expected an integer, got 'x'\n\
        How to write them:\n";
    assert!(text.starts_with(expected_start), "{text}");
    assert!(text.contains("\n- net0: [model=]<enum> [,bridge=<bridge>]"), "{text}");
    let map = err.to_map();
    assert_eq!(map.keys().collect::<Vec<_>>(), ["cores", "net0.tag", "sockets"]);
}

#[test]
fn secret_values_are_not_echoed() {
    let e = errors("PUT", "/access/password", json!({"userid": "bob@pve", "password": "hunter2"}));
    assert_eq!(e, ["'password': expected at least 8 characters, got a value of 7 characters (not shown)"]);
    let text =
        check("PUT", "/access/password", json!({"userid": "bob@pve", "password": "hunter2"})).unwrap_err().to_string();
    assert!(!text.contains("hunter2"));
}

#[test]
fn path_and_data_errors() {
    assert!(matches!(check("GET", "/nodes/../x", json!({})), Err(CallError::Path(PathError::Refused(_)))));
    let e = check("GET", "/nodes", json!([1, 2])).unwrap_err();
    assert_eq!(e.to_string(), "'data' must be a JSON object of parameters, got a list");
    assert_eq!(e.to_map().keys().next().unwrap(), "(data)");
}

#[test]
fn permissions_name_the_concrete_object() {
    let call = ok("POST", "/nodes/pve1/qemu/100/status/start", json!({}));
    let perms: Value = serde_json::from_str(&call.permissions().unwrap()).unwrap();
    assert_eq!(perms["check"][1], "/vms/100");
    assert_eq!(call.placeholders, [("node", "pve1".to_owned()), ("vmid", "100".to_owned())]);
}
