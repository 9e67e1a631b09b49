//! Every constant, type and exported function of capi/include/uvmapi/*.h is
//! declared in src/lib.rs, and every numeric constant has the header's value.
//! The headers are read at run time, so a header that grows fails this test
//! until the declarations follow.
use std::collections::BTreeMap;
use std::fs;
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn headers() -> Vec<(String, String)> {
    let dir = root().join("../../../capi/include/uvmapi");
    let mut out = Vec::new();
    for entry in fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "h") {
            let text = fs::read_to_string(&path).unwrap();
            out.push((
                path.file_name().unwrap().to_string_lossy().into_owned(),
                text,
            ));
        }
    }
    assert!(
        out.len() >= 7,
        "expected the seven headers in {}",
        dir.display()
    );
    out
}

fn ident_end(s: &str) -> usize {
    s.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len())
}

/// The first integer literal in text (hex or decimal), without suffixes.
fn literal(text: &str) -> Option<u64> {
    let start = text.find(|c: char| c.is_ascii_digit())?;
    let rest = &text[start..];
    if let Some(hex) = rest.strip_prefix("0x").or_else(|| rest.strip_prefix("0X")) {
        let end = hex
            .find(|c: char| !c.is_ascii_hexdigit())
            .unwrap_or(hex.len());
        u64::from_str_radix(&hex[..end], 16).ok()
    } else {
        let end = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        rest[..end].parse().ok()
    }
}

/// Object-like macros with a value, as NAME -> value text.
fn defines(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim_start();
        let Some(rest) = line.strip_prefix('#') else {
            continue;
        };
        let Some(rest) = rest.trim_start().strip_prefix("define") else {
            continue;
        };
        let rest = rest.trim_start();
        let end = ident_end(rest);
        let name = &rest[..end];
        if rest[end..].starts_with('(') {
            continue; // Function-like: UVMAPI_HR, UVMAPI_FAILED...
        }
        let value = rest[end..].trim();
        if value.is_empty() || name.ends_with("_H") {
            continue; // Include guards.
        }
        out.insert(name.to_string(), value.to_string());
    }
    out
}

/// The C text without comments and preprocessor lines, on one line.
fn declarations(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("/*") {
        out.push_str(&rest[..start]);
        rest = &rest[start + rest[start..].find("*/").unwrap() + 2..];
    }
    out.push_str(rest);
    out.lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .map(|line| line.split("//").next().unwrap())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Names declared after UVMAPI_EXTERN: functions and data.
fn externs(text: &str) -> (Vec<String>, Vec<String>) {
    let (mut functions, mut data) = (Vec::new(), Vec::new());
    let joined = declarations(text);
    for piece in joined.split("UVMAPI_EXTERN").skip(1) {
        let decl = &piece[..piece.find(';').unwrap()];
        if let Some(paren) = decl.find('(') {
            let before = decl[..paren].trim_end();
            let start = before
                .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .map_or(0, |i| i + 1);
            functions.push(before[start..].to_string());
        } else {
            let start = decl
                .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .map_or(0, |i| i + 1);
            data.push(decl[start..].trim().to_string());
        }
    }
    (functions, data)
}

/// typedef'd names: structs, enums, function pointers and plain types.
fn typedefs(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let joined = declarations(text);
    for piece in joined.split("typedef ").skip(1) {
        // A struct or enum body ends at its closing brace; the name follows.
        let body_end = if piece
            .find('{')
            .is_some_and(|b| b < piece.find(';').unwrap())
        {
            piece.find('}').unwrap()
        } else {
            0
        };
        let decl = &piece[..body_end + piece[body_end..].find(';').unwrap()];
        let decl = if body_end > 0 {
            &piece[body_end + 1..decl.len()]
        } else {
            decl
        };
        if let Some(star) = decl.find("(*") {
            let name = &decl[star + 2..];
            out.push(name[..ident_end(name)].to_string());
        } else if decl.trim_start().starts_with("struct") && !decl.contains('{') {
            // typedef struct x x; (opaque or forward-declared)
            let name = decl.trim_end();
            let start = name.rfind(' ').unwrap() + 1;
            out.push(name[start..].to_string());
        } else {
            let name = decl.trim_end();
            let start = name
                .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .map_or(0, |i| i + 1);
            out.push(name[start..].to_string());
        }
    }
    out
}

#[test]
fn every_header_declaration_is_in_the_crate() {
    let lib = fs::read_to_string(root().join("src/lib.rs")).unwrap();
    let mut problems = Vec::new();
    let mut counted = (0, 0, 0, 0);

    for (file, text) in headers() {
        for (name, value) in defines(&text) {
            // Export-attribute helpers, not part of the API's values.
            if ["UVMAPI_EXPORT", "UVMAPI_EXTERN"].contains(&name.as_str()) {
                continue;
            }
            let wanted = if name.ends_with("_INIT") {
                // UVMAPI_X_INIT is the associated constant uvmapi_x::INIT.
                let ty = name.trim_end_matches("_INIT").to_lowercase();
                format!("impl {ty} {{\n    /// `{name}`.\n    pub const INIT")
            } else {
                format!("pub const {name}:")
            };
            let Some(at) = lib.find(&wanted) else {
                problems.push(format!("{file}: {name} is not declared"));
                continue;
            };
            counted.0 += 1;
            let header_value = literal(&value);
            let rust_line = &lib[at..at + lib[at..].find(";\n").unwrap()];
            let rust_value = literal(rust_line.split_once('=').map_or("", |(_, v)| v));
            if let (Some(h), false) = (header_value, value.contains("UVMAPI_VERSION_")) {
                if name.ends_with("_INIT") {
                    continue;
                }
                if rust_value != Some(h) {
                    problems.push(format!(
                        "{file}: {name} is {value} in C but `{rust_line}` in Rust"
                    ));
                }
            }
        }
        let (functions, data) = externs(&text);
        for name in functions {
            counted.1 += 1;
            if !lib.contains(&format!("pub fn {name}(")) {
                problems.push(format!("{file}: function {name} is not declared"));
            }
        }
        for name in data {
            counted.2 += 1;
            if !lib.contains(&format!("pub static {name}:")) {
                problems.push(format!("{file}: data {name} is not declared"));
            }
        }
        for name in typedefs(&text) {
            counted.3 += 1;
            let declared = lib.contains(&format!("pub struct {name} "))
                || lib.contains(&format!("pub type {name} "));
            if !declared {
                problems.push(format!("{file}: type {name} is not declared"));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "the crate differs from the headers:\n{}",
        problems.join("\n")
    );
    eprintln!("constants, functions, data, types: {counted:?}");
    // The headers as of 1.0.0; more is fine, fewer means the scan broke.
    assert!(counted.0 >= 55, "only {} constants found", counted.0);
    assert!(counted.1 >= 36, "only {} functions found", counted.1);
    assert_eq!(counted.2, 6, "interface ids");
    assert!(counted.3 >= 20, "only {} types found", counted.3);
}
