//! Carriers: how a dump travelled before it reached gostuck. A dump pasted
//! into an issue or a chat, copied out of a log system or wrapped by a logger
//! is the same dump in another coat: an encoding (UTF-16, gzip), other line
//! ends (CR), markdown quoting and indentation, or one log record per dump (or
//! per line) with the text escaped inside a field. Each coat is recognised
//! from content and taken off here, before the readers see the text; what was
//! taken off becomes a note of every dump read from it.

use std::io::Read;

use crate::lines;
use crate::Error;

/// Text taken out of its carriers, and how.
#[derive(Debug)]
pub(crate) struct Unwrapped {
    pub text: Vec<u8>,
    pub notes: Vec<String>,
}

/// How far into the text carriers are looked for: the first dump line must
/// start within it. A stream is read this far before it is read on line by
/// line, so it is judged exactly like the same bytes in memory.
pub(crate) const WINDOW: usize = 1 << 20;

/// Takes every carrier off `bytes`; `None` when there is none (the common
/// case, which costs a search for the first goroutine header).
pub(crate) fn unwrap(bytes: &[u8]) -> Result<Option<Unwrapped>, Error> {
    let mut notes = Vec::new();
    let mut owned: Option<Vec<u8>> = decode(bytes, &mut notes)?;
    if owned.is_none() && crate::binary(bytes) {
        // A profile.proto: no text carrier applies.
        return Ok(None);
    }
    type Step = fn(&[u8]) -> Option<(Vec<u8>, String)>;
    for step in [
        line_ends as Step,
        klog_block,
        markdown,
        records,
        profile_prefix,
    ] {
        if let Some((text, note)) = step(owned.as_deref().unwrap_or(bytes)) {
            owned = Some(text);
            notes.push(note);
        }
    }
    Ok(owned.map(|text| Unwrapped { text, notes }))
}

/// Whether a stream starting with `head` must be read whole, to take a
/// carrier off, rather than line by line.
pub(crate) fn needs_whole(head: &[u8]) -> bool {
    matches!(unwrap(head), Ok(Some(_)) | Err(_))
}

/// Byte-level encodings: a UTF-8 byte order mark, UTF-16 with a byte order
/// mark (PowerShell's `>`), gzip'd text.
fn decode(bytes: &[u8], notes: &mut Vec<String>) -> Result<Option<Vec<u8>>, Error> {
    if let Some(rest) = bytes.strip_prefix(b"\xef\xbb\xbf") {
        return Ok(Some(rest.to_vec()));
    }
    let utf16 = match bytes {
        [0xff, 0xfe, rest @ ..] => Some((rest, u16::from_le_bytes as fn([u8; 2]) -> u16, "LE")),
        [0xfe, 0xff, rest @ ..] => Some((rest, u16::from_be_bytes as fn([u8; 2]) -> u16, "BE")),
        _ => None,
    };
    if let Some((rest, unit, name)) = utf16 {
        let units = rest.chunks_exact(2).map(|c| unit([c[0], c[1]]));
        let text: String = char::decode_utf16(units)
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect();
        notes.push(format!("decoded from UTF-16 {name} (byte order mark)"));
        return Ok(Some(text.into_bytes()));
    }
    if crate::inflate::is_gzip(bytes) && gzip_holds_text(bytes) {
        // One inflater, one cap for every gzip stream (crate::inflate).
        if let (crate::inflate::Inflated::Text, text) = crate::inflate::gunzip(bytes)? {
            notes.push("inflated from gzip'd text".to_string());
            return Ok(Some(text));
        }
    }
    Ok(None)
}

/// Whether the first KiB a gzip stream inflates to is text (a dump) rather
/// than a profile.proto.
fn gzip_holds_text(bytes: &[u8]) -> bool {
    let mut head = Vec::with_capacity(1024);
    let _ = flate2::read::MultiGzDecoder::new(bytes)
        .take(1024)
        .read_to_end(&mut head);
    !head.is_empty() && crate::inflate::looks_like_text(&head)
}

/// Old Mac line ends: CR alone. (CRLF needs nothing: the readers drop a `\r`
/// before the newline.)
fn line_ends(text: &[u8]) -> Option<(Vec<u8>, String)> {
    let head = &text[..text.len().min(64 << 10)];
    if memchr::memchr(b'\n', head).is_some() || memchr::memchr(b'\r', head).is_none() {
        return None;
    }
    let out = text
        .iter()
        .map(|&c| if c == b'\r' { b'\n' } else { c })
        .collect();
    Some((out, "line ends were CR alone; read as newlines".to_string()))
}

