//! Line-level recognisers for traceback text, each mirroring one `print` in
//! `runtime/traceback.go`. They work on bytes and allocate nothing.

/// A parsed goroutine header: `goroutine 7 gp=0x… m=3 mp=0x… [chan receive, 2 minutes]: {labels}`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Header<'a> {
    pub id: u64,
    /// Bracket content, e.g. `chan receive (nil chan), 2 minutes, locked to thread`.
    pub bracket: &'a [u8],
    /// Text between the `]` and the final `:` (labels), trimmed.
    pub labels: &'a [u8],
}

/// `goroutine N …[…]…:` (`runtime/traceback.go: goroutineheader`).
pub(crate) fn header(line: &[u8]) -> Option<Header<'_>> {
    let rest = line.strip_prefix(b"goroutine ")?;
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 || digits > 20 {
        return None;
    }
    let id = parse_u64(&rest[..digits])?;
    let rest = &rest[digits..];
    // ` gp=0x… m=N mp=0x…` or ` gp=0x… m=nil` under GOTRACEBACK=system or while throwing.
    let open = memchr::memchr(b'[', rest)?;
    let between = &rest[..open];
    if !(between == b" " || between.starts_with(b" gp=")) {
        return None;
    }
    let after_open = &rest[open + 1..];
    let close = memchr::memchr(b']', after_open)?;
    let bracket = &after_open[..close];
    let tail = trim_end(&after_open[close + 1..]);
    let tail = tail.strip_suffix(b":")?;
    Some(Header {
        id,
        bracket,
        labels: trim(tail),
    })
}

/// A function line: `pkg.(*T).m(0xc000010000, {0x4b6e1f, 0x5})` or `panic({…})`.
/// Returns (function, args).
pub(crate) fn function_call(line: &[u8]) -> Option<(&[u8], &[u8])> {
    let line = trim_end(line);
    let body = line.strip_suffix(b")")?;
    let open = crate::swar::rfind(body, b'(')?;
    let func = &body[..open];
    if func.is_empty() || func[0].is_ascii_whitespace() || func.len() > 4096 {
        return None;
    }
    // A Go function name has no ": " and no tabs; prose such as "note: x(y)" is rejected.
    // (One pass for both: names rarely contain either byte.)
    if crate::swar::any_eq2(func, b'\t', b':', |i| {
        func[i] == b'\t' || func.get(i + 1) == Some(&b' ')
    }) {
        return None;
    }
    Some((func, &body[open + 1..]))
}

/// A file line: `\t/path/file.go:12 +0x1d` with optional ` fp=… sp=… pc=…`.
/// Returns (file, line). Recognised from content, not from the tab: pasted
/// dumps often carry spaces (of any number) instead, or nothing.
pub(crate) fn file_line(line: &[u8]) -> Option<(&[u8], u32)> {
    let rest = trim(line);
    // The path may contain spaces (Windows "Program Files"), so cut at the first
    // of the known suffixes ` +0x`, ` fp=`, ` pc=`.
    let end = memchr::memchr_iter(b' ', rest)
        .find(|&i| {
            let s = &rest[i + 1..];
            s.starts_with(b"+0x") || s.starts_with(b"fp=") || s.starts_with(b"pc=")
        })
        .unwrap_or(rest.len());
    let loc = &rest[..end];
    let colon = crate::swar::rfind(loc, b':')?;
    let file = &loc[..colon];
    let num = &loc[colon + 1..];
    if file.is_empty() || num.is_empty() {
        return None;
    }
    let line_no = parse_u64(num)?;
    Some((file, u32::try_from(line_no).ok()?))
}

/// `created by F in goroutine N` / `created by F`. Returns (function, parent).
pub(crate) fn created_by(line: &[u8]) -> Option<(&[u8], Option<u64>)> {
    let rest = trim_end(line.strip_prefix(b"created by ")?);
    if let Some(pos) = memchr::memmem::rfind(rest, b" in goroutine ") {
        if let Some(id) = parse_u64(&rest[pos + 14..]) {
            return Some((&rest[..pos], Some(id)));
        }
    }
    Some((rest, None))
}

/// `...additional frames elided...` → Some(None); `...12 frames elided...` → Some(Some(12)).
pub(crate) fn elided(line: &[u8]) -> Option<Option<u32>> {
    let line = trim_end(line);
    if line == b"...additional frames elided..." {
        return Some(None);
    }
    let rest = line
        .strip_prefix(b"...")?
        .strip_suffix(b" frames elided...")?;
    parse_u64(rest)
        .and_then(|n| u32::try_from(n).ok())
        .map(Some)
}

/// `[originating from goroutine N]:`
pub(crate) fn ancestor(line: &[u8]) -> Option<u64> {
    let rest = trim_end(line).strip_prefix(b"[originating from goroutine ")?;
    parse_u64(rest.strip_suffix(b"]:")?)
}

pub(crate) fn parse_u64(b: &[u8]) -> Option<u64> {
    if b.is_empty() || b.len() > 20 {
        return None;
    }
    let mut n: u64 = 0;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
    }
    Some(n)
}

pub(crate) fn trim_end(b: &[u8]) -> &[u8] {
    let n = b
        .iter()
        .rev()
        .take_while(|c| c.is_ascii_whitespace())
        .count();
    &b[..b.len() - n]
}

pub(crate) fn trim(b: &[u8]) -> &[u8] {
    let b = trim_end(b);
    let n = b.iter().take_while(|c| c.is_ascii_whitespace()).count();
    &b[n..]
}

