//! pprof `debug=1` text, line by line.
#![no_main]

use gostuck_dump::{Format, PprofTextReader};
use gostuck_fuzz::{check_dumps, describe, lines};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let lines = lines(data);
    let mut r = PprofTextReader::new();
    for l in &lines {
        r.push_line(l);
    }
    let dumps = r.finish();
    check_dumps(&dumps, lines.len() as u64);
    for d in &dumps {
        assert_eq!(d.format, Format::PprofDebug1);
    }

    // CRLF line ends read the same as LF.
    if !data.contains(&b'\r') {
        let mut r = PprofTextReader::new();
        for l in &lines {
            let mut crlf = l.to_vec();
            crlf.push(b'\r');
            r.push_line(&crlf);
        }
        let crlf = r.finish();
        assert_eq!(crlf.len(), dumps.len());
        for (a, b) in dumps.iter().zip(&crlf) {
            assert_eq!(describe(a, true), describe(b, true), "CRLF input read differently");
        }
    }
});
