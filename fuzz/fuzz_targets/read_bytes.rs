//! The auto-detecting entry points: `read_bytes` on memory, `read` on a stream.
#![no_main]

use std::io::BufReader;

use gostuck_dump::{detect, read, read_bytes, unwrap_carriers, Detected, Error, Format, ReadOptions};
use gostuck_fuzz::{check_dumps, describe, lines};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let opts = ReadOptions::default();
    // Carriers (encodings, markdown, log records) are taken off first: the
    // readers see that text, its format and its lines.
    let text = unwrap_carriers(data);
    let text = text.as_deref().unwrap_or(data);
    let detected = detect(&text[..text.len().min(8192)]);
    let nlines = lines(text).len() as u64;
    let gzip = gostuck_dump::inflate::is_gzip(data);
    let got = read_bytes(data, &opts);
    match (&got, detected) {
        // gzip'd text is read as the text it inflates to (line numbers of
        // that text, which the bytes here do not show).
        (Ok(dumps), Detected::Dump(_)) if gzip => {
            assert!(!dumps.is_empty(), "Ok with no dumps");
            let (kind, raw) = gostuck_dump::inflate::gunzip(data).expect("read, so it inflates");
            if kind == gostuck_dump::inflate::Inflated::Protobuf {
                assert_eq!(dumps.len(), 1);
                assert_eq!(dumps[0].format, Format::PprofProto);
                check_dumps(dumps, 0);
            } else {
                check_dumps(dumps, lines(&raw).len() as u64);
            }
        }
        (Ok(dumps), Detected::Dump(format)) => {
            assert!(!dumps.is_empty(), "Ok with no dumps");
            for d in dumps {
                assert_eq!(d.format, format, "reader disagrees with detection");
            }
            if format == Format::PprofProto {
                assert_eq!(dumps.len(), 1);
                check_dumps(dumps, 0);
            } else {
                check_dumps(dumps, nlines);
            }
        }
        (Ok(_), d) => panic!("{d:?} read as a dump"),
        (Err(Error::ExecutionTrace), d) => assert_eq!(d, Detected::ExecutionTrace),
        (Err(Error::NoDump), Detected::Dump(_)) => {}
        (Err(Error::NotADump(what)), Detected::Dump(f)) => {
            assert_ne!(f, Format::PprofProto, "a profile.proto refused as text");
            assert!(!what.is_empty());
        }
        (Err(Error::Protobuf(_) | Error::Gzip(_) | Error::NotGoroutineProfile(_) | Error::Inflate(_)), Detected::Dump(f)) => {
            assert_eq!(f, Format::PprofProto, "binary error from a text format");
        }
        // Mostly NUL: refused as binary, unless it is (or inflates to) a profile.
        (Err(Error::Binary(_)), Detected::Dump(f)) => {
            assert!(gzip || f != Format::PprofProto, "a profile refused as binary");
        }
        (Err(Error::Corrupt(_)), Detected::Dump(f)) => {
            assert!(gzip || f != Format::Traceback, "tracebacks count one goroutine each");
        }
        (Err(e), d) => panic!("unexpected {e:?} for {d:?}"),
    }

    // The streaming entry point reads the same dumps. A buffer of 8 KiB makes
    // its first look at the input the same as read_bytes' detection window.
    let streamed = read(BufReader::with_capacity(8192, data), &opts);
    match (&got, &streamed) {
        (Ok(a), Ok(b)) => {
            assert_eq!(a.len(), b.len(), "stream and memory reads found different dump counts");
            for (a, b) in a.iter().zip(b) {
                assert_eq!(describe(a, true), describe(b, true), "stream and memory reads differ");
            }
        }
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
        (a, b) => panic!("memory read {:?}, stream read {:?}", a.as_ref().err(), b.as_ref().err()),
    }
});
