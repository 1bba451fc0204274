//! The execution-trace reader (gostuck-trace): the ordered event stream, the
//! raw wire stream, and the analyses over them. Damaged input must give an
//! error that names its byte offset — never a panic, never a huge allocation
//! (run with -malloc_limit_mb, as fuzz/run.sh does).
#![no_main]

use std::fmt::Write as _;

use gostuck_trace::pprof::{encode_profile, ProfileKind, SyncProfiler};
use gostuck_trace::{Analyzer, Error, Reader, Summary, WireReader};
use libfuzzer_sys::fuzz_target;

/// Errors about the content (not the header) name where they happened.
fn check_error(e: &Error) {
    let msg = e.to_string();
    match e {
        Error::BadHeader { .. } | Error::OldVersion { .. } | Error::UnknownVersion { .. } => {}
        _ => assert!(msg.contains(" at byte "), "error without an offset: {msg}"),
    }
}

fuzz_target!(|data: &[u8]| {
    // Ordered events, analysed and printed.
    match Reader::new(data) {
        Err(e) => check_error(&e),
        Ok(mut r) => {
            let mut an = Analyzer::new();
            let mut prof = SyncProfiler::new(ProfileKind::Sync);
            let mut out = String::new();
            let mut last = i64::MIN;
            loop {
                match r.read_event_ref() {
                    Ok(Some(ev)) => {
                        // Strictly increasing (saturating at the end of the clock).
                        assert!(
                            ev.time() > last || last == i64::MAX,
                            "times must strictly increase"
                        );
                        last = ev.time();
                        an.event(ev);
                        prof.event(ev);
                        out.clear();
                        let _ = write!(out, "{ev}");
                    }
                    Ok(None) => break,
                    Err(e) => {
                        check_error(&e);
                        // Errors end the stream.
                        assert!(matches!(r.read_event_ref(), Ok(None)));
                        break;
                    }
                }
            }
            let a = an.finish();
            let _ = a.blocked_at_end();
            let _ = Summary::from_analysis(&a).to_string();
            let _ = encode_profile(&prof.finish());
        }
    }
    // Raw wire events.
    if let Ok(w) = WireReader::new(data) {
        let mut out = String::new();
        for ev in w {
            match ev {
                Ok(ev) => {
                    out.clear();
                    let _ = write!(out, "{ev}");
                }
                Err(e) => {
                    check_error(&e);
                    break;
                }
            }
        }
    }
});
