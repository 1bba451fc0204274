//! The command `gostuck run` started: signalling the Go programs in its
//! tree, naming them, its exit code, and its words quoted for a shell.

use std::ffi::{OsStr, OsString};

use crate::proc;

/// Sends signal `sig` to process `pid`; whether it was sent.
pub fn kill(pid: i32, sig: i32) -> bool {
    let (Some(pid), Some(sig)) = (
        rustix::process::Pid::from_raw(pid),
        rustix::process::Signal::from_named_raw(sig),
    ) else {
        return false;
    };
    rustix::process::kill_process(pid, sig).is_ok()
}

/// Whether process `pid` exists (signal 0).
pub fn exists(pid: i32) -> bool {
    rustix::process::Pid::from_raw(pid)
        .is_some_and(|p| rustix::process::test_kill_process(p).is_ok())
}

/// The file name of the program `pid` runs, or `pid N`.
pub fn exe_name(pid: i32) -> String {
    proc::exe(pid)
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| format!("pid {pid}"))
}

/// The Go programs in the tree worth a SIGQUIT: not the go command or its tools.
pub fn dump_targets(tree: &[proc::Proc]) -> Vec<i32> {
    tree.iter()
        .filter(|p| p.state != b'Z')
        .filter(|p| proc::exe(p.pid).is_some_and(|e| !proc::is_go_tool(&e)))
        .filter(|p| proc::is_go_program(p.pid))
        .map(|p| p.pid)
        .collect()
}

/// `name (pid N), …` of the processes.
pub fn describe(targets: &[i32]) -> String {
    let v: Vec<String> = targets
        .iter()
        .map(|&p| format!("{} (pid {p})", exe_name(p)))
        .collect();
    v.join(", ")
}

/// The exit code a shell would show: the status, or 128 + the signal.
pub fn exit_code(st: &std::process::ExitStatus) -> u8 {
    use std::os::unix::process::ExitStatusExt;
    match (st.code(), st.signal()) {
        (Some(c), _) => c.clamp(0, 255) as u8,
        (None, Some(s)) => (128 + s).clamp(0, 255) as u8,
        _ => 1,
    }
}

/// The words as a shell command line, quoted where needed.
pub fn shell_words<'a>(words: impl Iterator<Item = &'a OsString>) -> String {
    let v: Vec<String> = words
        .map(|w: &OsString| {
            let s = OsStr::new(w).to_string_lossy();
            if s.is_empty() || s.contains(|c: char| c.is_whitespace() || "'\"\\$`".contains(c)) {
                format!("'{}'", s.replace('\'', "'\\''"))
            } else {
                s.into_owned()
            }
        })
        .collect();
    v.join(" ")
}
