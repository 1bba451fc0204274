//! Helpers shared by the whole-process tests (each test file is its own crate,
//! so not every file uses every helper).
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use serde_json::Value;

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// The pinned Go toolchain that scripts/test.sh installs (GOSTUCK_GO). Without
/// it, live tests are skipped locally and fail under CI, so CI can never pass
/// them vacuously.
pub fn go() -> Option<PathBuf> {
    match std::env::var_os("GOSTUCK_GO") {
        Some(p) => Some(PathBuf::from(p)),
        None if std::env::var_os("CI").is_some() => {
            panic!("CI must set GOSTUCK_GO (scripts/test.sh does)")
        }
        None => {
            eprintln!("GOSTUCK_GO not set: skipping live Go tests (run scripts/test.sh)");
            None
        }
    }
}

/// `main.go:28`-style blocked locations of a JSON finding, sorted and unique.
pub fn blocked_lines(f: &Value) -> Vec<String> {
    let mut v: Vec<String> = f["locations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["role"] == "blocked")
        .map(|l| {
            format!(
                "{}:{}",
                l["file"].as_str().unwrap().rsplit('/').next().unwrap(),
                l["line"]
            )
        })
        .collect();
    v.sort();
    v.dedup();
    v
}
