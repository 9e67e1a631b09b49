//! Finds libuvmapi: `UVMAPI_LIB_DIR` when set, else `pkg-config`. No helper
//! crates: the two ways are a directory name and one command.
use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

struct Found {
    search: Vec<PathBuf>,
    libs: Vec<String>,
    how: String,
}

fn from_env() -> Option<Result<Found, String>> {
    let dir = env::var_os("UVMAPI_LIB_DIR")?;
    if dir.is_empty() {
        return None;
    }
    let dir = PathBuf::from(dir);
    if !dir.is_dir() {
        return Some(Err(format!(
            "UVMAPI_LIB_DIR is set to {}, which is not a directory",
            dir.display()
        )));
    }
    Some(Ok(Found {
        search: vec![dir.clone()],
        libs: vec!["uvmapi".to_string()],
        how: format!("UVMAPI_LIB_DIR={}", dir.display()),
    }))
}

fn from_pkg_config() -> Result<Found, String> {
    let program = env::var("PKG_CONFIG").unwrap_or_else(|_| "pkg-config".to_string());
    let output = Command::new(&program)
        .args(["--libs-only-L", "--libs-only-l", "uvmapi"])
        .output()
        .map_err(|error| format!("could not run `{program}`: {error}"))?;
    if !output.status.success() {
        return Err(format!(
            "`{program} --libs-only-L --libs-only-l uvmapi` failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let mut found = Found {
        search: Vec::new(),
        libs: Vec::new(),
        how: format!("{program} uvmapi"),
    };
    for word in text.split_whitespace() {
        if let Some(dir) = word.strip_prefix("-L") {
            found.search.push(PathBuf::from(dir));
        } else if let Some(lib) = word.strip_prefix("-l") {
            found.libs.push(lib.to_string());
        }
    }
    if !found.libs.iter().any(|lib| lib == "uvmapi") {
        return Err(format!(
            "`{program}` knows uvmapi but does not name -luvmapi"
        ));
    }
    Ok(found)
}

fn main() {
    println!("cargo:rerun-if-env-changed=UVMAPI_LIB_DIR");
    println!("cargo:rerun-if-env-changed=PKG_CONFIG");
    println!("cargo:rerun-if-env-changed=PKG_CONFIG_PATH");
    println!("cargo:rerun-if-env-changed=PKG_CONFIG_LIBDIR");
    println!("cargo:rerun-if-changed=build.rs");

    let found = match from_env() {
        Some(Ok(found)) => found,
        Some(Err(problem)) => panic!("\n\nuvmapi-sys: {problem}.\n\n"),
        None => match from_pkg_config() {
            Ok(found) => found,
            Err(problem) => panic!(
                "\n\nuvmapi-sys cannot find libuvmapi.\n\
                 Either set UVMAPI_LIB_DIR to the directory that holds libuvmapi \
                 (a CMake build puts it in <build>/lib), or install uvmapi where \
                 pkg-config finds it (PKG_CONFIG_PATH=<prefix>/lib/pkgconfig).\n\
                 pkg-config said: {problem}\n\n"
            ),
        },
    };

    for dir in &found.search {
        println!("cargo:rustc-link-search=native={}", dir.display());
    }
    for lib in &found.libs {
        println!("cargo:rustc-link-lib=dylib={lib}");
    }
    // For dependents' build scripts (DEP_UVMAPI_LIB_DIR): where the shared
    // library is, so their tests and examples can find it at run time.
    if let Ok(joined) = env::join_paths(&found.search) {
        println!("cargo:lib_dir={}", joined.to_string_lossy());
    }
    println!("cargo:how={}", found.how);
    add_rpath(&found.search);
}

/// This crate's own tests find the library without LD_LIBRARY_PATH.
fn add_rpath(dirs: &[PathBuf]) {
    if env::var("CARGO_CFG_TARGET_FAMILY").as_deref() != Ok("unix") {
        return;
    }
    for dir in dirs.iter().filter(|d| Path::new(d).is_absolute()) {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{}", dir.display());
    }
}
