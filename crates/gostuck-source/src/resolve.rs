//! Finding the local file for a path printed in a dump: the exact path if it
//! exists, else the file under a `--source` root (then GOROOT) whose path shares
//! the longest suffix with it. Dumps come from CI machines and containers
//! (`/app/…`, `/go/src/…`, `/home/runner/work/…`), so suffix matching is the rule.

use std::io::Read;
use std::path::{Path, PathBuf};

use rustc_hash::FxHashMap;

/// An index of `.go` files under the source roots.
#[derive(Debug, Default)]
pub struct Resolver {
    by_name: FxHashMap<String, Vec<PathBuf>>,
    exact_allowed: bool,
}

const MAX_FILES: usize = 200_000;

impl Resolver {
    /// Indexes `.go` files under each root, `.gitignore` honoured as git does
    /// (the rules are on `walk` below). `exact_allowed` lets a dump path that exists on this
    /// machine win outright.
    #[must_use]
    pub fn new(roots: &[PathBuf], exact_allowed: bool) -> Resolver {
        let mut r = Resolver {
            by_name: FxHashMap::default(),
            exact_allowed,
        };
        let mut count = 0;
        for root in roots {
            let mut vendors = Vec::new();
            let mut more = walk(
                root,
                true,
                &mut |p, is_root| r.add(p, is_root, &mut count),
                &mut vendors,
            );
            // `vendor/` last, so its copies lose ties with the module's own files.
            for v in &vendors {
                if !more {
                    break;
                }
                more = walk(
                    v,
                    false,
                    &mut |p, is_root| r.add(p, is_root, &mut count),
                    &mut Vec::new(),
                );
            }
            if !more {
                break;
            }
        }
        r
    }

    /// Indexes a file; false once [`MAX_FILES`] `.go` files are indexed.
    fn add(&mut self, p: PathBuf, is_root: bool, count: &mut usize) -> bool {
        if !is_root {
            *count += 1;
        }
        self.index(p);
        *count < MAX_FILES
    }

    fn index(&mut self, p: PathBuf) {
        if let Some(n) = p.file_name() {
            self.by_name
                .entry(n.to_string_lossy().into_owned())
                .or_default()
                .push(p);
        }
    }

    /// The local file for a dump path, if any.
    #[must_use]
    pub fn find(&self, dump_path: &str) -> Option<PathBuf> {
        if self.exact_allowed && Path::new(dump_path).is_file() {
            return Some(PathBuf::from(dump_path));
        }
        let norm = dump_path.replace('\\', "/");
        let want: Vec<&str> = norm.split('/').filter(|s| !s.is_empty()).collect();
        let name = *want.last()?;
        let cands = self.by_name.get(name)?;
        let mut best: Option<(usize, &PathBuf)> = None;
        for c in cands {
            let cs = c.to_string_lossy().replace('\\', "/");
            let have: Vec<&str> = cs.split('/').filter(|s| !s.is_empty()).collect();
            let common = want
                .iter()
                .rev()
                .zip(have.iter().rev())
                .take_while(|(a, b)| a == b)
                .count();
            match best {
                Some((n, _)) if n >= common => {}
                _ => best = Some((common, c)),
            }
        }
        best.map(|(_, p)| p.clone())
    }
}

/// Walks `root` for `.go` files, calling `found(path, is_root)` for each until
/// it returns false, and returns false then (a root that is a regular file,
/// after links, is passed whatever its name).
///
/// - `.gitignore` files (and `.git/info/exclude`) apply as git applies them:
///   inside a git work tree only, up to its top; never the user's global
///   excludes. `.ignore` files and the environment play no part.
/// - Hidden directories and `node_modules` are skipped.
/// - Symbolic links to directories are never followed (no loop, no escape
///   from the tree); a link named `*.go` is indexed, and reading it later
///   refuses anything but a regular file of bounded size ([`read_source`]).
/// - `vendor/` directories are not walked here but returned in `vendors`: Go
///   builds them as part of the module and dumps name their files, so they
///   are read in full (`with_git_rules` false) even when `.gitignore` lists them.
fn walk(
    root: &Path,
    with_git_rules: bool,
    found: &mut dyn FnMut(PathBuf, bool) -> bool,
    vendors: &mut Vec<PathBuf>,
) -> bool {
    let skip_vendor = with_git_rules;
    let mut b = ignore::WalkBuilder::new(root);
    b.standard_filters(false)
        .git_ignore(with_git_rules)
        .git_exclude(with_git_rules)
        .parents(with_git_rules)
        .require_git(true)
        .follow_links(false)
        .sort_by_file_name(std::cmp::Ord::cmp)
        .filter_entry(move |e| {
            let name = e.file_name().to_string_lossy();
            !e.file_type().is_some_and(|t| t.is_dir())
                || e.depth() == 0
                || !(name.starts_with('.')
                    || name == "node_modules"
                    || (skip_vendor && name == "vendor"))
        });
    for e in b.build().flatten() {
        let is_dir = e.file_type().is_some_and(|t| t.is_dir());
        if is_dir {
            if skip_vendor {
                let v = e.path().join("vendor");
                if std::fs::symlink_metadata(&v).is_ok_and(|m| m.is_dir()) {
                    vendors.push(v);
                }
            }
            continue;
        }
        let is_root = e.depth() == 0;
        let wanted = if is_root {
            e.path().is_file()
        } else {
            e.file_name().to_string_lossy().ends_with(".go")
        };
        if wanted && !found(e.into_path(), is_root) {
            return false;
        }
    }
    true
}

