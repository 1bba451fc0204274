//! The mangling property: a dump reads the same however it was carried. Every
//! text dump captured from a real Go toolchain (testdata/captured/<go>/) is
//! put through each way people paste, log and store dumps (re-indented,
//! markdown-quoted, wrapped in a logger's record, re-encoded, compressed…),
//! and the report of the mangled text must equal the original's, apart from
//! the note that says how it was unwrapped. A truncation must keep every
//! goroutine before the cut as it was.

use std::io::Write;
use std::path::{Path, PathBuf};

use gostuck_dump::{read_bytes, Dump, ReadOptions};
use gostuck_engine::{analyze, Input, NoSources, Options, Report};

fn captured() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/captured");
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                // Execution traces and scheduler traces are not dumps.
                if p.file_name().is_some_and(|n| n != "traces" && n != "sched") {
                    stack.push(p);
                }
            } else if p.extension().is_some_and(|x| x == "txt") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The text's lines, without their newlines (a final newline gives no empty line).
fn lines_of(text: &str) -> Vec<&str> {
    text.strip_suffix('\n')
        .unwrap_or(text)
        .split('\n')
        .collect()
}

fn per_line(text: &str, f: impl Fn(&str) -> String) -> String {
    lines_of(text).into_iter().map(|l| f(l) + "\n").collect()
}

/// Go's `%q` (strconv.Quote) of `s`, as logrus and klog write a field.
fn go_quote(s: &str) -> String {
    let mut q = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => q.push_str("\\\""),
            '\\' => q.push_str("\\\\"),
            '\n' => q.push_str("\\n"),
            '\t' => q.push_str("\\t"),
            '\r' => q.push_str("\\r"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                q.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => q.push(c),
        }
    }
    q + "\""
}

/// journald's export format, one entry per line; a message with a control
/// character (a tab) is a binary field, as journald writes it.
fn journald_export(text: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, l) in lines_of(text).into_iter().enumerate() {
        write!(
            out,
            "__CURSOR=s=1;i={i:x}\n__REALTIME_TIMESTAMP=1733513055{i:06}\nPRIORITY=3\n_PID=4242\n"
        )
        .unwrap();
        if l.bytes().any(|b| b < 0x20) {
            out.extend_from_slice(b"MESSAGE\n");
            out.extend_from_slice(&(l.len() as u64).to_le_bytes());
            out.extend_from_slice(l.as_bytes());
            out.push(b'\n');
        } else {
            writeln!(out, "MESSAGE={l}").unwrap();
        }
        out.extend_from_slice(b"SYSLOG_IDENTIFIER=app\n\n");
    }
    out
}

