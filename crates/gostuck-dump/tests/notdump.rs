//! Text with the words of a dump but no goroutine stacks is refused with a
//! sentence that says what it looks like, never read as a dump of zero
//! goroutines.

use std::path::Path;

use gostuck_dump::{read_bytes, Error, ReadOptions};

fn captured(rel: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../testdata/captured")
            .join(rel),
    )
    .unwrap()
}

fn refusal(text: &[u8]) -> String {
    match read_bytes(text, &ReadOptions::default()) {
        Err(Error::NotADump(what)) => what,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn a_log_line_quoting_the_runtimes_deadlock_message_is_not_a_dump() {
    // The first line of a real deadlock report, as a logger would quote it.
    let dump = captured("go1.27.3/abba.txt");
    let first = String::from_utf8_lossy(dump.split(|&c| c == b'\n').next().unwrap()).into_owned();
    assert!(first.contains("all goroutines are asleep"), "{first}");
    for line in [
        format!("{first}\n"),
        format!("time=\"2024-12-06T19:24:15Z\" level=error msg={first:?}\n"),
        format!("2024/12/06 19:24:15 worker said: {first}\n"),
    ] {
        assert!(
            refusal(line.as_bytes()).contains("log line quoting a Go crash message"),
            "{line}"
        );
    }
}

#[test]
fn another_tools_report_is_named() {
    // Shapes of go-deadlock's and panicparse's output (no real capture of
    // either tool's output is possible offline; this is error handling).
    let go_deadlock = b"POTENTIAL DEADLOCK:\nPrevious place where the lock was grabbed\ngoroutine 6 lock 0xc000010098\nmain.go:15 main.main.func1 { mu.Lock() } <<<<<\n";
    assert!(refusal(go_deadlock).contains("go-deadlock"));
    let panicparse = b"1: chan receive [Created by main.main @ main.go:12]\n    main main.go:20 worker(0xc000010000)\n2: running\n    main main.go:30 main()\n";
    assert!(refusal(panicparse).contains("panicparse"));
}

#[test]
fn the_runtimes_report_of_no_goroutines_left_is_still_read() {
    let dumps = read_bytes(
        &captured("go1.27.3/testprog/GoexitDeadlock.txt"),
        &ReadOptions::default(),
    )
    .unwrap();
    assert_eq!(dumps[0].total_goroutines(), 0);
    assert!(dumps[0]
        .fatal_error
        .as_deref()
        .unwrap()
        .starts_with("no goroutines"));
}
