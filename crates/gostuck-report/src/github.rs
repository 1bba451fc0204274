//! GitHub Actions workflow commands: `::error file=…,line=…,title=…::message`
//! lines that the runner turns into annotations on the job and on the pull
//! request's diff. One command per line that matters: the blocked lines carry
//! the finding (error, or warning/notice when less than certain), the lines
//! that explain them (the lock acquired, the partner that would release)
//! become notices.
//!
//! Escaping follows the runner's rules (actions/toolkit `command.ts`): in the
//! message `%`, CR and LF become `%25`, `%0D`, `%0A`; in property values `:`
//! and `,` also become `%3A` and `%2C`.

use std::io::{self, Write};

use gostuck_engine::{Confidence, Finding, Location, Report};

use crate::RepoPaths;

/// Escapes a command's message.
pub(crate) fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value (`file=`, `title=`).
pub(crate) fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

fn command(c: Confidence) -> &'static str {
    match c {
        Confidence::Certain => "error",
        Confidence::Likely => "warning",
        Confidence::Possible => "notice",
    }
}

fn file_of<'a>(l: &'a Location, repo: Option<&'a RepoPaths>) -> &'a str {
    repo.and_then(|r| r.files.get(&l.file))
        .map_or(l.file.as_str(), String::as_str)
}

fn emit(
    w: &mut dyn Write,
    cmd: &str,
    loc: Option<(&str, u32)>,
    title: &str,
    message: &str,
) -> io::Result<()> {
    let mut props = Vec::new();
    if let Some((file, line)) = loc {
        props.push(format!("file={}", escape_property(file)));
        props.push(format!("line={line}"));
    }
    props.push(format!("title={}", escape_property(title)));
    writeln!(w, "::{cmd} {}::{}", props.join(","), escape_data(message))
}

fn finding(w: &mut dyn Write, f: &Finding, repo: Option<&RepoPaths>) -> io::Result<()> {
    let title = format!("gostuck {} [{}]: {}", f.kind, f.id, f.title);
    let message = format!("{}\n\nFix: {}", f.explanation, f.fix);
    let mut done: Vec<(&str, u32)> = Vec::new();
    let blocked: Vec<&Location> = f.locations.iter().filter(|l| l.role == "blocked").collect();
    if blocked.is_empty() {
        let at = crate::sarif::primary(f).map(|i| &f.locations[i]);
        let loc = at.map(|l| (file_of(l, repo), l.line));
        emit(w, command(f.confidence), loc, &title, &message)?;
        done.extend(at.map(|l| (l.file.as_str(), l.line)));
    }
    for l in blocked {
        if done.contains(&(l.file.as_str(), l.line)) {
            continue;
        }
        done.push((l.file.as_str(), l.line));
        let loc = Some((file_of(l, repo), l.line));
        emit(w, command(f.confidence), loc, &title, &message)?;
    }
    for l in &f.locations {
        if done.contains(&(l.file.as_str(), l.line)) {
            continue;
        }
        done.push((l.file.as_str(), l.line));
        let who = l
            .goroutine
            .map(|g| format!("goroutine {g}: "))
            .unwrap_or_default();
        let what = format!("{who}{} in {} ({} {})", l.role, l.function, f.id, f.kind);
        emit(
            w,
            "notice",
            Some((file_of(l, repo), l.line)),
            &format!("gostuck {} [{}]: {}", f.kind, f.id, l.role),
            &what,
        )?;
    }
    Ok(())
}

pub(crate) fn write(r: &Report, repo: Option<&RepoPaths>, w: &mut dyn Write) -> io::Result<()> {
    for f in &r.findings {
        finding(w, f, repo)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workflow_command_escaping_follows_the_runner() {
        assert_eq!(escape_data("50%\r\nnext::x"), "50%25%0D%0Anext::x");
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }
}
