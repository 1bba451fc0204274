//! Repository-relative paths for the report formats that point into the
//! repository (SARIF, GitHub annotations).
//!
//! The repository root is the first `--source` directory, else the nearest
//! directory holding a `go.mod` from the current directory upwards (the
//! module root `go test ./...` runs in). A file the dump names is shown
//! relative to that root when a file under the root has a path that is a
//! suffix of the printed one (`/home/runner/work/app/app/queue/q.go` is
//! `queue/q.go` when the root holds `queue/q.go`); otherwise it is shown as
//! printed.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::resolve::Resolver;

/// The repository root, made absolute: the first of `source`, else the
/// nearest directory from `cwd` upwards that holds a `go.mod`.
#[must_use]
pub fn root(source: &[PathBuf], cwd: Option<&Path>) -> Option<PathBuf> {
    if let Some(first) = source.first() {
        return first.canonicalize().ok();
    }
    cwd?.ancestors()
        .find(|d| d.join("go.mod").is_file())
        .map(Path::to_path_buf)
}

/// Printed files found under a repository root.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RepoFiles {
    /// The root as a `file://` URI ending in `/`.
    pub root_uri: String,
    /// A file as printed → its path relative to the root, `/`-separated.
    pub files: HashMap<String, String>,
}

/// The files of `printed` (paths as a dump prints them) that are under
/// `root` (absolute, from [`root`]), relative to it.
pub fn relative<'a>(root: &Path, printed: impl IntoIterator<Item = &'a str>) -> RepoFiles {
    let resolver = Resolver::new(std::slice::from_ref(&root.to_path_buf()), false);
    let mut files = HashMap::new();
    for p in printed {
        if files.contains_key(p) {
            continue;
        }
        let Some(found) = resolver.find(p) else {
            continue;
        };
        let Ok(rel) = found.strip_prefix(root) else {
            continue;
        };
        let rel = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        let shown = p.replace('\\', "/");
        if shown == rel || shown.ends_with(&format!("/{rel}")) {
            files.insert(p.to_string(), rel);
        }
    }
    let mut root_uri = String::from("file://");
    for c in root.components().skip(1) {
        root_uri.push('/');
        root_uri.push_str(&uri_escape(&c.as_os_str().to_string_lossy()));
    }
    root_uri.push('/');
    RepoFiles { root_uri, files }
}

/// Percent-encodes a path segment for a `file://` URI.
fn uri_escape(seg: &str) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    for b in seg.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenarios() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../testdata/scenarios")
            .canonicalize()
            .unwrap()
    }

    #[test]
    fn the_root_is_the_first_source_dir_else_the_nearest_go_mod_upwards() {
        let s = scenarios();
        let abba = s.join("abba");
        assert_eq!(root(&[abba.clone(), s.clone()], None), Some(abba.clone()));
        assert_eq!(root(&[], Some(&abba)), Some(abba.clone()));
        assert_eq!(root(&[], None), None);
        assert_eq!(root(&[s.join("no-such-dir")], Some(&abba)), None);
    }

    #[test]
    fn printed_paths_ending_in_a_file_under_the_root_become_relative() {
        let abba = scenarios().join("abba");
        let got = relative(
            &abba,
            [
                "/home/runner/work/abba/main.go",
                "/usr/local/go/src/sync/mutex.go",
                "/home/runner/work/abba/main.go",
            ],
        );
        assert_eq!(got.files.len(), 1);
        assert_eq!(got.files["/home/runner/work/abba/main.go"], "main.go");
        assert!(got.root_uri.starts_with("file:///") && got.root_uri.ends_with("/abba/"));
    }

    #[test]
    fn uri_segments_are_percent_encoded() {
        assert_eq!(uri_escape("my dir#1"), "my%20dir%231");
        assert_eq!(uri_escape("a-b_c.d~e"), "a-b_c.d~e");
        assert_eq!(uri_escape("é"), "%C3%A9");
    }
}
