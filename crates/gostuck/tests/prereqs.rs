//! scripts/check-prereqs.sh (run first by scripts/test.sh) names what a fresh
//! machine lacks instead of failing midway. The missing pieces are simulated
//! with a `cargo` and a `python3` that fail the way they do without the
//! rustfmt/clippy components and without Debian's python3-venv.

use std::path::Path;
use std::process::Command;

mod support;
use support::repo;

fn check(path: &str) -> (i32, String) {
    let out = Command::new("bash")
        .arg(repo().join("scripts/check-prereqs.sh"))
        .env("PATH", path)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn script(dir: &Path, name: &str, body: &str) {
    use std::os::unix::fs::PermissionsExt;
    let p = dir.join(name);
    std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn missing_rustfmt_clippy_and_venv_are_named_with_how_to_get_them() {
    let dir = tempfile::tempdir().unwrap();
    // `cargo fmt` without the component: "no such command"; cargo itself works.
    script(
        dir.path(),
        "cargo",
        r#"case "$1" in fmt|clippy) echo "error: no such command: \`$1\`" >&2; exit 101;; esac; exit 0"#,
    );
    // Debian's python3 without python3-venv: `import ensurepip` fails.
    script(
        dir.path(),
        "python3",
        r#"echo "ModuleNotFoundError: No module named 'ensurepip'" >&2; exit 1"#,
    );
    let path = format!("{}:/usr/bin:/bin", dir.path().display());
    let (code, err) = check(&path);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("rustup component add rustfmt"), "{err}");
    assert!(err.contains("rustup component add clippy"), "{err}");
    assert!(err.contains("apt-get install python3-venv"), "{err}");

    // With working tools it says nothing.
    script(dir.path(), "cargo", "exit 0");
    script(dir.path(), "python3", "exit 0");
    let (code, err) = check(&path);
    assert_eq!((code, err.as_str()), (0, ""));
}
