//! Criterion benchmarks of the schema layer: path resolution, validation, search, describe.
//!
//! `cargo bench --bench schema`; the figures are recorded in BENCHMARKS.md.

use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::json;
use std::hint::black_box;

use proxmox_mcp::schema::{describe, path, search, validate};

fn bench(c: &mut Criterion) {
    let config_update = json!({"net0": "virtio=AA:BB:CC:DD:EE:FF,bridge=vmbr0,firewall=1", "scsi0": "local-lvm:32,ssd=1,discard=on", "cores": 4});
    let get_params = json!({"type": "vm", "limit": 50});
    // Warm the lazily built router and compiled patterns once.
    validate::validate_call("PUT", "/nodes/pve1/qemu/100/config", Some(&config_update)).unwrap();

    c.bench_function("resolve GET /nodes/pve1/qemu/100/config", |b| {
        b.iter(|| path::resolve(black_box("GET"), black_box("/nodes/pve1/qemu/100/config")).unwrap())
    });
    c.bench_function("validate PUT qemu config (net0 + scsi0 property strings)", |b| {
        b.iter(|| {
            validate::validate_call(
                black_box("PUT"),
                black_box("/nodes/pve1/qemu/100/config"),
                Some(black_box(&config_update)),
            )
            .unwrap()
        })
    });
    c.bench_function("validate GET /cluster/resources with two query parameters", |b| {
        let p = json!({"type": "vm"});
        b.iter(|| {
            validate::validate_call(black_box("GET"), black_box("/cluster/resources"), Some(black_box(&p))).unwrap()
        })
    });
    c.bench_function("validate GET /nodes/pve1/tasks with two query parameters", |b| {
        b.iter(|| {
            validate::validate_call(
                black_box("GET"),
                black_box("/nodes/pve1/tasks"),
                Some(black_box(&json!({"limit": 50, "errors": true}))),
            )
            .unwrap()
        })
    });
    let _ = get_params;
    c.bench_function("validate an invalid call (3 problems, sorted, with hints)", |b| {
        let bad = json!({"net0": "virtio,brige=vmbr0", "cores": 0, "sockets": "x"});
        b.iter(|| {
            validate::validate_call(black_box("PUT"), black_box("/nodes/pve1/qemu/100/config"), Some(black_box(&bad)))
                .unwrap_err()
        })
    });
    c.bench_function("search 'start vm'", |b| b.iter(|| search::search(black_box("start vm"), 10)));
    c.bench_function("describe PUT /nodes/{node}/qemu/{vmid}/config", |b| {
        b.iter(|| describe::describe(black_box("/nodes/{node}/qemu/{vmid}/config"), Some("PUT"), None).unwrap())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
