//! Source files from disk for the paths a dump prints: exact paths first,
//! then suffix matches under the roots; only regular text files up to a
//! size cap, each read and parsed once.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::resolve::{read_source, Resolver};
use crate::SourceFile;

/// The most files [`SourceFiles::package_files`] lists for one package.
pub const MAX_PACKAGE_FILES: usize = 500;

/// Source files found on disk, parsed on first use and kept.
pub struct SourceFiles {
    resolver: Resolver,
    cache: HashMap<String, Option<SourceFile>>,
    max_size: u64,
    /// Files found but not read or not parsed, and why.
    skipped: Vec<(PathBuf, String)>,
    /// Dump path → the local file read for it.
    found: HashMap<String, PathBuf>,
}

impl SourceFiles {
    /// Files under `roots` (and at the exact paths a dump prints), skipping
    /// those larger than `max_size` bytes.
    #[must_use]
    pub fn new(roots: &[PathBuf], max_size: u64) -> SourceFiles {
        SourceFiles {
            resolver: Resolver::new(roots, true),
            cache: HashMap::new(),
            max_size,
            skipped: Vec::new(),
            found: HashMap::new(),
        }
    }

    /// The parsed file for a path as a dump prints it, if one is found and
    /// can be read and parsed.
    pub fn file(&mut self, dump_path: &str) -> Option<&SourceFile> {
        if !self.cache.contains_key(dump_path) {
            let parsed = self.resolver.find(dump_path).and_then(|p| {
                let parsed = read_source(&p, self.max_size)
                    .map_err(|e| e.to_string())
                    .and_then(|b| SourceFile::parse(&b).map_err(|e| e.to_string()));
                match parsed {
                    Ok(f) => {
                        self.found.insert(dump_path.to_string(), p);
                        Some(f)
                    }
                    Err(e) => {
                        self.skipped.push((p, e));
                        None
                    }
                }
            });
            self.cache.insert(dump_path.to_string(), parsed);
        }
        self.cache.get(dump_path).and_then(Option::as_ref)
    }

    /// The `.go` files of the package (directory) of the file read for a dump
    /// path, sorted; `None` when that file was not read, the directory cannot
    /// be listed, or it holds more than `MAX_PACKAGE_FILES` (500) files (a package
    /// that large is not read whole: what it holds stays unknown).
    pub fn package_files(&mut self, dump_path: &str) -> Option<Vec<String>> {
        self.file(dump_path)?;
        let dir = self.found.get(dump_path)?.parent()?.to_path_buf();
        let mut out = Vec::new();
        for e in std::fs::read_dir(&dir).ok()?.flatten() {
            let name = e.file_name();
            if name.to_string_lossy().ends_with(".go") && e.file_type().is_ok_and(|t| t.is_file()) {
                out.push(e.path().to_string_lossy().into_owned());
            }
            if out.len() > MAX_PACKAGE_FILES {
                return None;
            }
        }
        out.sort();
        Some(out)
    }

    /// Files found but not read or not parsed, and why, in the order met.
    #[must_use]
    pub fn skipped(&self) -> &[(PathBuf, String)] {
        &self.skipped
    }

    /// Dump path → the local file read for it, for the files where the two
    /// differ.
    #[must_use]
    pub fn read_from(&self) -> HashMap<String, String> {
        self.found
            .iter()
            .map(|(dump, local)| (dump.clone(), local.to_string_lossy().into_owned()))
            .filter(|(dump, local)| dump != local)
            .collect()
    }

    /// The roots under which no file was read (compared after resolving
    /// symbolic links).
    pub fn unused_roots<'r>(&self, roots: &'r [PathBuf]) -> Vec<&'r Path> {
        let canon = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
        let found: Vec<PathBuf> = self.found.values().map(|p| canon(p)).collect();
        roots
            .iter()
            .filter(|root| {
                let root = canon(root);
                !found.iter().any(|f| f.starts_with(&root))
            })
            .map(PathBuf::as_path)
            .collect()
    }
}
