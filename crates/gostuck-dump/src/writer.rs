//! Writes a [`Dump`] back as traceback text in the Go runtime's own format
//! (`runtime/traceback.go: goroutineheader`, `traceback2`, `printcreatedby`),
//! so a dump made by gostuck (e.g. `gostuck attach PID --dump`) can be read
//! by any tool that reads the runtime's dumps, gostuck included.
//!
//! What the model does not hold is not invented: frames carry no `+0x…` PC
//! offset (readers accept file lines without one), and a pprof record that
//! stands for many goroutines has no ID to print (such dumps are refused).

use std::io::{self, Write};

use crate::model::{CreatedBy, Dump, Elided, Frame, FrameKind, Goroutine};

/// Frames the runtime prints above a `...N frames elided...` line
/// (`runtime/traceback.go: tracebackInnerFrames`).
const INNER_FRAMES: usize = 50;

/// Writes `dump` as runtime traceback text: the panic, fatal error or signal
/// lines it carries, then every goroutine, each followed by an empty line.
///
/// Fails with [`io::ErrorKind::InvalidInput`] when a goroutine has no ID
/// (pprof `debug=0`/`debug=1` records), and with the writer's errors.
pub fn write_traceback(dump: &Dump, out: &mut dyn Write) -> io::Result<()> {
    if let Some(g) = dump.goroutines.iter().find(|g| g.id.is_none()) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "the dump's records carry no goroutine IDs (a pprof profile; the record at line {} stands for {} goroutines): it cannot be written as a traceback",
                g.line, g.count
            ),
        ));
    }
    for p in &dump.panics {
        writeln!(out, "panic: {p}")?;
    }
    if let Some(f) = &dump.fatal_error {
        writeln!(out, "fatal error: {f}")?;
    }
    if let Some(s) = &dump.signal {
        writeln!(out, "{s}")?;
    }
    if !dump.panics.is_empty() || dump.fatal_error.is_some() || dump.signal.is_some() {
        writeln!(out)?;
    }
    for g in &dump.goroutines {
        write_goroutine(dump, g, out)?;
        writeln!(out)?;
    }
    Ok(())
}

/// [`write_traceback`] into a string.
pub fn traceback_string(dump: &Dump) -> io::Result<String> {
    let mut v = Vec::new();
    write_traceback(dump, &mut v)?;
    // Every piece written is UTF-8 (strings of the model, numbers).
    String::from_utf8(v).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

fn write_goroutine(d: &Dump, g: &Goroutine, out: &mut dyn Write) -> io::Result<()> {
    write_header(d, g, out)?;
    if g.flags.stack_unavailable {
        writeln!(out, "goroutine running on other thread; stack unavailable")?;
    }
    for (i, f) in g.frames.iter().enumerate() {
        if i == INNER_FRAMES {
            if let Some(Elided::Middle(n)) = g.elided {
                writeln!(out, "...{n} frames elided...")?;
            }
        }
        write_frame(d, f, out)?;
    }
    match g.elided {
        Some(Elided::Additional) => writeln!(out, "...additional frames elided...")?,
        // A short stack with a middle elision (an edited dump): still said.
        Some(Elided::Middle(n)) if g.frames.len() <= INNER_FRAMES => {
            writeln!(out, "...{n} frames elided...")?
        }
        _ => {}
    }
    if let Some(c) = &g.created_by {
        write_created_by(d, c, out)?;
    }
    for a in &g.ancestors {
        writeln!(out, "[originating from goroutine {}]:", a.id)?;
        for f in &a.frames {
            write_frame(d, f, out)?;
        }
        if let Some(c) = &a.created_by {
            write_created_by(d, c, out)?;
        }
    }
    Ok(())
}

/// `goroutine 7 [chan receive (scan), 3 minutes, locked to thread] {k: "v w"}:`
fn write_header(d: &Dump, g: &Goroutine, out: &mut dyn Write) -> io::Result<()> {
    // The caller refused goroutines without IDs.
    write!(out, "goroutine {} [{}", g.id.unwrap_or(0), d.str(g.state))?;
    if g.flags.scan {
        write!(out, " (scan)")?;
    }
    if g.flags.durable {
        write!(out, " (durable)")?;
    }
    if g.flags.leaked {
        write!(out, " (leaked)")?;
    }
    if let Some(m) = g.wait_minutes {
        write!(out, ", {m} minutes")?;
    }
    if g.flags.locked_to_thread {
        write!(out, ", locked to thread")?;
    }
    if let Some(b) = g.bubble {
        write!(out, ", synctest bubble {b}")?;
    }
    write!(out, "]")?;
    if !g.labels.is_empty() {
        write!(out, " {{")?;
        for (i, (k, v)) in g.labels.iter().enumerate() {
            let sep = if i == 0 { "" } else { ", " };
            write!(out, "{sep}{}: {}", quoted(d.str(*k)), quoted(d.str(*v)))?;
        }
        write!(out, "}}")?;
    }
    writeln!(out, ":")
}

/// A label key or value as the runtime prints it: bare when it is a plain
/// word, else Go-quoted (with the escapes the readers undo).
fn quoted(s: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/');
    if !s.is_empty() && s.chars().all(plain) {
        return s.to_owned();
    }
    let mut q = String::with_capacity(s.len() + 2);
    q.push('"');
    for c in s.chars() {
        match c {
            '"' => q.push_str("\\\""),
            '\\' => q.push_str("\\\\"),
            '\n' => q.push_str("\\n"),
            '\t' => q.push_str("\\t"),
            '\r' => q.push_str("\\r"),
            c => q.push(c),
        }
    }
    q.push('"');
    q
}

fn write_frame(d: &Dump, f: &Frame, out: &mut dyn Write) -> io::Result<()> {
    let (function, args, file) = (d.str(f.function), d.str(f.args), d.str(f.file));
    match f.kind {
        FrameKind::Go => writeln!(out, "{function}({args})\n\t{file}:{}", f.line),
        FrameKind::Inlined => writeln!(out, "{function}(...)\n\t{file}:{}", f.line),
        // `non-Go function` with the cgo symbolizer's file line, or unsymbolized.
        FrameKind::NonGo if function == "non-Go function" => match (file.is_empty(), args) {
            (false, _) => writeln!(out, "{function}\n\t{file}:{}", f.line),
            (true, "") => writeln!(out, "{function}\n\tpc=?"),
            (true, pc) => writeln!(out, "{function} at pc={pc}"),
        },
        // A C frame symbolized by the cgo traceback: `\tfile:line pc=0x…`.
        FrameKind::NonGo => {
            let pc = if args.is_empty() { "?" } else { args };
            writeln!(out, "{function}\n\t{file}:{} pc={pc}", f.line)
        }
    }
}

fn write_created_by(d: &Dump, c: &CreatedBy, out: &mut dyn Write) -> io::Result<()> {
    write!(out, "created by {}", d.str(c.function))?;
    if let Some(p) = c.parent {
        write!(out, " in goroutine {p}")?;
    }
    writeln!(out, "\n\t{}:{}", d.str(c.file), c.line)
}
