//! Finding the local file for a path printed in a dump: the exact path if it
//! exists, else the file under a `--source` root (then GOROOT) whose path shares
//! the longest suffix with it. Dumps come from CI machines and containers
//! (`/app/…`, `/go/src/…`, `/home/runner/work/…`), so suffix matching is the rule.

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
    /// Indexes `.go` files under each root (depth-first, skipping `.git`,
    /// `node_modules` and hidden directories). `exact_allowed` lets a dump path
    /// that exists on this machine win outright.
    pub fn new(roots: &[PathBuf], exact_allowed: bool) -> Resolver {
        let mut r = Resolver {
            by_name: FxHashMap::default(),
            exact_allowed,
        };
        let mut count = 0;
        for root in roots {
            let mut stack = vec![root.clone()];
            while let Some(dir) = stack.pop() {
                let Ok(rd) = std::fs::read_dir(&dir) else {
                    if dir.is_file() {
                        r.add(dir.clone());
                    }
                    continue;
                };
                for e in rd.flatten() {
                    let p = e.path();
                    let name = e.file_name();
                    let name = name.to_string_lossy();
                    let Ok(ft) = e.file_type() else { continue };
                    if ft.is_dir() {
                        if !name.starts_with('.') && name != "node_modules" {
                            stack.push(p);
                        }
                    } else if name.ends_with(".go") {
                        r.add(p);
                        count += 1;
                        if count >= MAX_FILES {
                            return r;
                        }
                    }
                }
            }
        }
        r
    }

    fn add(&mut self, p: PathBuf) {
        if let Some(n) = p.file_name() {
            self.by_name
                .entry(n.to_string_lossy().into_owned())
                .or_default()
                .push(p);
        }
    }

    /// The local file for a dump path, if any.
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

/// The longest common suffix, in path elements, of two paths.
pub fn common_suffix(a: &str, b: &str) -> usize {
    let a = a.replace('\\', "/");
    let b = b.replace('\\', "/");
    a.split('/')
        .rev()
        .zip(b.split('/').rev())
        .take_while(|(x, y)| x == y && !x.is_empty())
        .count()
}
