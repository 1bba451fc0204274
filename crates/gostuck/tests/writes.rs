//! Whole-process tests of what gostuck writes: never through a symbolic link
//! it was not asked to follow, never over a file the user did not name, and
//! temporary files only in new private directories (docs in SECURITY.md).
//!
//! `fetch` talks to a small HTTP server in the test that serves a goroutine
//! profile captured from a real Go 1.27.3 server.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod support;
use support::repo;

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("gostuck-writes-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn gostuck(args: &[&str], tmp: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gostuck"))
        .args(args)
        .current_dir(repo())
        .env("NO_COLOR", "1")
        .env("TMPDIR", tmp)
        .output()
        .unwrap()
}

/// Serves `goroutine?debug=2` (a real capture), a few bytes for `trace`, and
/// 404 for anything else, to `n` requests; returns the base URL.
fn serve(n: usize) -> String {
    let body =
        std::fs::read(repo().join("testdata/captured/go1.27.3/pprof-http-goroutine-debug2.txt"))
            .unwrap();
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for s in l.incoming().take(n) {
            let Ok(mut s) = s else { continue };
            let mut first = String::new();
            let mut r = BufReader::new(s.try_clone().unwrap());
            let _ = r.read_line(&mut first);
            loop {
                let mut h = String::new();
                if r.read_line(&mut h).unwrap_or(0) <= 2 {
                    break;
                }
            }
            let (status, b): (&str, &[u8]) = if first.contains("/goroutine?debug=2") {
                ("200 OK", &body)
            } else if first.contains("/trace?") {
                ("200 OK", b"go 1.27 trace\0\0\0")
            } else {
                ("404 Not Found", b"404 page not found\n")
            };
            let _ = write!(
                s,
                "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                b.len()
            );
            let _ = s.write_all(b);
        }
    });
    format!("http://127.0.0.1:{port}")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn fetch_save_refuses_to_replace_an_existing_file_unless_forced() {
    let t = tmpdir("exists");
    let save = t.join("evidence");
    std::fs::create_dir_all(&save).unwrap();
    let kept = save.join("goroutine-debug2.txt");
    std::fs::write(&kept, b"earlier evidence").unwrap();
    let url = serve(4);
    let o = gostuck(&["fetch", &url, "--save", save.to_str().unwrap()], &t);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--force"), "{}", stderr(&o));
    assert_eq!(std::fs::read(&kept).unwrap(), b"earlier evidence");

    let url = serve(4);
    let o = gostuck(
        &["fetch", &url, "--save", save.to_str().unwrap(), "--force"],
        &t,
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(std::fs::read(&kept).unwrap().starts_with(b"goroutine "));
}

#[test]
fn fetch_save_never_writes_through_a_planted_link() {
    let t = tmpdir("link");
    let save = t.join("evidence");
    let outside = t.join("outside");
    std::fs::create_dir_all(&save).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    let victim = outside.join("victim");
    std::fs::write(&victim, b"precious").unwrap();
    symlink(&victim, save.join("goroutine-debug2.txt")).unwrap();
    symlink(outside.join("new"), save.join("trace.out")).unwrap();
    let url = serve(4);
    let o = gostuck(
        &[
            "fetch",
            &url,
            "--save",
            save.to_str().unwrap(),
            "--trace-seconds",
            "1",
        ],
        &t,
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("symbolic link"), "{}", stderr(&o));
    assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
    assert!(!outside.join("new").exists());
}

#[test]
fn fetch_trace_without_save_goes_to_a_new_private_directory() {
    use std::os::unix::fs::PermissionsExt;
    let t = tmpdir("trace");
    let url = serve(4);
    let o = gostuck(&["fetch", &url, "--trace-seconds", "1"], &t);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    let saved = err
        .split("saved to ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .unwrap_or_else(|| panic!("no trace path in: {err}"));
    let p = Path::new(saved);
    assert!(
        p.starts_with(&t),
        "{saved} not under TMPDIR {}",
        t.display()
    );
    let dir = p.parent().unwrap();
    let mode = std::fs::metadata(dir).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700, "{}", dir.display());
    assert_eq!(std::fs::read(p).unwrap(), b"go 1.27 trace\0\0\0");
}

#[test]
fn output_through_a_link_needs_force_and_a_named_file_is_replaced() {
    let t = tmpdir("output");
    let dump = "testdata/captured/go1.27.3/abba.txt";
    let named = t.join("report.json");
    std::fs::write(&named, b"old").unwrap();
    let o = gostuck(
        &["analyze", dump, "-f", "json", "-o", named.to_str().unwrap()],
        &t,
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(std::fs::read_to_string(&named)
        .unwrap()
        .contains("gostuck.report.v1"));

    let target = t.join("real.json");
    std::fs::write(&target, b"old").unwrap();
    let link = t.join("link.json");
    symlink(&target, &link).unwrap();
    let o = gostuck(
        &["analyze", dump, "-f", "json", "-o", link.to_str().unwrap()],
        &t,
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("symbolic link"), "{}", stderr(&o));
    assert_eq!(std::fs::read(&target).unwrap(), b"old");
    let o = gostuck(
        &[
            "analyze",
            dump,
            "-f",
            "json",
            "-o",
            link.to_str().unwrap(),
            "--force",
        ],
        &t,
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(std::fs::read_to_string(&target)
        .unwrap()
        .contains("gostuck.report.v1"));
}
