//! Golden outputs: `gostuck analyze` in every format on a handful of captured
//! dumps, as `insta` snapshots in tests/golden/ (`NAME.EXT.snap`: a short
//! header, then the report exactly as written). A mismatch fails with a diff;
//! `cargo insta review` (or `INSTA_UPDATE=always`) rewrites the snapshots to
//! review in git. CI runs with `INSTA_UPDATE=no`: it never writes them. See
//! CONTRIBUTING.md.

use std::process::Command;

mod support;
use support::repo;

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

/// Checks the report of `testdata/captured/{input}` in `format` against the
/// snapshot `tests/golden/{name}.{ext}.snap`.
fn golden(name: &str, input: &str, format: &str) {
    let rel = format!("testdata/captured/{input}");
    let args = [
        "analyze",
        &rel,
        "--source",
        "testdata/scenarios",
        "--format",
        format,
        "--color",
        "never",
    ];
    let out = Command::new(env!("CARGO_BIN_EXE_gostuck"))
        .args(args)
        .current_dir(repo())
        .output()
        .unwrap();
    assert!(
        out.status.code().is_some_and(|c| c < 2),
        "{rel}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got = without_read_from(&String::from_utf8(out.stdout).unwrap());
    let ext = match format {
        "text" => "txt",
        "json" => "json",
        "markdown" => "md",
        _ => "dot",
    };
    insta::with_settings!({
        snapshot_path => "golden",
        prepend_module_to_snapshot => false,
        omit_expression => true,
        description => format!("gostuck {}", args.join(" ")),
    }, {
        insta::assert_snapshot!(format!("{name}.{ext}"), got);
    });
}

macro_rules! golden_tests {
    ($($test:ident: $name:literal, $input:literal, $format:literal;)*) => {
        $(
            #[test]
            fn $test() {
                golden($name, $input, $format);
            }
        )*
    };
}

golden_tests! {
    abba_text: "abba", "go1.27.3/abba.txt", "text";
    abba_json: "abba", "go1.27.3/abba.txt", "json";
    abba_markdown: "abba", "go1.27.3/abba.txt", "markdown";
    abba_dot: "abba", "go1.27.3/abba.txt", "dot";
    mutex_across_channel_text: "mutex-across-channel", "go1.21.13/mutex-across-channel.txt", "text";
    sigquit_crash_text: "sigquit-crash", "go1.24.11/sigquit-crash.txt", "text";
    pprof_debug1_text: "pprof-debug1", "go1.27.3/pprof-http-goroutine-debug1.txt", "text";
    pprof_debug0_json: "pprof-debug0", "go1.27.3/pprof-http-goroutine-debug0.pb.gz", "json";
    logs_text: "logs", "go1.22.10/logs.txt", "text";
    leak_timeout_markdown: "leak-timeout", "go1.27.3/leak-timeout.txt", "markdown";
}
