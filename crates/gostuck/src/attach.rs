//! `gostuck attach PID` and core-file inputs of `gostuck analyze`: the
//! command line around `gostuck_attach::{attach, read_core}`.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use gostuck_dump::Dump;

use crate::common;
use gostuck_capture::outfile::{Named, OutFile};

pub const LONG_ABOUT: &str = "\
Read the goroutines of a running Go process from its memory and explain why it is stuck, \
without killing it (Linux amd64; Go 1.21 and later).

Every goroutine is read as a SIGQUIT dump (GOTRACEBACK=all) would show it: ID, state and wait \
reason, minutes waited, creator, and the stack with inlined calls; running goroutines are shown \
as running, without a stack. The process is paused while its goroutines are copied (SIGSTOP, \
then SIGCONT; the pause is reported) and goes on afterwards; --no-pause reads while it runs.

The executable's own symbols and DWARF (/proc/PID/exe) locate the goroutines; for a stripped \
program, --binary names an unstripped copy of the same build (verified by build ID). Reading \
another process's memory needs ptrace permission: the same user (with kernel.yama.ptrace_scope \
0; 1 allows only the program's ancestors), or CAP_SYS_PTRACE (root); errors say which rule \
refused it. See docs/attach.md.";

pub const AFTER_HELP: &str = "Exit status: 0 nothing stuck found (or the dump written with \
--dump), 1 findings reported, 2 usage, permission or input error.\nContainers: docker run \
--cap-add=SYS_PTRACE --pid=container:TARGET; Kubernetes: kubectl debug -it POD \
--target=CONTAINER --profile=general.";

#[derive(clap::Args, Debug)]
pub struct AttachArgs {
    /// The process ID of the Go program.
    pub pid: u32,
    /// Print the goroutines as a runtime traceback (the format of a SIGQUIT
    /// dump, readable by any tool) instead of analysing them; -o FILE writes it there.
    #[arg(long)]
    pub dump: bool,
    /// Do not stop the process: read while it runs (the snapshot may be torn).
    #[arg(long)]
    pub no_pause: bool,
    /// The executable to take symbols and DWARF from, when the process runs a
    /// stripped copy of it (must be the same build: checked by build ID).
    #[arg(long, value_name = "PATH")]
    pub binary: Option<PathBuf>,
    /// Treat blocked goroutines as permanently blocked (the program made no
    /// progress for a while).
    #[arg(long)]
    pub stalled: bool,
    #[command(flatten)]
    pub report: common::ReportArgs,
}

pub fn attach(a: AttachArgs) -> Result<u8> {
    let opts = gostuck_attach::AttachOptions {
        binary: a.binary.clone(),
        pause: !a.no_pause,
        ..Default::default()
    };
    let got = while_signals_wait(|| gostuck_attach::attach(a.pid, &opts))??;
    if let Some(p) = got.pause.filter(|p| !p.already_stopped) {
        eprintln!(
            "gostuck: paused process {} for {}",
            a.pid,
            gostuck_dump::human::format_duration(
                p.paused,
                gostuck_dump::human::DurationStyle::TenthMillis
            )
        );
    }
    if a.dump {
        write_dump(&got.dump, &a.report)?;
        return Ok(0);
    }
    analyse(format!("process {}", a.pid), got.dump, &a.report, a.stalled)
}

/// Runs `f` with Ctrl-C, SIGTERM and SIGHUP held back: killing gostuck
/// while the target is paused would leave it stopped. A signal that came
/// meanwhile ends gostuck afterwards (status 2).
fn while_signals_wait<T>(f: impl FnOnce() -> T) -> Result<T> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let came = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut ids = Vec::new();
    for sig in [SIGINT, SIGTERM, SIGHUP] {
        ids.push(signal_hook::flag::register(sig, came.clone()).context("signal handler")?);
    }
    let out = f();
    for id in ids {
        signal_hook::low_level::unregister(id);
    }
    if came.load(std::sync::atomic::Ordering::SeqCst) {
        anyhow::bail!("interrupted (the process was continued first)");
    }
    Ok(out)
}

/// The dump as runtime traceback text, to stdout or `-o FILE`.
fn write_dump(dump: &Dump, args: &common::ReportArgs) -> Result<()> {
    let mut text = Vec::new();
    gostuck_dump::write_traceback(dump, &mut text)?;
    match &args.output {
        Some(path) => Ok(OutFile::write_all(path, Named::ByUser, args.force, &text)?),
        None => {
            for n in &dump.notes {
                eprintln!("gostuck: note: {n}");
            }
            std::io::stdout().lock().write_all(&text).context("stdout")
        }
    }
}

fn analyse(path: String, dump: Dump, args: &common::ReportArgs, stalled: bool) -> Result<u8> {
    let inputs = [gostuck_engine::Input { path, dump }];
    let (report, read_from) = common::analyze(&inputs, args, stalled)?;
    common::render(&report, &read_from, args, common::Dest::Stdout)?;
    Ok(if gostuck_engine::is_stuck(&report) {
        1
    } else {
        0
    })
}

/// The goroutines of a core file.
pub fn read_core(path: &str, binary: Option<&Path>) -> Result<Dump> {
    let got = gostuck_attach::read_core(Path::new(path), binary)?;
    Ok(got.dump)
}