fn utf16(text: &str, le: bool) -> Vec<u8> {
    let mut out = if le {
        vec![0xff, 0xfe]
    } else {
        vec![0xfe, 0xff]
    };
    for u in text.encode_utf16() {
        out.extend_from_slice(&if le { u.to_le_bytes() } else { u.to_be_bytes() });
    }
    out
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// Whether a carrier renumbers lines (then warnings name other line numbers).
#[derive(Clone, Copy, PartialEq)]
enum Lines {
    Kept,
    Renumbered,
}

type Mangle = fn(&str) -> Vec<u8>;

/// Each way a dump is carried, by name.
fn carriers() -> Vec<(&'static str, Lines, Mangle)> {
    use Lines::*;
    vec![
        ("indent 2, tabs as 2 spaces", Kept, |t| {
            per_line(t, |l| format!("  {}", l.replace('\t', "  "))).into_bytes()
        }),
        ("indent 4, tabs as 4 spaces", Kept, |t| {
            per_line(t, |l| format!("    {}", l.replace('\t', "    "))).into_bytes()
        }),
        ("indent 8, tabs as 8 spaces", Kept, |t| {
            per_line(t, |l| format!("        {}", l.replace('\t', "        "))).into_bytes()
        }),
        ("tabs as 4 spaces", Kept, |t| {
            t.replace('\t', "    ").into_bytes()
        }),
        ("tabs as a mix of spaces and tabs", Kept, |t| {
            t.replace('\t', "  \t ").into_bytes()
        }),
        (
            "indented by a tab (klog's multi-line value)",
            Renumbered,
            |t| {
                let body = per_line(t, |l| format!("\t{l}"));
                format!("E1206 19:24:15.123456   4242 main.go:42] \"Observed a panic\" stacktrace=<\n{body} >\n").into_bytes()
            },
        ),
        ("markdown list item with a fenced block", Renumbered, |t| {
            let body = per_line(t, |l| {
                if l.is_empty() {
                    String::new()
                } else {
                    format!("   {l}")
                }
            });
            format!("1. The dump:\n   ```\n{body}   ```\n").into_bytes()
        }),
        ("markdown quote", Kept, |t| {
            per_line(t, |l| {
                if l.is_empty() {
                    ">".into()
                } else {
                    format!("> {l}")
                }
            })
            .into_bytes()
        }),
        ("nested markdown quote, tabs as 4 spaces", Kept, |t| {
            per_line(t, |l| format!("> > {}", l.replace('\t', "    "))).into_bytes()
        }),
        ("fenced block after prose", Renumbered, |t| {
            format!("It hangs here:\n\n```text\n{t}```\n").into_bytes()
        }),
        ("logrus record, escaped", Renumbered, |t| {
            format!("time=\"2024-12-06T19:24:15Z\" level=info msg=starting\ntime=\"2024-12-06T19:24:16Z\" level=error msg={} pid=4242\n", go_quote(t)).into_bytes()
        }),
        ("JSON log record for the whole dump", Renumbered, |t| {
            let v = serde_json::json!({"level": "error", "ts": 1733513055.5, "stack": t});
            format!("{{\"level\":\"info\",\"msg\":\"starting\"}}\n{v}\n").into_bytes()
        }),
        ("JSON log record per line", Kept, |t| {
            per_line(t, |l| {
                serde_json::json!({"ts": 1733513055.5, "msg": l}).to_string()
            })
            .into_bytes()
        }),
        ("journald short prefix", Kept, |t| {
            per_line(t, |l| format!("Dec 06 19:24:15 host app[4242]: {l}")).into_bytes()
        }),
        ("journald export", Renumbered, journald_export),
        ("CRLF", Kept, |t| t.replace('\n', "\r\n").into_bytes()),
        ("CR alone", Kept, |t| t.replace('\n', "\r").into_bytes()),
        ("UTF-16 LE with BOM", Kept, |t| utf16(t, true)),
        ("UTF-16 BE with BOM", Kept, |t| utf16(t, false)),
        ("gzip", Kept, |t| gzip(t.as_bytes())),
    ]
}

fn report(dumps: Vec<Dump>) -> Report {
    let inputs: Vec<Input> = dumps
        .into_iter()
        .enumerate()
        .map(|(k, dump)| Input {
            path: format!("#{k}"),
            dump,
        })
        .collect();
    analyze(&inputs, &Options::default(), &mut NoSources)
}

/// The report without what a carrier may change: the unwrapping notes and
/// (for carriers that renumber lines) the line numbers in warnings.
fn comparable(mut r: Report, lines: Lines) -> Report {
    for i in &mut r.inputs {
        i.notes.clear();
        if lines == Lines::Renumbered {
            for w in &mut i.warnings {
                let mut masked = String::new();
                for c in w.chars() {
                    if !c.is_ascii_digit() {
                        masked.push(c);
                    } else if !masked.ends_with('#') {
                        masked.push('#');
                    }
                }
                *w = masked;
            }
        }
    }
    r
}

#[test]
fn every_captured_dump_reads_the_same_whatever_carried_it() {
    let opts = ReadOptions::default();
    let mut passed = 0;
    let mut skipped = 0;
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/captured/");
    let mut failures = Vec::new();
    let files = captured();
    assert!(files.len() > 300, "{} captures", files.len());
    for path in &files {
        let bytes = std::fs::read(path).unwrap();
        let text = std::str::from_utf8(&bytes).expect("captures are UTF-8");
        let Ok(original) = read_bytes(&bytes, &opts) else {
            continue; // Not a dump (a test's log without one): the corpus test covers it.
        };
        assert!(
            original
                .iter()
                .all(|d| d.notes.iter().all(|n| !n.contains("unwrapped"))),
            "{}: a plain capture was unwrapped",
            path.display()
        );
        let base = report(original);
        let test_json = text.starts_with("{\"Time\":");
        for (name, lines, mangle) in carriers() {
            if test_json && name == "journald short prefix" {
                // `go test -json` output is a carrier of its own, read only
                // from the start of a line.
                skipped += 1;
                continue;
            }
            let want = comparable(base.clone(), lines);
            let got = read_bytes(&mangle(text), &opts).map(|d| comparable(report(d), lines));
            match got {
                Ok(got) if got == want => passed += 1,
                Ok(got) => failures.push(format!(
                    "{} / {name}: {}",
                    path.strip_prefix(&root).unwrap().display(),
                    first_difference(&want, &got)
                )),
                Err(e) => failures.push(format!(
                    "{} / {name}: {e}",
                    path.strip_prefix(&root).unwrap().display()
                )),
            }
        }
    }
    eprintln!("{passed} capture × carrier pairs read the same ({skipped} skipped)");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Where two reports first differ, as a JSON path with both values.
fn first_difference(want: &Report, got: &Report) -> String {
    fn walk(path: String, a: &serde_json::Value, b: &serde_json::Value) -> Option<String> {
        use serde_json::Value::{Array, Null, Object};
        match (a, b) {
            (Object(x), Object(y)) => x.keys().chain(y.keys()).find_map(|k| {
                let (v, w) = (x.get(k).unwrap_or(&Null), y.get(k).unwrap_or(&Null));
                walk(format!("{path}.{k}"), v, w)
            }),
            (Array(x), Array(y)) if x.len() == y.len() => x
                .iter()
                .zip(y)
                .enumerate()
                .find_map(|(i, (v, w))| walk(format!("{path}[{i}]"), v, w)),
            _ if a == b => None,
            _ => {
                let cut =
                    |v: &serde_json::Value| v.to_string().chars().take(300).collect::<String>();
                Some(format!("{path}: want {} got {}", cut(a), cut(b)))
            }
        }
    }
    let (a, b) = (
        serde_json::to_value(want).unwrap(),
        serde_json::to_value(got).unwrap(),
    );
    walk(String::new(), &a, &b).unwrap_or_default()
}

/// A line number in `1..n` that depends only on the capture's name (a
/// repeatable "random" cut).
fn cut_line(path: &Path, n: usize) -> usize {
    let h = path
        .to_string_lossy()
        .bytes()
        .fold(0xcbf29ce484222325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100000001b3)
        });
    1 + usize::try_from(h % n.max(1) as u64).unwrap()
}