/// Where a goroutine header (or a pprof `goroutine profile: total N` line)
/// first starts: (line start, header start).
fn first_anchor(text: &[u8]) -> Option<(usize, usize)> {
    let window = &text[..text.len().min(WINDOW)];
    let header = memchr::memmem::find_iter(window, b"goroutine ")
        .find(|&pos| header_at(&text[pos..line_end(text, pos)]))
        .map(|pos| (line_start(text, pos), pos));
    // A profile header counts only before the first goroutine header.
    let end = header.map_or(window.len(), |h| h.1);
    let profile = memchr::memmem::find_iter(&text[..end], b" profile: total ").find_map(|pos| {
        let start = line_start(text, pos);
        let name = text[start..pos]
            .iter()
            .rev()
            .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
            .count();
        let digits = text[pos + 16..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        (name > 0 && digits > 0).then_some((start, pos - name))
    });
    profile.or(header)
}

/// The first line before `end` that opens a dump (`fatal error: `, `panic: `,
/// `SIGQUIT: `, a `go test -json` event) behind a markdown margin:
/// (line start, margin).
fn first_opening_line(text: &[u8], end: usize) -> Option<(usize, Margin)> {
    let text = &text[..end];
    [
        &b"fatal error: "[..],
        b"panic: ",
        b"SIGQUIT: ",
        b"{\"Time\":\"",
        b"{\"Action\":\"",
    ]
    .iter()
    .filter_map(|pat| {
        // The first one only: a later `\tpanic: ` is a nested panic, not a margin.
        let pos = memchr::memmem::find(text, pat)?;
        let start = line_start(text, pos);
        margin(&text[start..pos]).map(|m| (start, m))
    })
    .min_by_key(|a| a.0)
}

fn line_start(text: &[u8], pos: usize) -> usize {
    memchr::memrchr(b'\n', &text[..pos]).map_or(0, |n| n + 1)
}

fn line_end(text: &[u8], pos: usize) -> usize {
    memchr::memchr(b'\n', &text[pos..]).map_or(text.len(), |n| pos + n)
}

/// Whether `s` starts with a goroutine header or a profile header, even when
/// the line goes on after it (an escaped record: `…[running]:\n\tmain…`).
fn header_at(s: &[u8]) -> bool {
    if let Some(close) = memchr::memmem::find(s, b"]:") {
        if lines::header(&s[..close + 2]).is_some() {
            return true;
        }
    }
    let digits = s
        .strip_prefix(b"goroutine profile: total ")
        .map_or(0, |r| r.iter().take_while(|c| c.is_ascii_digit()).count());
    digits > 0
}

/// What stands in front of a line in markdown: `>` quote markers, a list
/// marker, indentation.
#[derive(Debug, Default, PartialEq, Eq)]
struct Margin {
    /// `>` markers.
    quotes: usize,
    /// Columns after the quote markers (a list marker counts as its width).
    width: usize,
    list: bool,
}

/// Reads the margin of a line made only of carrier bytes up to `content`.
fn margin(prefix: &[u8]) -> Option<Margin> {
    let mut i = 0;
    let mut quotes = 0;
    loop {
        let ws = prefix[i..]
            .iter()
            .take_while(|c| matches!(c, b' ' | b'\t'))
            .count();
        if prefix.get(i + ws) != Some(&b'>') {
            break;
        }
        quotes += 1;
        i += ws + 1;
        if prefix.get(i) == Some(&b' ') {
            i += 1;
        }
    }
    let rest = &prefix[i..];
    let lead = rest
        .iter()
        .take_while(|c| matches!(c, b' ' | b'\t'))
        .count();
    let marker = list_marker(&rest[lead..]);
    let after = &rest[lead + marker..];
    if !after.iter().all(|c| matches!(c, b' ' | b'\t')) {
        return None;
    }
    Some(Margin {
        quotes,
        width: rest.len(),
        list: marker > 0,
    })
}

/// The width of a markdown list marker with its space (`- `, `* `, `+ `, `1. `, `2) `).
fn list_marker(s: &[u8]) -> usize {
    let digits = s.iter().take_while(|c| c.is_ascii_digit()).count();
    let body = if digits > 0 && digits < 10 && matches!(s.get(digits), Some(b'.' | b')')) {
        digits + 1
    } else if matches!(s.first(), Some(b'-' | b'*' | b'+')) {
        1
    } else {
        return 0;
    };
    if s.get(body) == Some(&b' ') {
        body + 1
    } else {
        0
    }
}

/// Markdown quoting (`> `, nested), list items, fenced blocks and indentation
/// of any width, judged from the line of the first goroutine header.
fn markdown(text: &[u8]) -> Option<(Vec<u8>, String)> {
    let anchor = first_anchor(text);
    let opening = first_opening_line(text, anchor.map_or(text.len().min(WINDOW), |a| a.0));
    // Behind a log prefix, only fences are taken off.
    let header = anchor.map(|(s, p)| (s, margin(&text[s..p]).unwrap_or_default()));
    let (start, m) = opening.or(header)?;
    let fenced = m.quotes == 0 && m.width == 0;
    if fenced && !fence_before(text, start) {
        return None;
    }
    let mut out = Vec::with_capacity(text.len());
    for line in text.split_inclusive(|&c| c == b'\n') {
        let body = strip_margin(line, &m);
        let t = lines::trim(body);
        if !(t.starts_with(b"```") || t.starts_with(b"~~~")) {
            out.extend_from_slice(body);
        } else if line.ends_with(b"\n") {
            out.push(b'\n');
        }
    }
    let mut what = Vec::new();
    if m.quotes > 0 {
        what.push(format!("markdown quoting ({} `>`)", m.quotes));
    }
    if m.list {
        what.push("a markdown list item".to_string());
    }
    if m.width > 0 {
        what.push(format!("an indentation of {} columns", m.width));
    }
    if fenced {
        what.push("a fenced block".to_string());
    }
    let line = 1 + memchr::memchr_iter(b'\n', &text[..start]).count();
    let note = format!("unwrapped from {} (from line {line})", what.join(" and "));
    Some((out, note))
}

/// Whether a markdown fence (```` ``` ````) opens a line before `end`.
fn fence_before(text: &[u8], end: usize) -> bool {
    memchr::memmem::find_iter(&text[..end], b"```").any(|pos| {
        text[line_start(text, pos)..pos]
            .iter()
            .all(u8::is_ascii_whitespace)
    })
}

/// `line` without up to `m.quotes` quote markers, a list marker and up to
/// `m.width` columns of indentation.
fn strip_margin<'a>(mut line: &'a [u8], m: &Margin) -> &'a [u8] {
    for _ in 0..m.quotes {
        let ws = line
            .iter()
            .take_while(|c| matches!(c, b' ' | b'\t'))
            .count();
        match line[ws..].strip_prefix(b">") {
            Some(rest) => line = rest.strip_prefix(b" ").unwrap_or(rest),
            None => break,
        }
    }
    let lead = line
        .iter()
        .take(m.width)
        .take_while(|c| matches!(c, b' ' | b'\t'))
        .count();
    let marker = if lead < m.width {
        list_marker(&line[lead..])
    } else {
        0
    };
    if marker > 0 && lead + marker <= m.width {
        return &line[lead + marker..];
    }
    &line[lead..]
}

