//! Small truths about what the reader says, each shown on a real capture
//! edited the way dumps get damaged or relocated.

use std::path::Path;

use gostuck_dump::{read_bytes, Dump, ReadOptions};

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
