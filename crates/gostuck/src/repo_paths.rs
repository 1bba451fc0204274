//! Repository-relative paths for the formats that point into the repository
//! (SARIF, GitHub annotations).
//!
//! The repository root is the first `--source` directory, else the nearest
//! directory holding a `go.mod` from the current directory upwards (the
//! module root `go test ./...` runs in). A file the dump names is shown
//! relative to that root when a file under the root has a path that is a
//! suffix of the printed one (`/home/runner/work/app/app/queue/q.go` is
//! `queue/q.go` when the root holds `queue/q.go`); otherwise it is shown as
//! printed.

use std::path::{Path, PathBuf};

use gostuck_engine::Report;
use gostuck_report::RepoPaths;

/// The repository root, made absolute.
fn root(source: &[PathBuf]) -> Option<PathBuf> {
    if let Some(first) = source.first() {
        return first.canonicalize().ok();
    }
    let cwd = std::env::current_dir().ok()?;
    cwd.ancestors()
        .find(|d| d.join("go.mod").is_file())
        .map(Path::to_path_buf)
}

/// The paths of `report`'s finding locations relative to the repository root.
pub fn find(report: &Report, source: &[PathBuf]) -> Option<RepoPaths> {
    let root = root(source)?;
    let resolver = gostuck_source::resolve::Resolver::new(std::slice::from_ref(&root), false);
    let mut files = std::collections::HashMap::new();
    for l in report.findings.iter().flat_map(|f| &f.locations) {
        if files.contains_key(&l.file) {
            continue;
        }
        let Some(found) = resolver.find(&l.file) else {
            continue;
        };
        let Ok(rel) = found.strip_prefix(&root) else {
            continue;
        };
        let rel = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        let printed = l.file.replace('\\', "/");
        if printed == rel || printed.ends_with(&format!("/{rel}")) {
            files.insert(l.file.clone(), rel);
        }
    }
    let mut root_uri = String::from("file://");
    for c in root.components().skip(1) {
        root_uri.push('/');
        root_uri.push_str(&uri_escape(&c.as_os_str().to_string_lossy()));
    }
    root_uri.push('/');
    Some(RepoPaths { root_uri, files })
}

/// Percent-encodes a path segment for a `file://` URI.
fn uri_escape(seg: &str) -> String {
    let mut out = String::new();
    for b in seg.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