/// How the log record that holds the first header carries the dump.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Record {
    /// A JSON object per line; the dump (or a line of it) in this key's string.
    Json(Vec<u8>),
    /// `key="…"` fields (logrus, klog structured, logfmt), Go-quoted.
    Quoted(Vec<u8>),
    /// journald's export format: `MESSAGE=…` (or a binary `MESSAGE` field).
    Journald,
}

/// A dump inside log records: one record for the whole dump with escaped
/// newlines, or one record per line.
fn records(text: &[u8]) -> Option<(Vec<u8>, String)> {
    let (start, pos) = record_anchor(text)?;
    let line_end = memchr::memchr(b'\n', &text[start..]).map_or(text.len(), |n| start + n);
    let line = &text[start..line_end];
    let rec = record_kind(line, pos - start)?;
    if let Record::Json(key) = &rec {
        if key == b"Output" && crate::testjson::looks_like(line) {
            // `go test -json`: its own reader knows the packages.
            return None;
        }
    }
    let (out, count) = match &rec {
        Record::Journald => journald(text),
        _ => fields(text, &rec),
    };
    let first = 1 + memchr::memchr_iter(b'\n', &text[..start]).count();
    let key = |k: &[u8]| format!(" (key `{}`)", String::from_utf8_lossy(k));
    let (kind, detail) = match &rec {
        Record::Json(k) => ("JSON log record", key(k)),
        Record::Quoted(k) if k == b"msg" && memchr::memmem::find(line, b"level=").is_some() => {
            ("logrus record", String::new())
        }
        Record::Quoted(k) if klog_header(line) => ("klog record", key(k)),
        Record::Quoted(k) => ("log record", key(k)),
        Record::Journald => ("journald export record", " (`MESSAGE=`)".to_string()),
    };
    let note = if count == 1 {
        format!("unwrapped from a {kind}{detail} (escaped newlines) at line {first}")
    } else {
        format!("unwrapped from {count} {kind}s{detail}, one per line, the first at line {first}")
    };
    Some((out, note))
}

