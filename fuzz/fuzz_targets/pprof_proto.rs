//! pprof `debug=0` profiles: the bytes as a raw `profile.proto`, and gzip'd
//! here so that the protobuf decoder behind the inflater is reached too.
#![no_main]

use std::io::Write;

use gostuck_dump::{pprof_proto, Error, Format};
use gostuck_fuzz::{check_dump, describe};
use libfuzzer_sys::fuzz_target;

fn check(r: &Result<gostuck_dump::Dump, Error>) {
    match r {
        Ok(d) => {
            assert_eq!(d.format, Format::PprofProto);
            check_dump(d, 0);
        }
        Err(
            Error::Protobuf(m)
            | Error::Gzip(m)
            | Error::NotGoroutineProfile(m)
            | Error::Inflate(m)
            | Error::Corrupt(m),
        ) => {
            let _ = m;
        }
        Err(e) => panic!("unexpected error from pprof_proto::read: {e:?}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let raw = pprof_proto::read(data);
    check(&raw);

    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(data).unwrap();
    let gz = gz.finish().unwrap();
    let inflated = pprof_proto::read(&gz);
    check(&inflated);

    // Compression must not change what is read (unless the input is itself
    // gzip, which the raw read inflates and the wrapped read does not), once
    // the inflater's sniffing of the first bytes took it for a profile.
    let sniffed = matches!(
        gostuck_dump::inflate::gunzip(&gz),
        Ok((gostuck_dump::inflate::Inflated::Protobuf, _))
    );
    if sniffed && !data.starts_with(&[0x1f, 0x8b]) {
        match (&raw, &inflated) {
            (Ok(a), Ok(b)) => assert_eq!(describe(a, true), describe(b, true)),
            (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
            (a, b) => panic!("raw read {:?} but gzip'd read {:?}", a.as_ref().err(), b.as_ref().err()),
        }
    }
});
