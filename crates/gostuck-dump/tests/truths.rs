//! Small truths about what the reader says, each shown on a real capture
//! edited the way dumps get damaged or relocated.

use std::path::Path;

use gostuck_dump::{read_bytes, Dump, FrameKind, ReadOptions};

fn abba() -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/captured/go1.27.3/abba.txt");
    std::fs::read_to_string(p).unwrap()
}

const GOROOT: &str = "/work/main/.tools/go1.27.3/lib/python3.11/site-packages/go";

fn read(text: &str) -> Dump {
    read_bytes(text.as_bytes(), &ReadOptions::default())
        .unwrap()
        .pop()
        .unwrap()
}

#[test]
fn the_go_version_comes_from_goroot_paths_of_every_usual_shape() {
    let text = abba();
    assert!(text.contains(GOROOT));
    for (root, want) in [
        ("/usr/local/go1.23.0", "go1.23.0"),
        (
            "/home/u/go/pkg/mod/golang.org/toolchain@v0.0.1-go1.25.0.linux-amd64",
            "go1.25.0",
        ),
        ("C:/Users/u/sdk/go1.21.5", "go1.21.5"),
    ] {
        let d = read(&text.replace(GOROOT, root));
        assert_eq!(d.go_version.as_deref(), Some(want), "{root}");
    }
    assert_eq!(read(&text.replace(GOROOT, "/usr/lib/go")).go_version, None);
}

#[test]
fn damaged_frame_lines_are_named_in_warnings() {
    let text = abba();
    let lines: Vec<&str> = text.lines().collect();
    // A function line whose file line lost its line number.
    let at = lines
        .iter()
        .position(|l| l.starts_with("main.transfer("))
        .unwrap();
    let file = lines[at + 1];
    let colon = file.rfind(':').unwrap();
    let mut broken: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    broken[at + 1] = file[..colon].to_string();
    let d = read(&broken.join("\n"));
    let w: Vec<String> = d.warnings.iter().map(|w| w.to_string()).collect();
    assert!(
        w.iter()
            .any(|w| w.contains("frame `main.transfer` of goroutine")
                && w.contains("has no file line after it")
                && w.contains(&file[1..colon])),
        "{w:?}"
    );
    // A function line cut before its closing parenthesis (a wrapped paste).
    let mut cut: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    cut[at] = lines[at][..lines[at].len() - 4].to_string();
    let d = read(&cut.join("\n"));
    let w: Vec<String> = d.warnings.iter().map(|w| w.to_string()).collect();
    assert!(
        w.iter().any(|w| w.contains("looks like a frame line")
            && w.contains(&lines[at][..20])
            && w.starts_with(&format!("line {}:", at + 1))),
        "{w:?}"
    );
    // No warning prints an empty name.
    for d in [read(&broken.join("\n")), read(&cut.join("\n"))] {
        assert!(d.warnings.iter().all(|w| !w.to_string().contains("``")));
    }
}

#[test]
fn c_frames_named_by_a_cgo_symbolizer_are_kept_with_any_line_ends() {
    for v in ["go1.21.13", "go1.22.10", "go1.24.11", "go1.27.3"] {
        let p = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../testdata/captured")
            .join(v)
            .join("cgo-crash.txt");
        let text = std::fs::read_to_string(p).unwrap();
        for text in [text.clone(), text.replace('\n', "\r\n")] {
            let d = read(&text);
            let g = d.goroutines.iter().find(|g| g.id == Some(1)).unwrap();
            let c: Vec<(&str, &str, u32, FrameKind)> = g
                .frames
                .iter()
                .take(2)
                .map(|f| (d.str(f.function), d.str(f.file), f.line, f.kind))
                .collect();
            assert_eq!(c, [("??", "??", 0, FrameKind::NonGo); 2], "{v}");
            assert_eq!(d.str(g.frames[2].function), "runtime.cgocall", "{v}");
            assert!(d.warnings.is_empty(), "{v}: {:?}", d.warnings);
        }
    }
}