/// Where the first goroutine header or crash message (`fatal error: `,
/// `panic: `) is, wherever it stands on its line: (line start, position).
fn record_anchor(text: &[u8]) -> Option<(usize, usize)> {
    let header = first_anchor(text);
    let end = header.map_or(text.len().min(WINDOW), |h| h.1);
    let crash = [&b"fatal error: "[..], b"panic: "]
        .iter()
        .filter_map(|pat| memchr::memmem::find(&text[..end], pat))
        .min()
        .map(|pos| (line_start(text, pos), pos));
    crash.or(header)
}

/// klog's multi-line value: `key=<`, the value's lines each indented by a
/// tab, then ` >`.
fn klog_block(text: &[u8]) -> Option<(Vec<u8>, String)> {
    let (start, pos) = record_anchor(text)?;
    if !text[start..pos].starts_with(b"\t") || start < 2 {
        return None;
    }
    // The line that opens the block, right above the anchor's or higher up.
    let mut open = start;
    loop {
        let prev = line_start(text, open - 1);
        let raw = &text[prev..open - 1];
        let line = lines::trim_end(raw);
        if line.ends_with(b"=<") {
            break;
        }
        if !(raw.starts_with(b"\t") || line.is_empty()) || prev == 0 {
            return None;
        }
        open = prev;
    }
    let mut out = text[..open].to_vec();
    let mut rest = text[open..].split_inclusive(|&c| c == b'\n');
    for line in rest.by_ref() {
        if lines::trim_end(line) == b" >" {
            break;
        }
        out.extend_from_slice(line.strip_prefix(b"\t").unwrap_or(line));
    }
    rest.for_each(|l| out.extend_from_slice(l));
    let at = 1 + memchr::memchr_iter(b'\n', &text[..open]).count();
    Some((
        out,
        format!("unwrapped from a klog multi-line value (`key=<`) at line {at}"),
    ))
}

/// A log prefix in front of every line of a pprof `debug=1` profile (the
/// traceback reader finds its own): as wide as the one before the profile's
/// header, taken off every line.
fn profile_prefix(text: &[u8]) -> Option<(Vec<u8>, String)> {
    let (start, pos) = first_anchor(text)?;
    let width = pos - start;
    let header = &text[pos..line_end(text, pos)];
    if width == 0
        || margin(&text[start..pos]).is_some()
        || crate::pprof_text::profile_header(header).is_none()
        || open_quote(&text[start..pos]).is_some()
    {
        return None;
    }
    let mut out = Vec::with_capacity(text.len());
    for line in text[start..].split_inclusive(|&c| c == b'\n') {
        let body = line.get(width..).unwrap_or(b"");
        out.extend_from_slice(body);
        if !body.ends_with(b"\n") && line.ends_with(b"\n") {
            out.push(b'\n');
        }
    }
    let at = 1 + memchr::memchr_iter(b'\n', &text[..start]).count();
    Some((
        out,
        format!("a log prefix of {width} bytes taken off every line from line {at}"),
    ))
}

/// `E1206 19:24:15.123456 …`
fn klog_header(line: &[u8]) -> bool {
    matches!(line.first(), Some(b'I' | b'W' | b'E' | b'F'))
        && line.len() > 5
        && line[1..5].iter().all(u8::is_ascii_digit)
}

/// Which record holds the header at offset `at` of `line`, if it sits inside
/// a quoted field rather than on a line of its own.
fn record_kind(line: &[u8], at: usize) -> Option<Record> {
    if line.trim_ascii_start().starts_with(b"MESSAGE=") {
        return Some(Record::Journald);
    }
    let open = open_quote(&line[..at])?;
    let before = line[..open].trim_ascii_end();
    if let Some(b) = before.strip_suffix(b":") {
        let b = b.trim_ascii_end().strip_suffix(b"\"")?;
        let k = memchr::memrchr(b'"', b)?;
        return Some(Record::Json(b[k + 1..].to_vec()));
    }
    let b = before.strip_suffix(b"=")?;
    let k = b
        .iter()
        .rposition(|c| c.is_ascii_whitespace())
        .map_or(0, |k| k + 1);
    (k < b.len()).then(|| Record::Quoted(b[k..].to_vec()))
}

