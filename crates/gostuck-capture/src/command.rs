//! The command `gostuck run` starts: what is added to it (a trace file, the
//! scheduler trace), signalling the Go programs in its tree, naming them,
//! its exit code, and its words quoted for a shell.

use std::ffi::{OsStr, OsString};
use std::path::PathBuf;

use crate::{proc, Result};

/// What kind of command it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `go test …`
    GoTest,
    /// `go run …`
    GoRun,
    /// Anything else (a binary, a script).
    Other,
}

/// What gostuck adds to the command, and what it inherits.
#[derive(Debug, Clone, Default)]
pub struct Additions {
    /// Record an execution trace (`go test` only: `-trace=<new private file>`).
    pub trace: bool,
    /// Run the Go program with `GODEBUG=schedtrace=1000`.
    pub schedtrace: bool,
    /// The environment already sets `GOTRACEBACK` (else it gets `all`).
    pub gotraceback_set: bool,
    /// The inherited `GODEBUG`, extended rather than replaced.
    pub godebug: Option<String>,
}

/// The command line to run, with gostuck's additions.
#[derive(Debug)]
pub struct Plan {
    /// The program.
    pub program: OsString,
    /// Its arguments, with gostuck's flags inserted after the `go` subcommand.
    pub args: Vec<OsString>,
    /// Environment variables to set.
    pub env: Vec<(String, String)>,
    /// What kind of command it is.
    pub kind: Kind,
    /// The execution trace `go test` will write.
    pub trace_file: Option<PathBuf>,
    /// What the user should know (an addition that does not apply).
    pub notes: Vec<String>,
}

/// The command line to run for `command` (program and arguments, not
/// empty) with `add`.
pub fn plan(command: &[OsString], add: &Additions) -> Result<Plan> {
    let program = command[0].clone();
    let mut args: Vec<OsString> = command[1..].to_vec();
    let is_go = PathBuf::from(&program)
        .file_name()
        .is_some_and(|n| n == "go" || n == "go.exe");
    // `go -C dir test …`: -C comes before the subcommand.
    let mut sub = 0;
    while sub < args.len() {
        let s = args[sub].to_string_lossy();
        if s == "-C" || s == "--C" {
            sub += 2;
        } else if s.starts_with("-C=") || s.starts_with("--C=") {
            sub += 1;
        } else {
            break;
        }
    }
    let subcmd = args.get(sub).map(|s| s.to_string_lossy().into_owned());
    let kind = match (is_go, subcmd.as_deref()) {
        (true, Some("test")) => Kind::GoTest,
        (true, Some("run")) => Kind::GoRun,
        _ => Kind::Other,
    };
    let mut env = Vec::new();
    let mut notes = Vec::new();
    if !add.gotraceback_set {
        env.push(("GOTRACEBACK".to_string(), "all".to_string()));
    }
    let mut insert: Vec<OsString> = Vec::new();
    let mut trace_file = None;
    if add.trace {
        if kind == Kind::GoTest {
            // Private and new: `go test` writes the trace where no one else can
            // have put a file or a link first.
            let dir = crate::outfile::kept_temp_dir("gostuck-run-")?;
            let f = dir.join("trace.out");
            let mut flag = OsString::from("-trace=");
            flag.push(&f);
            insert.push(flag);
            trace_file = Some(f);
        } else {
            notes.push("--trace only applies to `go test` commands; ignored".to_string());
        }
    }
    if add.schedtrace {
        let godebug = match add.godebug.as_deref() {
            Some(g) if !g.is_empty() => format!("{g},schedtrace=1000"),
            _ => "schedtrace=1000".to_string(),
        };
        let user_exec = args
            .iter()
            .any(|s| s == "-exec" || s.to_string_lossy().starts_with("-exec="));
        if kind != Kind::Other && !user_exec {
            // Only the program under test gets the GODEBUG, not cmd/go, compile
            // or link (whose own SCHED lines would mix in).
            insert.push(OsString::from(format!("-exec=env GODEBUG={godebug}")));
        } else {
            env.push(("GODEBUG".to_string(), godebug));
        }
    }
    if !insert.is_empty() && kind != Kind::Other {
        let at = sub + 1;
        args.splice(at..at, insert);
    }
    Ok(Plan {
        program,
        args,
        env,
        kind,
        trace_file,
        notes,
    })
}

/// Sends signal `sig` to process `pid`; whether it was sent.
#[must_use]
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
#[must_use]
pub fn exists(pid: i32) -> bool {
    rustix::process::Pid::from_raw(pid)
        .is_some_and(|p| rustix::process::test_kill_process(p).is_ok())
}

/// The file name of the program `pid` runs, or `pid N`.
#[must_use]
pub fn exe_name(pid: i32) -> String {
    proc::exe(pid)
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| format!("pid {pid}"))
}

/// The Go programs in the tree worth a SIGQUIT: not the go command or its tools.
#[must_use]
pub fn dump_targets(tree: &[proc::Proc]) -> Vec<i32> {
    tree.iter()
        .filter(|p| p.state != b'Z')
        .filter(|p| proc::exe(p.pid).is_some_and(|e| !proc::is_go_tool(&e)))
        .filter(|p| proc::is_go_program(p.pid))
        .map(|p| p.pid)
        .collect()
}

/// `name (pid N), …` of the processes.
#[must_use]
pub fn describe(targets: &[i32]) -> String {
    let v: Vec<String> = targets
        .iter()
        .map(|&p| format!("{} (pid {p})", exe_name(p)))
        .collect();
    v.join(", ")
}

/// The exit code a shell would show: the status, or 128 + the signal.
#[must_use]
pub fn exit_code(st: &std::process::ExitStatus) -> u8 {
    use std::os::unix::process::ExitStatusExt;
    match (st.code(), st.signal()) {
        (Some(c), _) => u8::try_from(c.clamp(0, 255)).unwrap_or(u8::MAX),
        (None, Some(s)) => u8::try_from((128 + s).clamp(0, 255)).unwrap_or(u8::MAX),
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
