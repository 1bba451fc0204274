//! Trace format versions and the file header.

use std::fmt;

use crate::error::Error;

/// Length of the header: `go 1.NN trace\0\0\0`.
pub const HEADER_LEN: usize = 16;

/// A trace format version this crate reads.
///
/// The version in the header names the Go release that introduced the
/// format, not the release that wrote the trace: Go 1.23 and 1.24 write
/// `go 1.23`, Go 1.26 and later write `go 1.26`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Version {
    /// `go 1.22 trace`: the first format of the current design.
    Go122 = 22,
    /// `go 1.23 trace` (Go 1.23, 1.24): coroutine switches, `GoStatusStack`,
    /// experimental batches.
    Go123 = 23,
    /// `go 1.25 trace`: sync batches with a clock snapshot.
    Go125 = 25,
    /// `go 1.26 trace` (Go 1.26+): explicit end-of-generation marker.
    Go126 = 26,
}

impl Version {
    /// The minor version number (`22` for Go 1.22).
    #[must_use]
    pub fn minor(self) -> u32 {
        self as u32
    }

    /// The version for a header's minor number, if supported.
    #[must_use]
    pub fn from_minor(minor: u32) -> Option<Version> {
        match minor {
            22 => Some(Version::Go122),
            23 => Some(Version::Go123),
            25 => Some(Version::Go125),
            26 => Some(Version::Go126),
            _ => None,
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "go 1.{}", self.minor())
    }
}

/// Parses the 16-byte trace header.
///
/// Traces of Go 1.11–1.21 (the older format) are refused with
/// [`Error::OldVersion`]; other headers with [`Error::UnknownVersion`] or
/// [`Error::BadHeader`].
pub fn parse_header(h: &[u8]) -> Result<Version, Error> {
    let bad = || Error::BadHeader {
        found: String::from_utf8_lossy(&h[..h.len().min(HEADER_LEN)]).into_owned(),
    };
    let rest = h.strip_prefix(b"go 1.").ok_or_else(bad)?;
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 || digits > 3 {
        return Err(bad());
    }
    let minor: u32 = std::str::from_utf8(&rest[..digits])
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(bad)?;
    let tail = &rest[digits..];
    if !tail.starts_with(b" trace") {
        return Err(bad());
    }
    // Old single-digit versions pad with one more NUL to keep 16 bytes.
    let nuls = &tail[b" trace".len()..];
    if h.len() < HEADER_LEN || !nuls.iter().all(|&b| b == 0) {
        return Err(bad());
    }
    if minor < 22 {
        return Err(Error::OldVersion { minor });
    }
    Version::from_minor(minor).ok_or(Error::UnknownVersion { minor })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers() {
        assert_eq!(
            parse_header(b"go 1.22 trace\0\0\0").unwrap(),
            Version::Go122
        );
        assert_eq!(
            parse_header(b"go 1.23 trace\0\0\0").unwrap(),
            Version::Go123
        );
        assert_eq!(
            parse_header(b"go 1.25 trace\0\0\0").unwrap(),
            Version::Go125
        );
        assert_eq!(
            parse_header(b"go 1.26 trace\0\0\0").unwrap(),
            Version::Go126
        );
        let e = parse_header(b"go 1.21 trace\0\0\0").unwrap_err();
        assert!(matches!(e, Error::OldVersion { minor: 21 }));
        let msg = e.to_string();
        assert!(msg.contains("go 1.21") && msg.contains("1.22") && msg.contains("go tool trace"));
        assert!(matches!(
            parse_header(b"go 1.5 trace\0\0\0\0").unwrap_err(),
            Error::OldVersion { minor: 5 }
        ));
        assert!(matches!(
            parse_header(b"go 1.24 trace\0\0\0").unwrap_err(),
            Error::UnknownVersion { minor: 24 }
        ));
        assert!(matches!(
            parse_header(b"PK\x03\x04 whatever!").unwrap_err(),
            Error::BadHeader { .. }
        ));
        assert!(matches!(
            parse_header(b"go 1.22 trace\0x\0").unwrap_err(),
            Error::BadHeader { .. }
        ));
    }
}
