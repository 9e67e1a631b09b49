//! docs/rust.md shows the quickstart verbatim; `cargo test` runs the
//! quickstart itself (examples/quickstart.rs is a test target without harness).
use std::fs;
use std::path::PathBuf;

#[test]
fn the_rust_page_shows_the_quickstart_verbatim() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let example = fs::read_to_string(root.join("examples/quickstart.rs")).unwrap();
    let page_path = root.join("../../../docs/rust.md");
    let page =
        fs::read_to_string(&page_path).unwrap_or_else(|e| panic!("{}: {e}", page_path.display()));
    let block = format!("```rust\n{example}```\n");
    assert!(
        page.contains(&block),
        "{} must show examples/quickstart.rs verbatim in a ```rust block; copy the file into it again",
        page_path.display()
    );
}