/// The offset of the quote that opens the string `s` ends inside, if it does.
fn open_quote(s: &[u8]) -> Option<usize> {
    let mut open = None;
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'\\' if open.is_some() => i += 1,
            b'"' => open = if open.is_some() { None } else { Some(i) },
            _ => {}
        }
        i += 1;
    }
    open
}

/// The values of the record's field, one per line of `text`, each ended by a
/// newline; lines without the field are kept as they are (other JSON
/// records are dropped). Returns the text and how many values were read.
fn fields(text: &[u8], rec: &Record) -> (Vec<u8>, usize) {
    let mut out = Vec::with_capacity(text.len());
    let mut count = 0;
    for line in text.split(|&c| c == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let value = match rec {
            Record::Json(key) => json_field(line, key),
            Record::Quoted(key) => quoted_field(line, key),
            Record::Journald => None,
        };
        match value {
            Some(v) => {
                count += 1;
                out.extend_from_slice(&v);
                if !v.ends_with(b"\n") {
                    out.push(b'\n');
                }
            }
            None if matches!(rec, Record::Json(_)) && line.trim_ascii_start().starts_with(b"{") => {
            }
            None => {
                out.extend_from_slice(line);
                out.push(b'\n');
            }
        }
    }
    (out, count)
}

/// The string value of `"key":` in a JSON object line.
fn json_field(line: &[u8], key: &[u8]) -> Option<Vec<u8>> {
    if !line.trim_ascii_start().starts_with(b"{") {
        return None;
    }
    let mut from = 0;
    while let Some(p) = memchr::memmem::find(&line[from..], key) {
        let k = from + p;
        from = k + 1;
        if k == 0 || line[k - 1] != b'"' || line.get(k + key.len()) != Some(&b'"') {
            continue;
        }
        let rest = line[k + key.len() + 1..].trim_ascii_start();
        let Some(rest) = rest.strip_prefix(b":") else {
            continue;
        };
        return unquote(rest.trim_ascii_start().strip_prefix(b"\"")?);
    }
    None
}

/// The value of `key=` in a logfmt line: Go-quoted, or bare up to a space.
fn quoted_field(line: &[u8], key: &[u8]) -> Option<Vec<u8>> {
    let mut from = 0;
    while let Some(p) = memchr::memmem::find(&line[from..], key) {
        let k = from + p;
        from = k + 1;
        if (k > 0 && !line[k - 1].is_ascii_whitespace()) || line.get(k + key.len()) != Some(&b'=') {
            continue;
        }
        let rest = &line[k + key.len() + 1..];
        return match rest.strip_prefix(b"\"") {
            Some(q) => unquote(q),
            None => Some(rest.split(|c| c.is_ascii_whitespace()).next()?.to_vec()),
        };
    }
    None
}

/// Decodes a quoted string (JSON or Go syntax) up to its closing quote;
/// `s` starts after the opening quote.
fn unquote(s: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'"' => return Some(out),
            b'\\' if i + 1 < s.len() => i += 1 + unescape(&s[i + 1..], &mut out),
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    // An unterminated string (a record cut short): what there is.
    Some(out)
}

