//! Hostile input and faults (SECURITY.md): each input is generated here, on
//! the fly, and gostuck is run on it with a deadline and an address-space
//! limit; the test asserts its peak resident memory (from `wait4`), its exit
//! status and the message that says what happened. Sizes are large enough to
//! show an amplification (the old behaviour took gigabytes or never ended on
//! every one of them) and small enough for a debug build.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// No run may map more than this (a regression then fails fast, not the machine).
const ADDRESS_SPACE_LIMIT: u64 = 4 << 30;

/// What one run of gostuck did.
#[derive(Debug)]
struct Outcome {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    /// Peak resident set size, MiB.
    rss_mb: u64,
    secs: f64,
}

/// Where the input goes.
enum Stdin {
    Null,
    /// `n` zero bytes, written until gostuck stops reading.
    Zeros(usize),
}

fn dir(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("hostile-{name}"));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Runs gostuck in `cwd` under the address-space limit, killed after `limit`.
fn gostuck(args: &[&str], cwd: &Path, stdin: Stdin, limit: Duration) -> Outcome {
    let mut c = Command::new(env!("CARGO_BIN_EXE_gostuck"));
    c.args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .stdin(match stdin {
            Stdin::Null => Stdio::null(),
            Stdin::Zeros(_) => Stdio::piped(),
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: setrlimit is async-signal-safe and touches no memory of the
    // parent; it is the only thing done between fork and exec.
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut c, || {
            let l = rustix::process::Rlimit {
                current: Some(ADDRESS_SPACE_LIMIT),
                maximum: Some(ADDRESS_SPACE_LIMIT),
            };
            rustix::process::setrlimit(rustix::process::Resource::As, l)?;
            Ok(())
        });
    }
    let start = Instant::now();
    // Reaped by wait4 below (for its resource usage), not by `Child::wait`.
    #[allow(clippy::zombie_processes)]
    let mut child = c.spawn().unwrap();
    let feeder = match (stdin, child.stdin.take()) {
        (Stdin::Zeros(n), Some(mut w)) => Some(std::thread::spawn(move || {
            let block = vec![0u8; 1 << 16];
            let mut left = n;
            while left > 0 {
                let k = left.min(block.len());
                if w.write_all(&block[..k]).is_err() {
                    return n - left;
                }
                left -= k;
            }
            n
        })),
        _ => None,
    };
    let pipe = |r: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut s = Vec::new();
            if let Some(mut r) = r {
                let _ = r.read_to_end(&mut s);
            }
            String::from_utf8_lossy(&s).into_owned()
        })
    };
    let out = pipe(
        child
            .stdout
            .take()
            .map(|r| Box::new(r) as Box<dyn Read + Send>),
    );
    let err = pipe(
        child
            .stderr
            .take()
            .map(|r| Box::new(r) as Box<dyn Read + Send>),
    );
    let pid = i32::try_from(child.id()).unwrap();
    let (code, rss_kb) = loop {
        let mut status = 0;
        // SAFETY: an all-zero rusage is a valid value of the plain C struct.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: wait4 on our own child with valid pointers to locals; the
        // child is reaped here and not by `child.wait()`.
        let r = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        if r == pid {
            let code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
            break (code, usage.ru_maxrss.cast_unsigned());
        }
        assert_eq!(r, 0, "wait4 failed");
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("gostuck {args:?} still running after {limit:?}; stderr so far is in the pipe");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let secs = start.elapsed().as_secs_f64();
    if let Some(f) = feeder {
        let _ = f.join();
    }
    Outcome {
        code,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
        rss_mb: rss_kb / 1024,
        secs,
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn varint(mut n: u64, out: &mut Vec<u8>) {
    while n >= 0x80 {
        out.push(n.to_le_bytes()[0] | 0x80);
        n >>= 7;
    }
    out.push(n.to_le_bytes()[0]);
}

fn field(num: u64, payload: &[u8], out: &mut Vec<u8>) {
    varint(num << 3 | 2, out);
    varint(payload.len() as u64, out);
    out.extend_from_slice(payload);
}

/// A goroutine profile.proto: one location of `lines` inlined lines,
/// referenced `refs` times by one sample of `count` goroutines, `samples` times.
fn profile(lines: usize, refs: usize, samples: usize, count: u64) -> Vec<u8> {
    let mut p = Vec::new();
    field(1, &[0x08, 0x01, 0x10, 0x02], &mut p);
    let mut ids = Vec::new();
    for _ in 0..refs {
        varint(1, &mut ids);
    }
    let mut sample = Vec::new();
    field(1, &ids, &mut sample);
    sample.push(0x10);
    varint(count, &mut sample);
    for _ in 0..samples {
        field(2, &sample, &mut p);
    }
    let mut loc = vec![0x08, 0x01];
    for _ in 0..lines {
        field(4, &[0x08, 0x01, 0x10, 0x07], &mut loc);
    }
    field(4, &loc, &mut p);
    field(5, &[0x08, 0x01, 0x10, 0x03, 0x20, 0x04], &mut p);
    for s in ["", "goroutine", "count", "main.f", "/app/main.go"] {
        field(6, s.as_bytes(), &mut p);
    }
    p
}

const DUMP: &str = "goroutine 1 [chan receive]:\nmain.main()\n\t/app/main.go:5 +0x2d\n";

fn assert_bounded(o: &Outcome, max_mb: u64, max_secs: f64) {
    assert!(
        o.rss_mb <= max_mb && o.secs <= max_secs,
        "{} MiB in {:.1} s (bounds {max_mb} MiB, {max_secs} s); stderr: {}",
        o.rss_mb,
        o.secs,
        o.stderr
    );
}

#[test]
fn a_shared_location_referenced_many_times_is_not_expanded() {
    // 1 location of 10k lines, referenced 10k times: 10^8 frames unbounded.
    let d = dir("amplified");
    let bytes = gzip(&profile(10_000, 10_000, 1, 1));
    assert!(bytes.len() < 1024, "{} bytes", bytes.len());
    std::fs::write(d.join("amp.pb.gz"), &bytes).unwrap();
    // And many samples of one 1000-line location each: the total budget.
    std::fs::write(d.join("many.pb.gz"), gzip(&profile(1000, 1, 20_000, 1))).unwrap();
    for f in ["amp.pb.gz", "many.pb.gz"] {
        let o = gostuck(
            &["analyze", "--no-source", f],
            &d,
            Stdin::Null,
            Duration::from_secs(60),
        );
        assert_bounded(&o, 300, 30.0);
        assert_eq!(o.code, Some(0), "{}", o.stderr);
        assert!(o.stdout.contains("stacks cut short"), "{}", o.stdout);
    }
}

#[test]
fn sample_counts_past_2_64_are_corrupt_input() {
    let d = dir("overflow");
    std::fs::write(
        d.join("over.pb.gz"),
        gzip(&profile(1, 1, 3, i64::MAX as u64)),
    )
    .unwrap();
    let o = gostuck(
        &["analyze", "--no-source", "over.pb.gz"],
        &d,
        Stdin::Null,
        Duration::from_secs(30),
    );
    assert_eq!(o.code, Some(2), "{}", o.stdout);
    assert!(o.stderr.contains("corrupt input"), "{}", o.stderr);
    assert!(o.stderr.contains("more than 2^64"), "{}", o.stderr);
    assert!(!o.stdout.contains("18446744073709551615"), "{}", o.stdout);
}

#[test]
fn a_goroutine_id_repeated_100k_times_stays_small() {
    // 100k one-goroutine dumps (6 MB): 650 MB before.
    let d = dir("repeated");
    let g = "goroutine 7 [chan receive]:\nmain.main()\n\t/app/main.go:5 +0x2d\n\n";
    std::fs::write(d.join("rep.txt"), g.repeat(100_000)).unwrap();
    let o = gostuck(
        &["analyze", "--no-source", "rep.txt"],
        &d,
        Stdin::Null,
        Duration::from_secs(60),
    );
    assert_bounded(&o, 100, 40.0);
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    assert!(o.stdout.contains("holds 100000 dumps"), "{}", o.stdout);
}

/// `n` MiB of zeros as concatenated gzip members (as a multi-member stream
/// inflates: all of them), after `prefix` in a first member.
fn gzip_zeros(prefix: &[u8], n: usize) -> Vec<u8> {
    let member = gzip(&vec![0u8; 1 << 20]);
    let mut out = if prefix.is_empty() {
        Vec::new()
    } else {
        gzip(prefix)
    };
    for _ in 0..n {
        out.extend_from_slice(&member);
    }
    out
}

#[test]
fn a_gzip_bomb_stops_early_with_a_clear_error() {
    let d = dir("bomb");
    // 1 GiB of zeros: refused from its first inflated block.
    std::fs::write(d.join("zeros.pb.gz"), gzip_zeros(b"", 1024)).unwrap();
    // A profile's first field, then 1 GiB of zeros: refused at the cap.
    std::fs::write(
        d.join("field.pb.gz"),
        gzip_zeros(b"\x32\xff\xff\xff\x7f", 1024),
    )
    .unwrap();
    for (f, msg, mb) in [
        ("zeros.pb.gz", "binary data", 50),
        ("field.pb.gz", "inflate to more than", 300),
    ] {
        let o = gostuck(
            &["analyze", "--no-source", f],
            &d,
            Stdin::Null,
            Duration::from_secs(60),
        );
        assert_bounded(&o, mb, 40.0);
        assert_eq!(o.code, Some(2), "{}", o.stdout);
        assert!(o.stderr.contains("refusing to decompress"), "{}", o.stderr);
        assert!(o.stderr.contains(msg), "{}", o.stderr);
    }
}

#[test]
fn zeros_on_stdin_are_refused_from_the_first_block() {
    let d = dir("stdin");
    let o = gostuck(
        &["analyze", "--no-source", "-"],
        &d,
        Stdin::Zeros(256 << 20),
        Duration::from_secs(30),
    );
    assert_bounded(&o, 50, 10.0);
    assert_eq!(o.code, Some(2), "{}", o.stdout);
    assert!(o.stderr.contains("binary data"), "{}", o.stderr);
}

/// A source tree whose `main.go` is made by `make`, and a dump naming it.
fn source_case(name: &str, make: impl FnOnce(&Path)) -> PathBuf {
    let d = dir(name);
    std::fs::create_dir_all(d.join("src")).unwrap();
    make(&d.join("src/main.go"));
    std::fs::write(d.join("dump.txt"), DUMP).unwrap();
    d
}

fn analyze_with_source(d: &Path, extra: &[&str]) -> Outcome {
    let mut args = vec!["analyze", "-s", "src", "dump.txt"];
    args.extend_from_slice(extra);
    gostuck(&args, d, Stdin::Null, Duration::from_secs(30))
}

fn mkfifo(p: &Path) {
    rustix::fs::mknodat(
        rustix::fs::CWD,
        p,
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o600),
        0,
    )
    .unwrap();
}

#[test]
fn a_fifo_named_main_go_is_skipped_not_waited_on() {
    let d = source_case("fifo", mkfifo);
    let o = analyze_with_source(&d, &[]);
    assert_bounded(&o, 100, 10.0);
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    assert!(
        o.stdout
            .contains("source file src/main.go skipped: not a regular file (a FIFO)"),
        "{}",
        o.stdout
    );
    // The same in a module directory searched without --source.
    std::fs::write(d.join("src/go.mod"), "module m\n").unwrap();
    std::fs::copy(d.join("dump.txt"), d.join("src/dump.txt")).unwrap();
    let o = gostuck(
        &["analyze", "dump.txt"],
        &d.join("src"),
        Stdin::Null,
        Duration::from_secs(30),
    );
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    assert!(o.stdout.contains("(a FIFO)"), "{}", o.stdout);
}

#[test]
fn devices_large_files_and_binary_are_not_read_as_source() {
    let zero = source_case("devzero", |p| {
        std::os::unix::fs::symlink("/dev/zero", p).unwrap()
    });
    let big = source_case("big", |p| {
        let mut text = String::from("package main\n\n");
        let mut i = 0;
        while text.len() <= 9 << 20 {
            text.push_str(&format!("func f{i}() {{ _ = {i} }}\n"));
            i += 1;
        }
        std::fs::write(p, text).unwrap();
    });
    let binary = source_case("binary", |p| {
        let bytes: Vec<u8> = (0..1u32 << 20)
            .map(|i| (i.wrapping_mul(2654435761) >> 13).to_le_bytes()[0])
            .collect();
        std::fs::write(p, bytes).unwrap();
    });
    let deep = source_case("deep", |p| {
        let n = 20_000;
        let text = format!(
            "package main\n\nfunc main() {{\n{}{}\n}}\n",
            "{".repeat(n),
            "}".repeat(n)
        );
        std::fs::write(p, text).unwrap();
    });
    let small = source_case("small", |p| {
        std::fs::write(p, "package main\n\nfunc main() {\n\tselect {}\n}\n").unwrap()
    });
    for (d, extra, msg) in [
        (&zero, &[][..], "not a regular file (a character device)"),
        (&big, &[][..], "more than the 8388608-byte limit"),
        (&binary, &[][..], "not Go source text"),
        (&deep, &[][..], "its syntax nests deeper than 512 levels"),
        (
            &small,
            &["--max-source-size", "16"][..],
            "more than the 16-byte limit",
        ),
    ] {
        let o = analyze_with_source(d, extra);
        assert_bounded(&o, 100, 10.0);
        assert_eq!(o.code, Some(0), "{}", o.stderr);
        assert!(
            o.stdout.contains("source file src/main.go skipped: ") && o.stdout.contains(msg),
            "{msg}: {}",
            o.stdout
        );
    }
}

#[test]
fn control_characters_in_untrusted_strings_are_escaped() {
    let d = dir("escape");
    let dump = "goroutine 1 [chan receive]:\nmain.evil\x1b]0;pwned\x07\x1b[2J()\n\t/app/ma\u{202e}in.go:5 +0x2d\n";
    std::fs::write(d.join("dump.txt"), dump).unwrap();
    let o = gostuck(
        &["analyze", "--no-source", "-v", "dump.txt"],
        &d,
        Stdin::Null,
        Duration::from_secs(30),
    );
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    assert!(!o.stdout.contains('\x1b') && !o.stdout.contains('\x07'));
    assert!(!o.stdout.contains('\u{202e}'));
    assert!(
        o.stdout.contains("main.evil\\x1b]0;pwned\\x07\\x1b[2J"),
        "{}",
        o.stdout
    );

    for f in ["markdown", "dot", "json"] {
        let o = gostuck(
            &["analyze", "--no-source", "-f", f, "dump.txt"],
            &d,
            Stdin::Null,
            Duration::from_secs(30),
        );
        assert!(
            !o.stdout.contains('\x1b') && !o.stdout.contains('\x07'),
            "{f}"
        );
        assert!(o.stdout.contains("main.evil"), "{f}: {}", o.stdout);
    }

    // A server answering every request with an error body full of escapes.
    let body = "no such profile \x1b]0;pwned\x07\x1b[2J";
    let port = serve(move |_| (500, body.as_bytes().to_vec()));
    let o = gostuck(
        &["fetch", &format!("http://127.0.0.1:{port}/")],
        &d,
        Stdin::Null,
        Duration::from_secs(30),
    );
    assert_eq!(o.code, Some(2), "{}", o.stderr);
    assert!(!o.stderr.contains('\x1b') && !o.stderr.contains('\x07'));
    assert!(
        o.stderr
            .contains("no such profile \\x1b]0;pwned\\x07\\x1b[2J"),
        "{}",
        o.stderr
    );
}

#[test]
fn a_fetched_gzip_bomb_is_refused_too() {
    let d = dir("fetch-bomb");
    let bomb = gzip_zeros(b"", 512);
    let port = serve(move |_| (200, bomb.clone()));
    let o = gostuck(
        &["fetch", &format!("http://127.0.0.1:{port}/")],
        &d,
        Stdin::Null,
        Duration::from_secs(30),
    );
    assert_bounded(&o, 60, 20.0);
    assert_eq!(o.code, Some(2), "{}", o.stderr);
    assert!(o.stderr.contains("binary data"), "{}", o.stderr);
}

/// Serves HTTP on 127.0.0.1 (a port of its own) until the test process ends:
/// every request gets `answer(request line)`.
fn serve(answer: impl Fn(&str) -> (u16, Vec<u8>) + Send + 'static) -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { continue };
            let mut req = Vec::new();
            let mut buf = [0u8; 4096];
            while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                match s.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => req.extend_from_slice(&buf[..n]),
                }
            }
            let line = String::from_utf8_lossy(&req);
            let (status, body) = answer(line.lines().next().unwrap_or(""));
            let head = format!(
                "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = s.write_all(head.as_bytes());
            let _ = s.write_all(&body);
        }
    });
    port
}

