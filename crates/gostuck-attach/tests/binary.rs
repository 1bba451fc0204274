//! What `Binary::open` says about executables it cannot use, and the
//! layouts it reads from those it can, checked against the Go source.

mod support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use gostuck_attach::monotonic_ns;
use gostuck_attach::{snapshot, AttachError, Binary, ProcessMemory, SnapshotOptions};
use support::{go_of, goroot, repo, Running};

const VERSIONS: &[&str] = &["1.21.13", "1.22.10", "1.24.11", "1.27.3"];

/// Builds testdata/attach/shapes with extra `go build` arguments and GOARCH.
fn build_shapes(go: &Path, out: &Path, flags: &[&str], goarch: &str) {
    let st = Command::new(go)
        .arg("build")
        .args(flags)
        .arg("-o")
        .arg(out)
        .arg(".")
        .current_dir(repo().join("testdata/attach/shapes"))
        .envs([
            ("GOFLAGS", "-mod=mod"),
            ("GOPROXY", "off"),
            ("GOTOOLCHAIN", "local"),
            ("GOWORK", "off"),
            ("GOARCH", goarch),
            ("CGO_ENABLED", "0"),
        ])
        .status()
        .unwrap();
    assert!(st.success());
}

#[test]
fn files_that_are_not_usable_go_executables_get_their_own_error() {
    let tmp = tempfile::tempdir().unwrap();
    let text = tmp.path().join("notes.txt");
    std::fs::write(&text, "goroutine 1 [running]:\n").unwrap();
    let e = Binary::open(&text).unwrap_err();
    assert!(matches!(e, AttachError::NotElf { .. }), "{e}");
    let e = Binary::open(&tmp.path().join("absent")).unwrap_err();
    assert!(matches!(e, AttachError::Open { .. }), "{e}");
    // This test program: ELF, amd64, symbols, but no Go runtime.
    let e = Binary::open(&std::env::current_exe().unwrap()).unwrap_err();
    assert!(matches!(e, AttachError::NotGo { .. }), "{e}");

    let Some(go) = go_of("1.27.3") else {
        eprintln!("SKIP (the Go half): no Go 1.27.3 toolchain");
        return;
    };
    type Case<'a> = (&'a [&'a str], &'a str, fn(&AttachError) -> bool);
    let cases: [Case<'_>; 3] = [
        (&["-ldflags=-s"], "amd64", |e| {
            matches!(e, AttachError::NoSymbols { .. })
        }),
        (&["-ldflags=-w"], "amd64", |e| {
            matches!(e, AttachError::NoDwarf { .. })
        }),
        (&[], "arm64", |e| {
            matches!(e, AttachError::UnsupportedArch { .. })
        }),
    ];
    for (i, (flags, arch, want)) in cases.iter().enumerate() {
        let out = tmp.path().join(format!("shapes{i}"));
        build_shapes(&go, &out, flags, arch);
        let e = Binary::open(&out).unwrap_err();
        assert!(want(&e), "{flags:?} {arch}: {e}");
    }
}

/// The `_G*` status constants of runtime2.go, in their iota order.
fn statuses_from_source(goroot_src: &Path) -> Vec<(String, u32)> {
    let text = std::fs::read_to_string(goroot_src.join("runtime/runtime2.go")).unwrap();
    let start = text
        .find("_Gidle = iota")
        .expect("_Gidle = iota in runtime2.go");
    let mut out = Vec::new();
    for line in text[start..].lines() {
        let word = line.split_whitespace().next().unwrap_or("");
        if word == ")" {
            break;
        }
        if word.starts_with("_G") {
            out.push((word.to_owned(), u32::try_from(out.len()).unwrap()));
        }
    }
    out
}

#[test]
fn layouts_and_status_constants_agree_with_the_runtime_source() {
    let tmp = tempfile::tempdir().unwrap();
    let mut checked = 0;
    for v in VERSIONS {
        let Some(go) = go_of(v) else {
            eprintln!("SKIP go{v}: no toolchain");
            continue;
        };
        let out = tmp.path().join(format!("shapes-{v}"));
        build_shapes(&go, &out, &[], "amd64");
        let bin = Binary::open(&out).unwrap();
        assert_eq!(bin.go_version(), Some(format!("go{v}").as_str()));
        assert!(bin.go_build_id().is_some());
        let l = bin.layouts();
        assert_eq!(
            (l.goid.size, l.atomicstatus.size, l.waitreason.size),
            (8, 4, 1),
            "go{v}"
        );
        assert!(
            l.g_size > 300 && l.g_size < 1024,
            "go{v}: g is {} bytes",
            l.g_size
        );
        assert!(l.parent_goid.is_some(), "go{v}: parentGoid is Go 1.21+");
        let src = goroot(&go).join("src");
        let want = statuses_from_source(&src);
        let get = |name: &str| want.iter().find(|(n, _)| n == name).map(|p| p.1);
        assert_eq!(Some(l.status.running), get("_Grunning"), "go{v}");
        assert_eq!(Some(l.status.syscall), get("_Gsyscall"), "go{v}");
        assert_eq!(Some(l.status.waiting), get("_Gwaiting"), "go{v}");
        assert_eq!(Some(l.status.dead), get("_Gdead"), "go{v}");
        assert_eq!(l.status.leaked, get("_Gleaked"), "go{v}");
        assert_eq!(l.status.scan, 0x1000, "go{v}");
        checked += 1;
    }
    eprintln!("{checked} toolchains checked");
}

#[test]
fn wait_minutes_count_from_waitsince_on_the_monotonic_clock() {
    let Some(go) = go_of("1.27.3") else {
        eprintln!("SKIP: no Go 1.27.3 toolchain");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("shapes");
    build_shapes(&go, &out, &[], "amd64");
    let bin = Binary::open(&out).unwrap();
    let mut run = Running::program(&out, &[]);
    std::thread::sleep(Duration::from_millis(1500));
    assert!(run.alive());
    let mem = ProcessMemory::open(run.pid()).unwrap();
    let minutes = |ahead_ns: i64| {
        let opts = SnapshotOptions {
            now_monotonic_ns: Some(monotonic_ns() + ahead_ns),
            ..Default::default()
        };
        let s = snapshot(&mem, &bin, &opts).unwrap();
        s.dump
            .goroutines
            .iter()
            .map(|g| g.wait_minutes)
            .collect::<Vec<_>>()
    };
    // Now: nobody has waited a minute. Seven minutes on: those the GC
    // stamped (it ran before "ready") have waited seven.
    assert!(minutes(0).iter().all(Option::is_none));
    let later = minutes(7 * 60_000_000_000);
    let seven = later.iter().filter(|m| **m == Some(7)).count();
    assert!(seven >= 8, "{later:?}");
    assert!(
        later.iter().all(|m| m.is_none() || *m == Some(7)),
        "{later:?}"
    );
}
