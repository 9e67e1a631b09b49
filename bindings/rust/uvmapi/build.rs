//! This crate's own tests and examples run against the library uvmapi-sys
//! found, without LD_LIBRARY_PATH: they get it as an rpath.
use std::env;

fn main() {
    println!("cargo:rerun-if-env-changed=DEP_UVMAPI_LIB_DIR");
    if env::var("CARGO_CFG_TARGET_FAMILY").as_deref() != Ok("unix") {
        return;
    }
    if let Some(dirs) = env::var_os("DEP_UVMAPI_LIB_DIR") {
        for dir in env::split_paths(&dirs).filter(|d| d.is_absolute()) {
            println!("cargo:rustc-link-arg=-Wl,-rpath,{}", dir.display());
        }
    }
}