/// Appends what the escape at the start of `s` (after its backslash) means;
/// returns how many bytes it took.
fn unescape(s: &[u8], out: &mut Vec<u8>) -> usize {
    let simple = match s[0] {
        b'n' => Some(b'\n'),
        b't' => Some(b'\t'),
        b'r' => Some(b'\r'),
        b'a' => Some(7),
        b'b' => Some(8),
        b'f' => Some(12),
        b'v' => Some(11),
        b'0'..=b'7' if s.len() >= 3 && s[1..3].iter().all(|c| (b'0'..=b'7').contains(c)) => {
            let v = s[..3].iter().fold(0u32, |a, c| a * 8 + u32::from(c - b'0'));
            // `\777` keeps the low byte, as the writer's octal escape does.
            out.push(v.to_le_bytes()[0]);
            return 3;
        }
        _ => None,
    };
    if let Some(c) = simple {
        out.push(c);
        return 1;
    }
    let (digits, len) = match s[0] {
        b'x' => (2, 3),
        b'u' => (4, 5),
        b'U' => (8, 9),
        c => {
            out.push(c);
            return 1;
        }
    };
    let Some(v) = s
        .get(1..1 + digits)
        .and_then(|h| std::str::from_utf8(h).ok())
        .and_then(|h| u32::from_str_radix(h, 16).ok())
    else {
        out.push(s[0]);
        return 1;
    };
    if s[0] == b'x' {
        // Two hex digits: the value is a byte.
        out.push(v.to_le_bytes()[0]);
        return len;
    }
    // A JSON surrogate pair: `\ud83d\ude00`.
    if (0xd800..0xdc00).contains(&v) && s.get(len..len + 2) == Some(b"\\u") {
        if let Some(lo) = s
            .get(len + 2..len + 6)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u32::from_str_radix(h, 16).ok())
            .filter(|lo| (0xdc00..0xe000).contains(lo))
        {
            let c = 0x10000 + ((v - 0xd800) << 10) + (lo - 0xdc00);
            push_char(out, c);
            return len + 6;
        }
    }
    push_char(out, v);
    len
}

fn push_char(out: &mut Vec<u8>, c: u32) {
    let c = char::from_u32(c).unwrap_or(char::REPLACEMENT_CHARACTER);
    out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
}

/// journald's export format: entries of `FIELD=value` lines, a binary field
/// (`FIELD\n`, a 64-bit little-endian size, the data, `\n`) when the value
/// holds control characters (a tab). The `MESSAGE` of each entry, one per line.
fn journald(text: &[u8]) -> (Vec<u8>, usize) {
    let mut out = Vec::with_capacity(text.len() / 2);
    let mut count = 0;
    let mut i = 0;
    while i < text.len() {
        let end = memchr::memchr(b'\n', &text[i..]).map_or(text.len(), |n| i + n);
        let line = &text[i..end];
        if let Some(v) = line.strip_prefix(b"MESSAGE=") {
            out.extend_from_slice(v.strip_suffix(b"\r").unwrap_or(v));
            out.push(b'\n');
            count += 1;
        } else if !line.is_empty()
            && memchr::memchr(b'=', line).is_none()
            && line
                .iter()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == b'_')
        {
            // A binary field.
            let Some(size) = text.get(end + 1..end + 9) else {
                break;
            };
            let size = u64::from_le_bytes(size.try_into().unwrap_or([0; 8]));
            let data_start = end + 9;
            let size = usize::try_from(size).map_or(text.len(), |s| s.min(text.len()));
            let data_end = data_start.saturating_add(size);
            let data = &text[data_start.min(text.len())..data_end.min(text.len())];
            if line == b"MESSAGE" {
                out.extend_from_slice(data);
                out.push(b'\n');
                count += 1;
            }
            i = data_end.saturating_add(1);
            continue;
        }
        i = end + 1;
    }
    (out, count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn margins_of_quotes_lists_and_indents() {
        let m = |s: &[u8]| margin(s);
        assert_eq!(
            m(b"> > "),
            Some(Margin {
                quotes: 2,
                width: 0,
                list: false
            })
        );
        assert_eq!(
            m(b"  - "),
            Some(Margin {
                quotes: 0,
                width: 4,
                list: true
            })
        );
        assert_eq!(
            m(b"\t"),
            Some(Margin {
                quotes: 0,
                width: 1,
                list: false
            })
        );
        assert_eq!(m(b"time=x msg=\""), None);
    }

    #[test]
    fn go_and_json_escapes() {
        assert_eq!(
            unquote(br#"a\n\tb\"c\\d\u00e9\x41\101\ud83d\ude00" tail"#).unwrap(),
            "a\n\tb\"c\\d\u{e9}AA\u{1F600}".as_bytes()
        );
    }

    #[test]
    fn record_kinds_from_the_header_line() {
        let l = br#"time="x" level=error msg="goroutine 1 [running]:\nmain.main()""#;
        let at = memchr::memmem::find(l, b"goroutine").unwrap();
        assert_eq!(record_kind(l, at), Some(Record::Quoted(b"msg".to_vec())));
        let l = br#"{"level":"error","stack":"goroutine 1 [running]:"}"#;
        let at = memchr::memmem::find(l, b"goroutine").unwrap();
        assert_eq!(record_kind(l, at), Some(Record::Json(b"stack".to_vec())));
        let l = b"2024-01-01 app[1]: goroutine 1 [running]:";
        assert_eq!(record_kind(l, 19), None);
    }
}
