//! Bounded gzip inflation, shared by every reader of compressed input.
//!
//! A gzip stream can inflate a thousandfold (runs of zeros) or more (several
//! members), so inflating "until it ends" lets a few megabytes of input take
//! gigabytes of memory. Here the first bytes are inflated and sniffed before
//! the rest: they must look like a `profile.proto` (a top-level field key) or
//! like text (no NUL byte); anything else is refused right away. The rest is
//! inflated up to a cap proportional to the compressed size, as large as a
//! real input of that kind can inflate to, with a clear error beyond.

use std::io::Read;

use crate::error::Error;

/// What the inflated bytes look like, judged from their first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Inflated {
    /// Starts with a protobuf field key: a `profile.proto`.
    Protobuf,
    /// Text (no NUL byte at its start): a gzip'd dump or log.
    Text,
}

impl Inflated {
    /// The most a compressed input of `len` bytes of this kind may inflate to.
    ///
    /// Go writes `profile.proto` with its strings and locations deduplicated:
    /// what is left compresses two to ten times (see `testdata/captured`).
    /// Dump text repeats itself much more (a million goroutines waiting in one
    /// place): tens of times. The caps leave a wide margin over both and a
    /// constant so that small inputs are never refused.
    #[must_use]
    pub fn cap(self, len: u64) -> u64 {
        let (ratio, base) = match self {
            Inflated::Protobuf => (32, 16 << 20),
            Inflated::Text => (128, 64 << 20),
        };
        len.saturating_mul(ratio).saturating_add(base)
    }
}

/// How much is inflated before the kind is decided.
const SNIFF: usize = 4096;

/// Whether `bytes` start with a gzip header.
#[must_use]
pub fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x1f, 0x8b])
}

/// Inflates a gzip stream (all its members) whose first bytes must look like
/// a profile or like text, within [`Inflated::cap`] of its compressed size.
///
/// Errors: [`Error::Gzip`] when nothing inflates, [`Error::Inflate`] when the
/// inflated bytes are neither a profile nor text or exceed the cap. A stream
/// cut short (truncated download) returns what inflated.
pub fn gunzip(bytes: &[u8]) -> Result<(Inflated, Vec<u8>), Error> {
    gunzip_capped(bytes, |kind| kind.cap(bytes.len() as u64))
}

fn gunzip_capped(
    bytes: &[u8],
    cap_of: impl Fn(Inflated) -> u64,
) -> Result<(Inflated, Vec<u8>), Error> {
    let mut dec = flate2::read::MultiGzDecoder::new(bytes);
    let mut out = Vec::with_capacity(SNIFF);
    if let Err(e) = (&mut dec).take(SNIFF as u64).read_to_end(&mut out) {
        if out.is_empty() {
            return Err(Error::Gzip(e.to_string()));
        }
        return sniff(&out).map(|k| (k, out));
    }
    let kind = sniff(&out)?;
    let cap = cap_of(kind);
    let room = cap.saturating_sub(out.len() as u64).saturating_add(1);
    // A stream cut short (a truncated download) keeps what inflated: the
    // reader reports where it stops making sense.
    let _cut_short = (&mut dec).take(room).read_to_end(&mut out);
    if out.len() as u64 > cap {
        return Err(Error::Inflate(format!(
            "{} compressed bytes inflate to more than {} MiB, more than any real {} of that size; \
             decompress it yourself (gzip -dc) if you trust it",
            bytes.len(),
            cap >> 20,
            match kind {
                Inflated::Protobuf => "profile",
                Inflated::Text => "dump",
            }
        )));
    }
    Ok((kind, out))
}

/// Decides what the first inflated bytes are, or refuses them.
fn sniff(head: &[u8]) -> Result<Inflated, Error> {
    if head.is_empty() {
        return Err(Error::Inflate("the gzip stream inflates to nothing".into()));
    }
    // Text first: a dump's head is all printable bytes, tabs and line ends,
    // and may well start with a byte that reads as a profile field's key
    // (`2026/12/06 …` is field 6, wire type 2). A profile's head is full of
    // small lengths and varints: control bytes.
    if looks_like_text(head) {
        return Ok(Inflated::Text);
    }
    if first_field_is_profile(head) {
        return Ok(Inflated::Protobuf);
    }
    if memchr::memchr(0, head).is_none() {
        return Ok(Inflated::Text);
    }
    let zeros = head.iter().filter(|&&b| b == 0).count();
    Err(Error::Inflate(format!(
        "the gzip stream inflates to binary data ({zeros} of its first {} bytes are NUL), \
         neither a profile nor a dump",
        head.len()
    )))
}

/// Printable bytes (any byte from 0x20 up but DEL, so UTF-8 too), tabs and
/// line ends only.
pub(crate) fn looks_like_text(head: &[u8]) -> bool {
    head.iter()
        .all(|&c| (c >= 0x20 && c != 0x7f) || matches!(c, b'\t' | b'\n' | b'\r'))
}

/// Whether `head` starts with the key of a `profile.proto` field (numbers 1 to
/// 14, each with the wire type the schema gives it).
fn first_field_is_profile(head: &[u8]) -> bool {
    let Some(&key) = head.first() else {
        return false;
    };
    let (field, wire) = (key >> 3, key & 7);
    match field {
        // Repeated messages, strings and packed numbers: length-delimited.
        1..=6 | 11 => wire == 2,
        // Scalars (drop_frames, keep_frames, time_nanos, duration_nanos, period, comment, default_sample_type).
        7..=10 | 12..=14 => wire == 0 || wire == 2,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gz(parts: &[&[u8]]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        for p in parts {
            e.write_all(p).unwrap();
        }
        e.finish().unwrap()
    }

    #[test]
    fn zeros_are_refused_after_the_first_block() {
        let zeros = vec![0u8; 1 << 20];
        let err = gunzip(&gz(&[&zeros])).unwrap_err();
        assert!(matches!(err, Error::Inflate(_)), "{err}");
        assert!(err.to_string().contains("binary data"), "{err}");
    }

    #[test]
    fn a_valid_start_then_too_much_is_refused_at_the_cap() {
        // A field key of a profile, then a flood of zeros inside it.
        let zeros = vec![0u8; 4 << 20];
        let bytes = gz(&[b"\x32\xff\xff\xff\x7f", &zeros]);
        let err = gunzip_capped(&bytes, |_| 1 << 20).unwrap_err();
        assert!(err.to_string().contains("inflate to more than"), "{err}");
    }

    #[test]
    fn text_and_profiles_inflate() {
        let (k, out) = gunzip(&gz(&[b"goroutine 1 [running]:\n"])).unwrap();
        assert_eq!(
            (k, &out[..]),
            (Inflated::Text, &b"goroutine 1 [running]:\n"[..])
        );
        let captured = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../testdata/captured/go1.27.3/pprof-http-goroutine-debug0.pb.gz");
        let (k, out) = gunzip(&std::fs::read(captured).unwrap()).unwrap();
        assert_eq!(k, Inflated::Protobuf);
        assert!(out.len() > 1000);
    }
}
