//! Tests against the vendored schema: every format name it uses is catalogued and handled,
//! the registered property-string formats agree with the apidoc's type texts, and no input
//! makes a check panic.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::{Checked, RULES, Rule, Verdict, catalog, check, extra_rules};
use crate::schema::REGISTERED_FORMATS;

fn read_json(file: &str) -> Value {
    let path = format!("{}/apidoc/{file}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// Every named format of the apidoc's method parameters, with the type texts written for it.
fn apidoc_formats() -> BTreeMap<String, BTreeSet<String>> {
    fn visit(v: &Value, out: &mut BTreeMap<String, BTreeSet<String>>) {
        match v {
            Value::Object(o) => {
                if let Some(Value::String(name)) = o.get("format") {
                    let texts = out.entry(name.clone()).or_default();
                    if let Some(Value::String(t)) = o.get("typetext") {
                        texts.insert(t.clone());
                    }
                }
                o.values().for_each(|x| visit(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| visit(x, out)),
            _ => {}
        }
    }
    let tree = read_json("apidoc.json");
    let mut out = BTreeMap::new();
    let mut stack: Vec<&Value> = tree.as_array().unwrap().iter().collect();
    while let Some(node) = stack.pop() {
        if let Some(info) = node.get("info").and_then(Value::as_object) {
            for method in info.values() {
                if let Some(p) = method.get("parameters") {
                    visit(p, &mut out);
                }
            }
        }
        if let Some(children) = node.get("children").and_then(Value::as_array) {
            stack.extend(children);
        }
    }
    out
}

#[test]
fn catalog_lists_exactly_the_schema_formats() {
    let schema: BTreeSet<String> = apidoc_formats().into_keys().collect();
    let names: Vec<&str> = catalog().iter().map(|f| f.name).collect();
    assert!(names.windows(2).all(|w| w[0] < w[1]), "the catalog is sorted and has no duplicates");
    let catalogued: BTreeSet<String> = names.iter().map(|s| (*s).to_owned()).collect();
    assert_eq!(catalogued, schema);
    assert_eq!(schema.len(), 122, "PVE 9.2 uses 122 named formats in parameters");
    for info in catalog() {
        assert!(info.summary.ends_with('.') && !info.summary.is_empty(), "{}", info.name);
        let registered = matches!(check(info.name, "x"), Verdict::PropertyString(_));
        assert_eq!(registered, info.checked == Checked::PropertyString, "{}", info.name);
    }
}

#[test]
fn every_schema_format_is_handled() {
    let mut names: BTreeSet<String> = apidoc_formats().into_keys().collect();
    // Formats named inside apidoc/formats.json are handled too.
    for (_, obj) in REGISTERED_FORMATS.iter() {
        for p in obj.props {
            if let crate::schema::types::Format::Named(n) = p.schema.format {
                names.insert(n.to_owned());
            }
        }
    }
    for name in &names {
        for value in ["", "x", "100"] {
            assert_ne!(check(name, value), Verdict::NotChecked("unknown format"), "{name}");
        }
    }
}

#[test]
fn rules_are_sorted_and_registered_formats_agree() {
    assert!(RULES.windows(2).all(|w| w[0].0 < w[1].0), "RULES is sorted");
    let registered: BTreeSet<&str> =
        RULES.iter().filter(|(_, r)| matches!(r, Rule::Registered)).map(|(n, _)| *n).collect();
    let compiled: BTreeSet<&str> = REGISTERED_FORMATS.iter().map(|(n, _)| *n).collect();
    assert_eq!(registered, compiled, "apidoc/formats.json defines exactly the registered formats");
    let file = read_json("formats.json");
    let in_file: BTreeSet<&str> = file.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(in_file, compiled);
}

/// The keys a property-string type text lists, each with whether it is the default key.
fn typetext_keys(text: &str) -> BTreeMap<String, bool> {
    let re = regex::Regex::new(r"(?:^|\[|,)([A-Za-z0-9_.-]+)=").unwrap();
    re.captures_iter(text).map(|c| (c[1].to_owned(), text.contains(&format!("[{}=]", &c[1])))).collect()
}

#[test]
fn registered_keys_agree_with_the_apidoc_typetext() {
    let mut compared = 0;
    for (name, texts) in apidoc_formats() {
        let Verdict::PropertyString(obj) = check(&name, "") else {
            continue;
        };
        for text in texts {
            let listed = typetext_keys(&text);
            if listed.is_empty() {
                continue;
            }
            let ours: BTreeMap<String, bool> = obj
                .props
                .iter()
                .filter(|p| p.schema.alias.is_none())
                .map(|p| (p.name.to_owned(), p.schema.default_key))
                .collect();
            assert_eq!(ours, listed, "{name}: keys and default key of '{text}'");
            compared += 1;
        }
    }
    assert!(compared >= 15, "type texts compared: {compared}");
}

#[test]
fn registered_formats_match_pve_details() {
    let get = |n: &str| match check(n, "") {
        Verdict::PropertyString(o) => o,
        other => panic!("{n}: {other:?}"),
    };
    let prune = get("prune-backups");
    assert_eq!(prune.get("keep-last").unwrap().schema.minimum, Some(0.0));
    assert!(prune.get("keep-all").unwrap().schema.optional);
    let ipconfig = get("pve-qm-ipconfig");
    assert_eq!(ipconfig.get("gw").unwrap().schema.requires, Some("ip"));
    assert_eq!(ipconfig.get("gw6").unwrap().schema.requires, Some("ip6"));
    let ide = get("pve-qm-ide");
    assert_eq!(ide.get("volume").unwrap().schema.alias, Some("file"));
    assert!(ide.get("file").unwrap().schema.default_key);
    assert!(ide.get("import-from").is_none());
    let tdx = get("pve-qemu-tdx-fmt");
    assert!(!tdx.get("attestation").unwrap().schema.optional);
    let cpu = get("pve-vm-cpu-conf");
    assert!(cpu.get("cputype").unwrap().schema.default_key);
    assert!(cpu.get("reported-model").unwrap().schema.enum_values.is_some_and(|e| e.contains(&"kvm64")));
    let rng = get("pve-qm-rng");
    assert!(!rng.get("source").unwrap().schema.optional);
}

#[test]
fn embedded_data_is_sorted() {
    use super::{netbase, timezones};
    assert!(timezones::ZONE_TAB.windows(2).all(|w| w[0] < w[1]));
    assert!(timezones::ZONE_TAB.len() > 400);
    assert!(netbase::SERVICES.windows(2).all(|w| w[0] < w[1]));
    assert!(netbase::PROTOCOLS.windows(2).all(|w| w[0].0 < w[1].0));
}

/// A small deterministic generator of awkward strings.
fn awkward_inputs() -> Vec<String> {
    let mut out: Vec<String> = [
        "",
        " ",
        "\n",
        "\0",
        "\0\0",
        ",",
        ";",
        ",;\0 ",
        "0",
        "-",
        "+",
        "/",
        ":",
        "::",
        "*",
        "*/",
        "..",
        "%",
        "=",
        "ä",
        "日本語",
        "\u{200b}",
        "\u{1F600}",
        "١٢٣",
        "\u{85}",
        "a\nb",
        "1-",
        "1..",
        "[::1]:",
        "+\0",
        "-1",
        "99999999999999999999999999999999999999999999",
        "1.2.3.4/99999999999999999999",
        "10.0.0.0/8,/16,/24",
        "-----BEGIN",
        "[{",
        "[[[[",
        "custom-",
        "keep-all=1",
        "fe80::%",
        "x".repeat(300).as_str(),
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    out.push("a".repeat(100_000));
    out.push("1,".repeat(20_000));
    out.push("[".repeat(5_000));
    out.push(format!("[{}]", "{\"args\":".repeat(200) + "1" + &"}".repeat(200)));
    let alphabet: Vec<char> = "09azAZ.:-/,;% \t\n\0*+_=[]{}\"'!@#ä€\u{10FFFF}".chars().collect();
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    for len in 1..400 {
        let mut s = String::new();
        for _ in 0..(len % 37) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            s.push(alphabet[(state % alphabet.len() as u64) as usize]);
        }
        out.push(s);
    }
    out
}

#[test]
fn no_input_makes_a_check_panic() {
    let mut names: Vec<String> = catalog().iter().map(|f| f.name.to_owned()).collect();
    names.extend(RULES.iter().map(|(n, _)| (*n).to_owned()));
    names.extend(["x-list", "x-opt", "-list", "-opt", ""].map(str::to_owned));
    let inputs = awkward_inputs();
    for name in &names {
        for input in &inputs {
            match check(name, input) {
                Verdict::Invalid(text) => {
                    assert!(!text.is_empty() && !text.ends_with('.'), "{name}: {text}");
                    assert!(text.chars().next().is_some_and(|c| !c.is_uppercase()), "{name}: {text}");
                }
                Verdict::Valid | Verdict::PropertyString(_) | Verdict::NotChecked(_) => {}
            }
        }
    }
    for input in &inputs {
        let pairs =
            [("cputype", input.as_str()), ("flags", input.as_str()), ("keep-all", "1"), ("keep-last", input.as_str())];
        let _ = extra_rules("pve-vm-cpu-conf", &pairs);
        let _ = extra_rules("prune-backups", &pairs);
    }
}
