//! The `codegen` binary, run for real: import, diff, check and update.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn codegen(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_codegen")).args(args).output().expect("codegen runs")
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// A scratch workspace with the fixture schema in normal form, the fixture curated list and
/// current golden files.
fn scratch(name: &str) -> PathBuf {
    let root = std::env::temp_dir().join(format!("codegen-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(root.join("apidoc")).unwrap();
    std::fs::copy(fixtures().join("curated.txt"), root.join("apidoc/curated-tools.txt")).unwrap();
    std::fs::copy(fixtures().join("formats.json"), root.join("apidoc/formats.json")).unwrap();
    let r = root.to_str().unwrap();
    let out = codegen(&["import", fixtures().join("quirks.json").to_str().unwrap(), "--root", r]);
    assert!(out.status.success(), "{}", text(&out));
    let out = codegen(&["update", "--root", r]);
    assert!(out.status.success(), "{}", text(&out));
    root
}

#[test]
fn import_is_byte_identical_across_runs_and_formats() {
    let root = scratch("import");
    let first = std::fs::read(root.join("apidoc/apidoc.json")).unwrap();
    // Importing the normal form again, and the same tree wrapped as apidoc.js, give the same bytes.
    let js = root.join("apidoc.js");
    let tree = std::fs::read_to_string(fixtures().join("quirks.json")).unwrap();
    std::fs::write(&js, format!("// viewer\nconst apiSchema = {tree};\n\nfunction render() {{ return [1, 2]; }}\n"))
        .unwrap();
    for source in [root.join("apidoc/apidoc.json"), js] {
        let out_file = root.join("again.json");
        let out = codegen(&["import", source.to_str().unwrap(), "-o", out_file.to_str().unwrap()]);
        assert!(out.status.success(), "{}", text(&out));
        assert_eq!(std::fs::read(&out_file).unwrap(), first, "from {}", source.display());
        assert!(text(&out).contains("4 paths, 4 methods"), "{}", text(&out));
    }
}

#[test]
fn check_passes_then_fails_after_a_hand_edit() {
    let root = scratch("check");
    let r = root.to_str().unwrap();
    let out = codegen(&["check", "--root", r]);
    assert!(out.status.success(), "{}", text(&out));

    let golden = root.join("tests/golden/curated/list_widgets.json");
    let original = std::fs::read_to_string(&golden).unwrap();
    std::fs::write(&golden, original.replace("List the widgets.", "List all widgets.")).unwrap();
    let out = codegen(&["check", "--root", r]);
    assert!(!out.status.success());
    assert!(text(&out).contains("list_widgets.json differs from what the schema generates"), "{}", text(&out));

    // `update` repairs it; a stray golden file is named too.
    assert!(codegen(&["update", "--root", r]).status.success());
    std::fs::write(root.join("tests/golden/curated/gone.json"), "{}").unwrap();
    let out = codegen(&["check", "--root", r]);
    assert!(text(&out).contains("gone.json belongs to no curated tool"), "{}", text(&out));
    assert!(codegen(&["update", "--root", r]).status.success());

    // A hand edit of the vendored schema (here: re-indented) is not the normal form.
    let apidoc = root.join("apidoc/apidoc.json");
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&apidoc).unwrap()).unwrap();
    std::fs::write(&apidoc, serde_json::to_string(&v).unwrap()).unwrap();
    let out = codegen(&["check", "--root", r]);
    assert!(!out.status.success());
    assert!(text(&out).contains("apidoc/apidoc.json is not in normal form"), "{}", text(&out));
}

