//! Helpers for the tests that build and run real Go programs (each test file
//! is its own crate, so not every file uses every helper): the shared ones
//! from gostuck-testkit, and what only these tests need.
#![allow(dead_code)]

use std::path::Path;

// (Each test file is its own crate and uses some of these.)
#[allow(unused_imports)]
pub use gostuck_testkit::{build, gcore, go, go_of, goroot, gos, repo, Running, Scratch};

/// A section's address and bytes in an ELF file.
pub fn section(file: &Path, name: &str) -> (u64, Vec<u8>) {
    use object::{Object, ObjectSection};
    let data = std::fs::read(file).unwrap();
    let f = object::File::parse(&*data).unwrap();
    let s = f.section_by_name(name).unwrap();
    (s.address(), s.data().unwrap().to_vec())
}