/// A goroutine as (id, state, frames as (function, file, line)).
type Stack = (Option<u64>, String, Vec<(String, String, u32)>);

/// The goroutines of a dump, for comparison.
fn stacks(d: &Dump) -> Vec<Stack> {
    d.goroutines
        .iter()
        .map(|g| {
            let frames = g
                .frames
                .iter()
                .map(|f| {
                    (
                        d.str(f.function).to_string(),
                        d.str(f.file).to_string(),
                        f.line,
                    )
                })
                .collect();
            (g.id, d.str(g.state).to_string(), frames)
        })
        .collect()
}

#[test]
fn a_dump_cut_at_a_random_line_keeps_every_goroutine_before_the_cut() {
    let opts = ReadOptions::default();
    let mut checked = 0;
    for path in captured() {
        let bytes = std::fs::read(&path).unwrap();
        let text = std::str::from_utf8(&bytes).unwrap();
        let Ok(original) = read_bytes(&bytes, &opts) else {
            continue;
        };
        let lines = lines_of(text);
        let cut = cut_line(&path, lines.len());
        let kept: String = lines[..cut].iter().map(|l| format!("{l}\n")).collect();
        let Ok(truncated) = read_bytes(kept.as_bytes(), &opts) else {
            continue; // Cut before the first goroutine: nothing to compare.
        };
        assert!(truncated.len() <= original.len(), "{}", path.display());
        for (t, o) in truncated.iter().zip(&original) {
            let (t, o) = (stacks(t), stacks(o));
            assert!(
                t.len() <= o.len(),
                "{}: more goroutines after a cut",
                path.display()
            );
            // All but the last goroutine read are complete; the last may be cut short.
            let whole = t.len().saturating_sub(1);
            assert_eq!(
                t[..whole],
                o[..whole],
                "{} cut at line {cut}",
                path.display()
            );
            if let (Some(last), Some(orig)) = (t.last(), o.get(whole)) {
                assert_eq!(last.0, orig.0, "{}", path.display());
                assert!(
                    orig.2.starts_with(&last.2),
                    "{}: the cut goroutine's frames are a prefix",
                    path.display()
                );
            }
        }
        // Carriers compose with the cut.
        let want = comparable(report(truncated), Lines::Kept);
        for (name, lines, mangle) in carriers() {
            if kept.starts_with("{\"Time\":") && name == "journald short prefix" {
                continue;
            }
            let got = read_bytes(&mangle(&kept), &opts).map(|d| comparable(report(d), lines));
            let want = comparable(want.clone(), lines);
            match got {
                Ok(got) => assert!(
                    got == want,
                    "{} cut at {cut} / {name}: {}",
                    path.display(),
                    first_difference(&want, &got)
                ),
                Err(e) => panic!("{} cut at {cut} / {name}: {e}", path.display()),
            }
        }
        checked += 1;
    }
    eprintln!("{checked} captures cut and carried");
    assert!(checked > 250, "{checked}");
}

#[test]
fn a_stream_past_the_first_mib_is_unwrapped_like_the_same_bytes_in_memory() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/captured/go1.27.3");
    let one = std::fs::read_to_string(root.join("sigquit-all.txt")).unwrap();
    // Several dumps of one process in a row, as a log holds them: past 1 MiB.
    let many = one.repeat((5 << 18) / one.len() + 1);
    let opts = ReadOptions::default();
    // One carrier of each kind (the test is about the stream path, not them).
    let kinds = [
        "indent 4",
        "markdown quote",
        "JSON log record per line",
        "UTF-16 LE",
        "gzip",
        "CR alone",
    ];
    for (name, _, mangle) in carriers() {
        if !kinds.iter().any(|k| name.starts_with(k)) {
            continue;
        }
        let bytes = mangle(&many);
        let memory = read_bytes(&bytes, &opts).map(report);
        let stream = gostuck_dump::read(std::io::BufReader::new(&bytes[..]), &opts).map(report);
        match (memory, stream) {
            (Ok(a), Ok(b)) => assert!(a == b, "{name}: {}", first_difference(&a, &b)),
            (a, b) => panic!("{name}: memory {:?}, stream {:?}", a.err(), b.err()),
        }
    }
    // And the plain text, read on line by line past the first MiB.
    let memory = report(read_bytes(many.as_bytes(), &opts).unwrap());
    let stream = report(gostuck_dump::read(many.as_bytes(), &opts).unwrap());
    assert!(memory == stream);
}
