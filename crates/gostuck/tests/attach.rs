//! `gostuck attach PID` end to end on real processes: the same findings as
//! `gostuck analyze` of the same process's SIGQUIT dump, and the process is
//! still running after the attach.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod support;

use support::{repo, Guard};

fn gostuck(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_gostuck"))
        .args(args)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.is_empty() || out.status.code() != Some(2), "{err}");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
    )
}

/// Each finding's kind, confidence and goroutine IDs, from a JSON report.
fn findings(json: &str) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    let mut out: Vec<String> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| format!("{} {} {}", f["kind"], f["confidence"], f["goroutines"]))
        .collect();
    out.sort();
    out
}

#[test]
fn attach_finds_what_analyze_finds_in_the_sigquit_dump_and_leaves_the_process_running() {
    let Some(go) = support::go() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    for name in [
        "semaphore-upload-leak",
        "fanout-abandoned-results",
        "cache-slow-refresh-healthy",
    ] {
        let dir = repo().join("testdata/scenarios").join(name);
        let exe = tmp.path().join(name);
        let st = Command::new(&go)
            .args(["build", "-o"])
            .arg(&exe)
            .arg(".")
            .current_dir(&dir)
            .envs([
                ("GOFLAGS", "-mod=mod"),
                ("GOPROXY", "off"),
                ("GOTOOLCHAIN", "local"),
                ("GOWORK", "off"),
            ])
            .status()
            .unwrap();
        assert!(st.success());
        let log = tmp.path().join(format!("{name}.log"));
        let f = std::fs::File::create(&log).unwrap();
        let mut child = Guard(
            Command::new(&exe)
                .env("GOTRACEBACK", "all")
                .stdin(Stdio::null())
                .stdout(f.try_clone().unwrap())
                .stderr(f)
                .spawn()
                .unwrap(),
        );
        std::thread::sleep(Duration::from_millis(1500));
        let pid = child.0.id().to_string();
        let src = dir.to_str().unwrap();
        let (code, json) = gostuck(&["attach", &pid, "-f", "json", "--source", src]);
        assert!(
            matches!(child.0.try_wait(), Ok(None)),
            "{name}: gone after attach"
        );
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["inputs"][0]["format"], "process-memory", "{name}");
        // SAFETY: kill(2) on our own child, not yet reaped.
        unsafe {
            libc::kill(i32::try_from(child.0.id()).unwrap(), libc::SIGQUIT);
        }
        let t = Instant::now();
        while matches!(child.0.try_wait(), Ok(None)) && t.elapsed() < Duration::from_secs(20) {
            std::thread::sleep(Duration::from_millis(20));
        }
        let (code2, json2) = gostuck(&[
            "analyze",
            log.to_str().unwrap(),
            "-f",
            "json",
            "--source",
            src,
        ]);
        assert_eq!(findings(&json), findings(&json2), "{name}");
        assert_eq!(code, code2, "{name}");
        eprintln!("{name}: exit {code}, findings {:?}", findings(&json));
    }
}

#[test]
fn attach_says_why_it_cannot_read_a_process() {
    let run = |pid: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_gostuck"))
            .args(["attach", pid])
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    // This test program is not written in Go.
    let (code, err) = run(&std::process::id().to_string());
    assert_eq!(code, Some(2));
    assert!(err.contains("not a Go program"), "{err}");
    // No such process (pid_max is at most 2^22).
    let (code, err) = run("99999999");
    assert_eq!(code, Some(2));
    assert!(err.contains("no process 99999999 is visible here"), "{err}");
}
