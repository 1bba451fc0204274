//! Golden outputs: `gostuck analyze` in every format on a handful of captured
//! dumps, compared line by line with tests/golden/. A missing golden file is
//! written (and the test fails once, so it gets reviewed); BLESS=1 rewrites all.

use std::path::Path;
use std::process::Command;

mod support;
use support::repo;

const CASES: &[(&str, &str, &str)] = &[
    ("abba", "go1.27.3/abba.txt", "text"),
    ("abba", "go1.27.3/abba.txt", "json"),
    ("abba", "go1.27.3/abba.txt", "markdown"),
    ("abba", "go1.27.3/abba.txt", "dot"),
    (
        "mutex-across-channel",
        "go1.21.13/mutex-across-channel.txt",
        "text",
    ),
    ("sigquit-crash", "go1.24.11/sigquit-crash.txt", "text"),
    (
        "pprof-debug1",
        "go1.27.3/pprof-http-goroutine-debug1.txt",
        "text",
    ),
    (
        "pprof-debug0",
        "go1.27.3/pprof-http-goroutine-debug0.pb.gz",
        "json",
    ),
    ("logs", "go1.22.10/logs.txt", "text"),
    ("leak-timeout", "go1.27.3/leak-timeout.txt", "markdown"),
];

/// The captures name files under the checkout they were made in: where that
/// path exists the text report reads it, elsewhere it reads the same file
/// under `--source` and says `(read from …)`. The goldens hold the first.
fn without_read_from(report: &str) -> String {
    let mut out = String::with_capacity(report.len());
    for line in report.split_inclusive('\n') {
        match line.find(" (read from testdata/scenarios/") {
            Some(i) if line.trim_end().ends_with(')') => {
                out.push_str(&line[..i]);
                out.push_str(&line[line.trim_end().len()..]);
            }
            _ => out.push_str(line),
        }
    }
    out
}

#[test]
fn reports_match_their_golden_files() {
    let root = repo();
    let golden_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    std::fs::create_dir_all(&golden_dir).unwrap();
    let bless = std::env::var_os("BLESS").is_some();
    let mut failures = Vec::new();
    for (name, input, format) in CASES {
        let rel = format!("testdata/captured/{input}");
        let out = Command::new(env!("CARGO_BIN_EXE_gostuck"))
            .args([
                "analyze",
                &rel,
                "--source",
                "testdata/scenarios",
                "--format",
                format,
                "--color",
                "never",
            ])
            .current_dir(&root)
            .output()
            .unwrap();
        assert!(
            out.status.code().is_some_and(|c| c < 2),
            "{rel}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let got = without_read_from(&String::from_utf8(out.stdout).unwrap());
        let ext = match *format {
            "text" => "txt",
            "json" => "json",
            "markdown" => "md",
            _ => "dot",
        };
        let path = golden_dir.join(format!("{name}.{ext}"));
        if bless || !path.exists() {
            std::fs::write(&path, &got).unwrap();
            if !bless {
                failures.push(format!("{}: written, review and re-run", path.display()));
            }
            continue;
        }
        let want = std::fs::read_to_string(&path).unwrap();
        for (i, (g, w)) in got.lines().zip(want.lines()).enumerate() {
            if g != w {
                failures.push(format!(
                    "{}:{}:\n  got:  {g}\n  want: {w}",
                    path.display(),
                    i + 1
                ));
                break;
            }
        }
        if got.lines().count() != want.lines().count() {
            failures.push(format!(
                "{}: {} lines, golden has {}",
                path.display(),
                got.lines().count(),
                want.lines().count()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
