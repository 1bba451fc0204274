//! Traceback text, line by line, as a stream reader sees it.
#![no_main]

use gostuck_dump::TracebackReader;
use gostuck_fuzz::{check_dumps, describe, group_shape, lines};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let lines = lines(data);
    let read = |keep_args: bool| {
        let mut r = TracebackReader::new(keep_args);
        for l in &lines {
            r.push_line(l);
        }
        r.finish()
    };
    let with_args = read(true);
    check_dumps(&with_args, lines.len() as u64);

    // Dropping argument text must change nothing but the argument text.
    let without_args = read(false);
    check_dumps(&without_args, lines.len() as u64);
    assert_eq!(with_args.len(), without_args.len(), "keep_args changed the number of dumps");
    for (a, b) in with_args.iter().zip(&without_args) {
        assert_eq!(describe(a, false), describe(b, false), "keep_args changed more than arguments");
        assert_eq!(group_shape(a, false), group_shape(b, false), "keep_args changed the grouping");
        for f in b.goroutines.iter().flat_map(|g| g.frames.iter().chain(g.ancestors.iter().flat_map(|a| &a.frames))) {
            if f.kind == gostuck_dump::FrameKind::Go {
                assert_eq!(f.args, gostuck_dump::Sym::EMPTY, "arguments kept with keep_args = false");
            }
        }
    }

    // Large inputs are read on several threads; that must give exactly what
    // the sequential reader gave, whenever the input can be split at all.
    for pieces in [2, 3] {
        if let Some(parallel) = gostuck_dump::read_traceback_in_pieces(data, true, pieces) {
            assert_eq!(parallel.len(), with_args.len(), "reading in {pieces} pieces changed the number of dumps");
            for (a, b) in with_args.iter().zip(&parallel) {
                assert_eq!(describe(a, true), describe(b, true), "reading in {pieces} pieces changed a dump");
                assert_eq!(group_shape(a, true), group_shape(b, true), "reading in {pieces} pieces changed the grouping");
            }
            check_dumps(&parallel, lines.len() as u64);
        }
    }

    // CRLF line ends read the same as LF.
    if !data.contains(&b'\r') {
        let mut r = TracebackReader::new(true);
        for l in &lines {
            let mut crlf = l.to_vec();
            crlf.push(b'\r');
            r.push_line(&crlf);
        }
        let crlf = r.finish();
        assert_eq!(crlf.len(), with_args.len());
        for (a, b) in with_args.iter().zip(&crlf) {
            assert_eq!(describe(a, true), describe(b, true), "CRLF input read differently");
        }
    }
});
