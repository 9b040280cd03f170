//! Generates the API tables and curated tool definitions from the vendored schema.
//!
//! Thin on purpose: read `apidoc/`, call the `codegen` library, write `OUT_DIR`. Everything
//! else, and every test of it, lives in `codegen`.

use std::path::Path;

const INPUTS: [&str; 3] = ["apidoc/apidoc.json", "apidoc/curated-tools.txt", "apidoc/formats.json"];

fn main() {
    for input in INPUTS {
        println!("cargo::rerun-if-changed={input}");
    }
    if let Err(message) = run() {
        // A build script reports failure by exiting non-zero; cargo shows this text.
        eprintln!("error: {message}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let read = |p: &str| std::fs::read(p).map_err(|e| format!("cannot read {p}: {e}"));
    let schema = read(INPUTS[0])?;
    let curated = String::from_utf8(read(INPUTS[1])?).map_err(|_| format!("{} is not UTF-8", INPUTS[1]))?;
    let formats = read(INPUTS[2])?;
    let generated = codegen::generate(codegen::Inputs { schema: &schema, curated: &curated, formats: &formats })
        .map_err(|e| format!("codegen: {e}"))?;
    let out = std::env::var("OUT_DIR").map_err(|_| "OUT_DIR is not set".to_owned())?;
    let out = Path::new(&out);
    let write = |name: &str, text: &str| {
        let path = out.join(name);
        std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
    };
    write("api.rs", &generated.tables)?;
    write("curated.rs", &generated.curated)?;
    std::fs::create_dir_all(out.join("tools")).map_err(|e| format!("cannot create {}/tools: {e}", out.display()))?;
    for (name, json) in &generated.tool_schemas {
        write(&format!("tools/{name}.json"), json)?;
    }
    Ok(())
}
