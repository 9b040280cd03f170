//! Snapshot tests: a small fixture apidoc (written for this project, covering each schema
//! quirk) -> the generated Rust. Update deliberately with `EXPECTORATE=overwrite cargo test
//! -p codegen` and review the diff.

use std::path::Path;

fn fixture() -> codegen::Generated {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let schema = std::fs::read(dir.join("quirks.json")).unwrap();
    let curated = std::fs::read_to_string(dir.join("curated.txt")).unwrap();
    let formats = std::fs::read(dir.join("formats.json")).unwrap();
    codegen::generate(codegen::Inputs { schema: &schema, curated: &curated, formats: &formats }).unwrap()
}

#[test]
fn tables_snapshot() {
    expectorate::assert_contents("tests/snapshots/quirks_api.rs", &fixture().tables);
}

#[test]
fn curated_snapshot() {
    let generated = fixture();
    expectorate::assert_contents("tests/snapshots/quirks_curated.rs", &generated.curated);
    let tools: Vec<String> = generated.tool_schemas.iter().map(|(name, json)| format!("// {name}\n{json}")).collect();
    expectorate::assert_contents("tests/snapshots/quirks_tools.json.txt", &tools.join("\n"));
}

#[test]
fn generation_is_deterministic() {
    let (a, b) = (fixture(), fixture());
    assert_eq!(a.tables, b.tables);
    assert_eq!(a.curated, b.curated);
    assert_eq!(a.tool_schemas, b.tool_schemas);
}
