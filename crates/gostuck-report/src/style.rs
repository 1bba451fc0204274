//! Terminal emphasis. Tests and pipes get [`Style::plain`]; the binary turns
//! colour on only for a terminal without `NO_COLOR`.
//!
//! Everything a report shows comes from untrusted input (function names, file
//! paths, labels, messages read from a dump or a server): [`escape_controls`]
//! makes it inert on a terminal, and every styled string goes through it.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Escapes what a terminal would act on in untrusted text: control
/// characters (C0 but the tab, DEL, C1: `ESC]0;…BEL` titles, `ESC[2J` clears,
/// a carriage return overwriting a line) become `\xNN`, `\n`, `\r`, and bidi
/// overrides (text that displays in another order than it reads) `\u{NNNN}`.
/// The backslash itself is left alone, so escaping twice changes nothing.
#[must_use]
pub fn escape_controls(s: &str) -> Cow<'_, str> {
    escape(s, false)
}

fn escape(s: &str, keep_newlines: bool) -> Cow<'_, str> {
    let special = |c: char| needs_escape(c) && !(keep_newlines && c == '\n');
    if !s.chars().any(special) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            c if !special(c) => out.push(c),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x100 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\u{{{:04x}}}", c as u32);
            }
        }
    }
    Cow::Owned(out)
}

/// A writer that escapes, as [`escape_controls`] does, everything written
/// through it except line breaks: for plain-text output (no colour) built
/// from untrusted strings, so that no string can be forgotten.
pub struct TerminalSafe<W> {
    inner: W,
}

impl<W: std::io::Write> TerminalSafe<W> {
    /// Wraps `inner`.
    pub fn new(inner: W) -> TerminalSafe<W> {
        TerminalSafe { inner }
    }
}

impl<W: std::io::Write> std::io::Write for TerminalSafe<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        // Formatted output arrives in whole strings; bytes that are not UTF-8
        // are shown lossily (they are escaped text either way).
        let text = String::from_utf8_lossy(buf);
        self.inner.write_all(escape(&text, true).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

fn needs_escape(c: char) -> bool {
    (c.is_control() && c != '\t') || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Whether to emit ANSI escapes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Style {
    /// Emit colour escapes.
    pub color: bool,
}

impl Style {
    /// No escapes.
    #[must_use]
    pub fn plain() -> Style {
        Style { color: false }
    }

    /// `s`, escaped (see [`escape_controls`]), in the given emphasis.
    fn wrap(self, code: &str, s: &str) -> String {
        let s = escape_controls(s);
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.into_owned()
        }
    }

    /// Headings.
    #[must_use]
    pub fn bold(self, s: &str) -> String {
        self.wrap("1", s)
    }
    /// Bad news.
    #[must_use]
    pub fn red(self, s: &str) -> String {
        self.wrap("1;31", s)
    }
    /// Warnings.
    #[must_use]
    pub fn yellow(self, s: &str) -> String {
        self.wrap("33", s)
    }
    /// Good news.
    #[must_use]
    pub fn green(self, s: &str) -> String {
        self.wrap("32", s)
    }
    /// Less important text.
    #[must_use]
    pub fn dim(self, s: &str) -> String {
        self.wrap("2", s)
    }
    /// User code locations.
    #[must_use]
    pub fn cyan(self, s: &str) -> String {
        self.wrap("36", s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_controls_are_escaped_once() {
        let body = "no such profile \x1b]0;pwned\x07\x1b[2J\r\nnext\u{202e}txt.go\tok \\x1b";
        let e = escape_controls(body);
        assert_eq!(
            e,
            "no such profile \\x1b]0;pwned\\x07\\x1b[2J\\r\\nnext\\u{202e}txt.go\tok \\x1b"
        );
        assert_eq!(escape_controls(&e), e);
        assert!(matches!(escape_controls("main.main"), Cow::Borrowed(_)));
        let mut out = TerminalSafe::new(Vec::new());
        std::io::Write::write_all(&mut out, "a\x1b[2J\nb\u{9b}c\n".as_bytes()).unwrap();
        assert_eq!(
            String::from_utf8(out.inner).unwrap(),
            "a\\x1b[2J\nb\\x9bc\n"
        );
        let styled = Style { color: true }.red("\x1b[8mhidden");
        assert_eq!(styled, "\x1b[1;31m\\x1b[8mhidden\x1b[0m");
    }
}
