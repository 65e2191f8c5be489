//! Every public method of `Store` runs in this suite, on both backends: the test below reads the
//! crate's sources for the `pub fn` / `pub async fn` of its `impl Store` blocks and fails naming
//! each one that no conformance test calls, so a new method cannot arrive untested.
//!
//! "Calls" is read from the text: `.name(`, `.name::<` or `Store::name(` somewhere in this
//! directory's sources (this file excepted). A method of another type with the same name would
//! hide a missing call; the names are specific enough that none does today.

use std::path::{Path, PathBuf};

/// The `.rs` files under `dir`, at any depth, in a stable order.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut dirs = vec![dir.to_owned()];
    while let Some(d) = dirs.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The public methods of the `impl Store` blocks of `source`. The sources are formatted by
/// rustfmt, so such a block opens with `impl Store {` and closes with `}` at the start of a
/// line, and its methods start four spaces in.
fn store_methods(source: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut inside = false;
    for line in source.lines() {
        if line == "impl Store {" {
            inside = true;
        } else if inside && line == "}" {
            inside = false;
        } else if inside {
            let rest = line
                .strip_prefix("    pub async fn ")
                .or_else(|| line.strip_prefix("    pub fn "));
            if let Some(rest) = rest {
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                out.push(name);
            }
        }
    }
    out
}

fn called(sources: &str, name: &str) -> bool {
    [
        format!(".{name}("),
        format!(".{name}::<"),
        format!("Store::{name}("),
    ]
    .iter()
    .any(|p| sources.contains(p.as_str()))
}

#[test]
fn the_method_reader_finds_public_methods_of_impl_store_only() {
    let source = "\
impl Store {
    pub async fn listed(&self) {}
    pub fn also_listed(&self) -> bool {
        true
    }
    pub(crate) async fn internal(&self) {}
    async fn private(&self) {}
}

impl Other {
    pub async fn not_store(&self) {}
}

impl Store {
    pub async fn second_block(&self) {}
}
";
    assert_eq!(
        store_methods(source),
        ["listed", "also_listed", "second_block"]
    );
    assert!(called("x.listed(1)", "listed"));
    assert!(called("Store::open(&u)", "open"));
    assert!(!called("x.listed_too(1)", "listed"));
    assert!(!called("fn listed(", "listed"));
}

#[test]
fn every_public_store_method_runs_in_the_conformance_suite() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut methods = Vec::new();
    for file in rust_files(&root.join("src")) {
        methods.extend(store_methods(&std::fs::read_to_string(file).unwrap()));
    }
    methods.sort();
    methods.dedup();
    assert!(
        methods.len() > 100 && methods.iter().any(|m| m == "revoke"),
        "the reader found only {} methods: has the source layout changed? {methods:?}",
        methods.len()
    );
    let this = Path::new(file!()).file_name().unwrap();
    let sources: String = rust_files(&root.join("tests").join("conformance"))
        .into_iter()
        .filter(|f| f.file_name() != Some(this))
        .map(|f| std::fs::read_to_string(f).unwrap())
        .collect();
    let missing: Vec<&String> = methods.iter().filter(|m| !called(&sources, m)).collect();
    assert!(
        missing.is_empty(),
        "public Store methods no conformance test calls (add them to the suite): {missing:?}"
    );
}
