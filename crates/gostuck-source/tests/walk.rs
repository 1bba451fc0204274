//! The `--source` walk on a real Go module (a copy of testdata/scenarios/abba)
//! with what real checkouts hold around it: `.gitignore`d build output and
//! files, a `vendor/` directory (listed in `.gitignore` too), hidden and
//! `node_modules` directories, and symbolic links that loop or lead out of
//! the tree.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use gostuck_source::resolve::Resolver;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A fresh directory `name` under cargo's per-test scratch directory.
fn scratch(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    if d.exists() {
        fs::remove_dir_all(&d).unwrap();
    }
    fs::create_dir_all(&d).unwrap();
    d
}

fn copy(from: &str, to: &Path) {
    fs::create_dir_all(to.parent().unwrap()).unwrap();
    fs::copy(repo().join(from), to).unwrap();
}

/// `base/abba`: the abba module, plus copies of real Go files where a
/// checkout keeps build output, dependencies and tool state. `git` marks it
/// as a git work tree (an empty `.git`, which is all the walk looks for).
fn module(base: &Path, git: bool) -> PathBuf {
    let m = base.join("abba");
    let main = "testdata/scenarios/abba/main.go";
    let other = "testdata/scenarios/mutex-across-channel/main.go";
    copy("testdata/scenarios/abba/go.mod", &m.join("go.mod"));
    copy(main, &m.join("main.go"));
    if git {
        fs::create_dir_all(m.join(".git")).unwrap();
    }
    fs::write(m.join(".gitignore"), "/build/\n*_local.go\nvendor/\n").unwrap();
    copy(other, &m.join("build/gen.go"));
    copy(other, &m.join("debug_local.go"));
    copy(other, &m.join("vendor/example.com/lock/lock.go"));
    fs::write(m.join("vendor/modules.txt"), "# example.com/lock v1.0.0\n").unwrap();
    copy(other, &m.join(".cache/cached.go"));
    copy(other, &m.join("node_modules/pkg/tool.go"));
    // Links: a loop back to the module, a directory outside it, and a file.
    let outside = base.join("outside");
    copy(other, &outside.join("escaped.go"));
    symlink("..", m.join("loop")).unwrap();
    symlink(&outside, m.join("elsewhere")).unwrap();
    symlink(m.join("main.go"), m.join("linked.go")).unwrap();
    m
}

fn found(r: &Resolver, dump_path: &str) -> Option<String> {
    r.find(dump_path)
        .map(|p| p.to_string_lossy().replace('\\', "/"))
}

#[test]
fn the_walk_honours_gitignore_but_reads_vendor_and_never_follows_directory_links() {
    let base = scratch("walk-git");
    let m = module(&base, true);
    let r = Resolver::new(std::slice::from_ref(&m), false);
    let at = |rel: &str| Some(m.join(rel).to_string_lossy().into_owned());

    // The module's own file, by the path a CI machine printed.
    assert_eq!(found(&r, "/home/runner/work/abba/main.go"), at("main.go"));
    // vendor/ is read although .gitignore lists it: a -mod=vendor build
    // names these files in its dumps.
    assert_eq!(
        found(&r, "/app/vendor/example.com/lock/lock.go"),
        at("vendor/example.com/lock/lock.go")
    );
    // Ignored build output and files, tool state and node_modules are not.
    assert_eq!(found(&r, "/app/build/gen.go"), None);
    assert_eq!(found(&r, "/app/debug_local.go"), None);
    assert_eq!(found(&r, "/app/.cache/cached.go"), None);
    assert_eq!(found(&r, "/app/node_modules/pkg/tool.go"), None);
    // Directory links are not followed: not out of the tree, not round the loop.
    assert_eq!(found(&r, "/app/elsewhere/escaped.go"), None);
    assert_eq!(
        found(&r, "/app/abba/loop/abba/loop/abba/main.go"),
        at("main.go")
    );
    // A link named *.go is indexed; reading it checks what it points at.
    assert_eq!(found(&r, "/app/linked.go"), at("linked.go"));
}

#[test]
fn outside_a_git_work_tree_gitignore_is_not_applied() {
    // As git: a .gitignore means nothing without a repository around it
    // (a tree copied into a container), so nothing is left out for it.
    // Outside the checkout, which is a git work tree itself.
    let base = std::env::temp_dir().join(format!("gostuck-walk-nogit-{}", std::process::id()));
    assert!(
        !base.ancestors().any(|d| d.join(".git").exists()),
        "{} is inside a git work tree",
        base.display()
    );
    let _ = fs::remove_dir_all(&base);
    fs::create_dir_all(&base).unwrap();
    let m = module(&base, false);
    let r = Resolver::new(std::slice::from_ref(&m), false);
    let at = |rel: &str| Some(m.join(rel).to_string_lossy().into_owned());
    assert_eq!(found(&r, "/app/build/gen.go"), at("build/gen.go"));
    assert_eq!(found(&r, "/app/debug_local.go"), at("debug_local.go"));
    assert_eq!(
        found(&r, "/app/vendor/example.com/lock/lock.go"),
        at("vendor/example.com/lock/lock.go")
    );
    // Hidden directories and node_modules are skipped all the same.
    assert_eq!(found(&r, "/app/.cache/cached.go"), None);
    assert_eq!(found(&r, "/app/node_modules/pkg/tool.go"), None);
    fs::remove_dir_all(&base).unwrap();
}

#[test]
fn a_root_that_is_a_file_is_indexed_and_a_missing_root_is_not_an_error() {
    let base = scratch("walk-roots");
    let file = base.join("prog.go");
    copy("testdata/scenarios/abba/main.go", &file);
    let r = Resolver::new(&[base.join("missing"), file.clone()], false);
    assert_eq!(
        found(&r, "/ci/prog.go"),
        Some(file.to_string_lossy().into_owned())
    );
}