/// Whether process `pid` is gone (or a zombie about to be reaped).
fn gone(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(s) => s
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| rest.starts_with('Z')),
    }
}

fn pids(file: &Path) -> Vec<i32> {
    std::fs::read_to_string(file)
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect()
}

fn wait_all_gone(p: &[i32]) -> bool {
    let until = Instant::now() + Duration::from_secs(5);
    while Instant::now() < until {
        if p.iter().all(|&p| gone(p)) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

#[test]
fn run_ends_the_helpers_its_command_leaves_behind() {
    let d = dir("run-helpers");
    // One helper that exits on SIGTERM, one that ignores it.
    let script = "sleep 300 & echo $! > pids; (trap '' TERM; exec sleep 300) & echo $! >> pids; echo started";
    let o = gostuck(
        &["run", "--", "sh", "-c", script],
        &d,
        Stdin::Null,
        Duration::from_secs(30),
    );
    let p = pids(&d.join("pids"));
    assert_eq!(p.len(), 2, "{}", o.stderr);
    assert!(wait_all_gone(&p), "helpers {p:?} still alive; {}", o.stderr);
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    assert!(
        o.stderr.contains("leaving 2 processes of its process group running; ended them with SIGTERM, then SIGKILL"),
        "{}",
        o.stderr
    );
}

#[test]
fn run_leaves_nothing_behind_when_gostuck_is_signalled() {
    let d = dir("run-signal");
    let mut c = Command::new(env!("CARGO_BIN_EXE_gostuck"));
    c.args(["run", "--", "sh", "-c", "sleep 300 & echo $! > pids; wait"])
        .current_dir(&d)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    let until = Instant::now() + Duration::from_secs(20);
    while pids(&d.join("pids")).is_empty() && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(20));
    }
    let p = pids(&d.join("pids"));
    assert_eq!(p.len(), 1);
    let me = rustix::process::Pid::from_raw(i32::try_from(child.id()).unwrap()).unwrap();
    rustix::process::kill_process(me, rustix::process::Signal::TERM).unwrap();
    let st = child.wait().unwrap();
    assert!(
        wait_all_gone(&p),
        "helper {p:?} still alive after gostuck got SIGTERM"
    );
    // The command died of the forwarded SIGTERM: 128 + 15.
    assert_eq!(st.code(), Some(143));
}
