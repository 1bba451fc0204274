//! `gostuck attach PID`: the goroutines of a running Go process, read from
//! its memory (gostuck-attach), analysed and rendered like `analyze`.

use std::path::PathBuf;

use anyhow::{Context, Result};
use gostuck_attach::{Binary, ProcessMemory, SnapshotOptions};

use crate::common::{self, Dest};

pub const LONG_ABOUT: &str = "\
Read the goroutines of a running Go process from its memory and explain why it is stuck.

The process keeps running: gostuck reads /proc/PID/mem (the same permission as
attaching a debugger: same user and Yama ptrace_scope 0, or CAP_SYS_PTRACE) and
interprets it with the executable's own symbols and DWARF (/proc/PID/exe, or
--binary). Every goroutine is read as a SIGQUIT dump (GOTRACEBACK=all) would show
it: ID, state and wait reason, minutes waited, creator, and the stack with
inlined calls. Running goroutines are shown as running, without a stack.

Linux amd64, Go 1.21 and later. The executable must keep its symbol table and
DWARF (not built with -ldflags=-s or -w).";

pub const AFTER_HELP: &str =
    "Exit status: 0 nothing stuck found, 1 findings reported, 2 usage or input error.";

#[derive(clap::Args, Debug)]
pub struct AttachArgs {
    /// Process ID of the Go program.
    #[arg(value_name = "PID")]
    pid: u32,
    /// The program's executable, when /proc/PID/exe is stripped or gone: an
    /// unstripped build of the same program.
    #[arg(long, value_name = "PATH")]
    binary: Option<PathBuf>,
    /// The program made no progress for a while: treat blocked goroutines as
    /// permanently blocked (as `analyze --stalled`).
    #[arg(long)]
    stalled: bool,
    #[command(flatten)]
    report: common::ReportArgs,
}

pub fn attach(a: AttachArgs) -> Result<u8> {
    let pid = a.pid;
    let exe = a
        .binary
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("/proc/{pid}/exe")));
    let bin = Binary::open(&exe)?;
    let mem = ProcessMemory::open(pid)
        .with_context(|| format!("process {pid}: cannot open /proc/{pid}/mem"))?;
    let load_bias = mem
        .load_bias(&bin)
        .with_context(|| format!("process {pid}: reading where its executable was loaded"))?;
    let opts = SnapshotOptions {
        now_monotonic_ns: Some(monotonic_ns()),
        load_bias,
        ..Default::default()
    };
    // The seam for a pause (SIGSTOP … SIGCONT): around `capture` only; the
    // decoding afterwards needs nothing from the process.
    let captured = gostuck_attach::capture(&mem, &bin, &opts)
        .with_context(|| format!("process {pid}: reading its goroutines"))?;
    let snap = captured.decode(&bin, &opts);
    let inputs = vec![gostuck_engine::Input {
        path: format!("process {pid}"),
        dump: snap.dump,
    }];
    let (report, read_from) = common::analyze(&inputs, &a.report, a.stalled)?;
    common::render(&report, &read_from, &a.report, Dest::Stdout)?;
    Ok(if common::is_stuck(&report) { 1 } else { 0 })
}

/// CLOCK_MONOTONIC in nanoseconds: the clock of the Go runtime's `nanotime`
/// on Linux, which `g.waitsince` is measured on.
fn monotonic_ns() -> i64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
    t.tv_sec
        .saturating_mul(1_000_000_000)
        .saturating_add(t.tv_nsec)
}