#[test]
fn curated_endpoint_removed_from_schema_fails_naming_it() {
    let root = scratch("vanish");
    let list = root.join("apidoc/curated-tools.txt");
    let text_before = std::fs::read_to_string(&list).unwrap();
    std::fs::write(
        &list,
        text_before.replace(
            "update_widget | PUT /widgets/{id} | idempotent | id",
            "update_widget | PUT /widgets/{id} | idempotent | id, colour",
        ),
    )
    .unwrap();
    let out = codegen(&["check", "--root", root.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(text(&out).contains("parameter 'colour' of PUT /widgets/{id} is not in the schema"), "{}", text(&out));
}

#[test]
fn the_committed_tree_passes_check() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let out = codegen(&["check", "--root", root.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("(675 methods)"), "{}", text(&out));
}

#[test]
fn diff_reports_changes_as_markdown() {
    let root = scratch("diff");
    let old = root.join("old.json");
    let tree = std::fs::read_to_string(fixtures().join("quirks.json")).unwrap();
    // The "old" schema lacks the DELETE method and has a narrower tag range.
    let older = tree
        .replace("\"maximum\": 4094", "\"maximum\": 1000")
        .replace("\"DELETE\": {", "\"GET\": {")
        .replace("\"method\": \"DELETE\"", "\"method\": \"GET\"");
    std::fs::write(&old, older).unwrap();
    let out = codegen(&[
        "diff",
        old.to_str().unwrap(),
        fixtures().join("quirks.json").to_str().unwrap(),
        "--old-name",
        "A",
        "--new-name",
        "B",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let md = String::from_utf8(out.stdout).unwrap();
    assert!(md.starts_with("# Proxmox VE API changes: A -> B\n"), "{md}");
    assert!(md.contains("- `DELETE /widgets/{id}/entries/{url_seq}`: An undeclared placeholder."), "{md}");
    assert!(md.contains("- `GET /widgets/{id}/entries/{url_seq}`"), "{md}");
    assert!(md.contains("- `net[n].tag`: range 1 - 1000 -> 1 - 4094"), "{md}");
}

#[test]
fn bad_sources_are_named() {
    let out = codegen(&["import", "/nonexistent/apidoc.js", "-o", "/tmp/never.json"]);
    assert!(!out.status.success());
    assert!(text(&out).contains("cannot read /nonexistent/apidoc.js"), "{}", text(&out));
    let out = codegen(&["import", "http://example.invalid/apidoc.js"]);
    assert!(text(&out).contains("refusing plain http"), "{}", text(&out));
}

/// `import` from an https URL, as a PVE node serves its API viewer: verified with a CA
/// file, refused without one, accepted with --insecure.
#[test]
fn import_from_an_https_url() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let tree = std::fs::read_to_string(fixtures().join("quirks.json")).unwrap();
    let fake = runtime.block_on(fake_pve::FakePve::start());
    fake.configure(|c| c.apidoc_js = format!("const apiSchema = {tree};\nfunction view() {{}}\n"));
    let url = format!("{}/pve-docs/api-viewer/apidoc.js", fake.url());
    let root = scratch("https");
    let ca = root.join("ca.pem");
    std::fs::write(&ca, fake.ca_pem()).unwrap();
    let out_file = root.join("from-url.json");
    // The fake answers on the runtime's thread: run the command from another one.
    let run = |args: Vec<String>| {
        let handle = std::thread::spawn(move || codegen(&args.iter().map(String::as_str).collect::<Vec<_>>()));
        runtime.block_on(async {
            while !handle.is_finished() {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        });
        handle.join().unwrap()
    };
    let out_arg = out_file.to_str().unwrap().to_owned();
    let ok = run(vec![
        "import".into(),
        url.clone(),
        "-o".into(),
        out_arg.clone(),
        "--ca-file".into(),
        ca.to_str().unwrap().into(),
    ]);
    assert!(ok.status.success(), "{}", text(&ok));
    assert_eq!(std::fs::read(&out_file).unwrap(), std::fs::read(root.join("apidoc/apidoc.json")).unwrap());
    let refused = run(vec!["import".into(), url.clone(), "-o".into(), out_arg.clone()]);
    assert!(!refused.status.success());
    assert!(text(&refused).contains("cannot fetch"), "{}", text(&refused));
    let insecure = run(vec!["import".into(), url, "-o".into(), out_arg, "--insecure".into()]);
    assert!(insecure.status.success(), "{}", text(&insecure));
    assert!(text(&insecure).contains("not verifying the certificate"), "{}", text(&insecure));
}