/// The longest common suffix, in path elements, of two paths.
#[must_use]
pub fn common_suffix(a: &str, b: &str) -> usize {
    let a = a.replace('\\', "/");
    let b = b.replace('\\', "/");
    a.split('/')
        .rev()
        .zip(b.split('/').rev())
        .take_while(|(x, y)| x == y && !x.is_empty())
        .count()
}

/// Source files larger than this are not read unless the caller says otherwise
/// (the largest Go files, generated tables, are a few MiB).
pub const DEFAULT_MAX_SOURCE_SIZE: u64 = 8 << 20;

/// Why a source file was not read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// A FIFO, device, socket or directory: reading it could block forever
    /// or never end.
    #[error("not a regular file ({0})")]
    NotRegular(&'static str),
    /// Larger than the size cap.
    #[error("{size} bytes, more than the {max}-byte limit (see --max-source-size)")]
    TooLarge {
        /// The file's size.
        size: u64,
        /// The cap.
        max: u64,
    },
    /// Not Go source text: a NUL byte or invalid UTF-8 (the Go compiler refuses both).
    #[error("not Go source text ({0})")]
    NotText(&'static str),
    /// Opening or reading failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Reads a source file: a regular file (after following symlinks) of at most
/// `max` bytes holding text. Never blocks on a FIFO or reads a device: the
/// file is opened non-blocking and checked after opening, and at most `max`
/// bytes are read even if it grows meanwhile.
pub fn read_source(path: &Path, max: u64) -> Result<Vec<u8>, ReadError> {
    let file = open_nonblocking(path)?;
    let meta = file.metadata()?;
    let ft = meta.file_type();
    if !ft.is_file() {
        return Err(ReadError::NotRegular(kind_of(&ft)));
    }
    if meta.len() > max {
        return Err(ReadError::TooLarge {
            size: meta.len(),
            max,
        });
    }
    // A capacity hint only: the read below stops at `max + 1` bytes.
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(max + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(ReadError::TooLarge {
            size: bytes.len() as u64,
            max,
        });
    }
    if bytes.contains(&0) {
        return Err(ReadError::NotText("it holds NUL bytes"));
    }
    if std::str::from_utf8(&bytes).is_err() {
        return Err(ReadError::NotText("invalid UTF-8"));
    }
    Ok(bytes)
}

#[cfg(unix)]
fn open_nonblocking(path: &Path) -> std::io::Result<std::fs::File> {
    use rustix::fs::{Mode, OFlags};
    // O_NONBLOCK: opening a FIFO for reading does not wait for a writer;
    // O_NOCTTY: a terminal device does not become ours. Both are no-ops for
    // the regular files read afterwards.
    let fd = rustix::fs::open(
        path,
        OFlags::RDONLY | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    Ok(std::fs::File::from(fd))
}

#[cfg(not(unix))]
fn open_nonblocking(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::File::open(path)
}

#[cfg(unix)]
fn kind_of(ft: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if ft.is_fifo() {
        "a FIFO"
    } else if ft.is_char_device() {
        "a character device"
    } else if ft.is_block_device() {
        "a block device"
    } else if ft.is_socket() {
        "a socket"
    } else if ft.is_dir() {
        "a directory"
    } else {
        "not a file"
    }
}

#[cfg(not(unix))]
fn kind_of(ft: &std::fs::FileType) -> &'static str {
    if ft.is_dir() {
        "a directory"
    } else {
        "not a file"
    }
}