/// Parses the label set printed after the header bracket (Go 1.26+ with
/// GODEBUG=tracebacklabels=1): `{req: "GET /x", worker: 7}`. Keys and values
/// are quoted with Go syntax only when they need it.
pub(crate) fn labels(b: &[u8]) -> Vec<(String, String)> {
    let b = trim(b);
    let Some(inner) = b.strip_prefix(b"{").and_then(|b| b.strip_suffix(b"}")) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut i = 0;
    while i < inner.len() {
        while i < inner.len() && (inner[i] == b' ' || inner[i] == b',') {
            i += 1;
        }
        if i >= inner.len() {
            break;
        }
        let (key, next) = label_token(inner, i, b':');
        i = next;
        if i < inner.len() && inner[i] == b':' {
            i += 1;
        }
        while i < inner.len() && inner[i] == b' ' {
            i += 1;
        }
        let (value, next) = label_token(inner, i, b',');
        i = next;
        out.push((key, value));
    }
    out
}

fn label_token(b: &[u8], start: usize, stop: u8) -> (String, usize) {
    if b.get(start) == Some(&b'"') {
        let mut s = Vec::new();
        let mut i = start + 1;
        while i < b.len() {
            match b[i] {
                b'\\' if i + 1 < b.len() => {
                    let c = b[i + 1];
                    s.push(match c {
                        b'n' => b'\n',
                        b't' => b'\t',
                        b'r' => b'\r',
                        other => other,
                    });
                    i += 2;
                }
                b'"' => {
                    i += 1;
                    break;
                }
                c => {
                    s.push(c);
                    i += 1;
                }
            }
        }
        (String::from_utf8_lossy(&s).into_owned(), i)
    } else {
        let end = b[start..]
            .iter()
            .position(|&c| c == stop)
            .map_or(b.len(), |p| start + p);
        (
            String::from_utf8_lossy(trim(&b[start..end])).into_owned(),
            end,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_of_every_shape_are_recognised() {
        let h = header(b"goroutine 1 [chan send]:").unwrap();
        assert_eq!(
            (h.id, h.bracket, h.labels),
            (1, &b"chan send"[..], &b""[..])
        );
        let h = header(b"goroutine 18 gp=0xc000102a80 m=nil [chan receive (nil chan), 3 minutes]:")
            .unwrap();
        assert_eq!(h.bracket, b"chan receive (nil chan), 3 minutes");
        let h = header(b"goroutine 7 [select, locked to thread] {req: \"GET /x\", worker: 7}:")
            .unwrap();
        assert_eq!(h.labels, b"{req: \"GET /x\", worker: 7}");
        assert!(header(b"goroutine profile: total 4").is_none());
        assert!(header(b"goroutine 5 is a word").is_none());
    }

    #[test]
    fn function_lines_keep_generic_and_method_names() {
        assert_eq!(
            function_call(b"main.(*Account).transfer(0xc000010000, {0x4b6e1f, 0x5})"),
            Some((
                &b"main.(*Account).transfer"[..],
                &b"0xc000010000, {0x4b6e1f, 0x5}"[..]
            ))
        );
        assert_eq!(
            function_call(b"main.F[...](...)"),
            Some((&b"main.F[...]"[..], &b"..."[..]))
        );
        assert_eq!(function_call(b"fatal: oops (x)"), None);
        assert_eq!(function_call(b"just text"), None);
    }

    #[test]
    fn file_lines_with_windows_paths_and_system_suffixes() {
        assert_eq!(
            file_line(b"\t/app/main.go:19 +0x1d"),
            Some((&b"/app/main.go"[..], 19))
        );
        assert_eq!(
            file_line(
                b"\tC:/Program Files/Go/src/runtime/proc.go:435 +0xce fp=0xc0000 sp=0xc pc=0x4"
            ),
            Some((&b"C:/Program Files/Go/src/runtime/proc.go"[..], 435))
        );
        assert_eq!(
            file_line(b"\t/app/main.go:19"),
            Some((&b"/app/main.go"[..], 19))
        );
        assert_eq!(file_line(b"\tpc=0x4567"), None);
        for indent in [&b""[..], b"  ", b"    ", b"        ", b" \t  "] {
            let line = [indent, b"/app/main.go:19 +0x1d"].concat();
            assert_eq!(file_line(&line), Some((&b"/app/main.go"[..], 19)));
        }
        assert_eq!(file_line(b"main.main()"), None);
    }

    #[test]
    fn created_by_with_and_without_parent() {
        assert_eq!(
            created_by(b"created by main.main in goroutine 1"),
            Some((&b"main.main"[..], Some(1)))
        );
        assert_eq!(
            created_by(b"created by main.main"),
            Some((&b"main.main"[..], None))
        );
    }

    #[test]
    fn elision_markers_and_ancestors() {
        assert_eq!(elided(b"...additional frames elided..."), Some(None));
        assert_eq!(elided(b"...12 frames elided..."), Some(Some(12)));
        assert_eq!(ancestor(b"[originating from goroutine 17]:"), Some(17));
    }

    #[test]
    fn quoted_and_bare_labels() {
        assert_eq!(
            labels(b"{req: \"GET /x, y\", worker: 7, \"a b\": \"c\\\"d\"}"),
            vec![
                ("req".into(), "GET /x, y".into()),
                ("worker".into(), "7".into()),
                ("a b".into(), "c\"d".into())
            ]
        );
    }
}
