//! A target read end to end: a live process ([`attach`]) or a core file
//! ([`read_core`]). Picks and verifies the executable (by build ID), pauses
//! the process around the copy, explains permission failures, and says in
//! the dump's notes how it was read.

use std::path::{Path, PathBuf};
use std::time::Duration;

use gostuck_dump::human::{format_duration, DurationStyle};
use gostuck_dump::{Dump, Format};

use crate::buildid::{self, BuildIdError, ElfFacts, Verified};
use crate::core::{CoreClock, CoreError, CoreMemory};
use crate::memory::{MemoryError, ProcessMemory};
use crate::pause::{Pause, PauseError, PauseReport};
use crate::permission::{self, AccessError};
use crate::{capture, snapshot, AttachError, Binary, SnapshotOptions};

/// How to read a live process.
#[derive(Debug, Clone)]
pub struct AttachOptions {
    /// The executable to take symbols and DWARF from (default: `/proc/PID/exe`).
    pub binary: Option<PathBuf>,
    /// Stop the process while its goroutines are copied (SIGSTOP … SIGCONT).
    pub pause: bool,
    /// How long to wait for every thread to stop.
    pub stop_timeout: Duration,
}

impl Default for AttachOptions {
    fn default() -> AttachOptions {
        AttachOptions {
            binary: None,
            pause: true,
            stop_timeout: Duration::from_secs(2),
        }
    }
}

/// What was read from a target.
#[derive(Debug)]
pub struct Attached {
    /// The goroutines.
    pub dump: Dump,
    /// The executable used.
    pub binary: PathBuf,
    /// The pause, when there was one.
    pub pause: Option<PauseReport>,
    /// Time spent copying from the target.
    pub read_time: Duration,
}

/// Why a target could not be read.
#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    /// Not permitted, or the process is not there.
    #[error(transparent)]
    Access(#[from] AccessError),
    /// The pause failed (the process was continued again).
    #[error(transparent)]
    Pause(#[from] PauseError),
    /// The executable is stripped or another build.
    #[error(transparent)]
    BuildId(#[from] BuildIdError),
    /// The core file cannot be used.
    #[error(transparent)]
    Core(#[from] CoreError),
    /// The executable or the goroutine structures cannot be read.
    #[error(transparent)]
    Attach(#[from] AttachError),
    /// A position-independent executable and a core without `AT_ENTRY`.
    #[error("{}: the core holds no auxiliary vector (AT_ENTRY) to tell where the position-independent executable was loaded", .0.display())]
    NoEntry(PathBuf),
    /// A core without `--binary` whose executable cannot be used.
    #[error("{}: {why}; pass --binary with the program's unstripped build", core.display())]
    NoBinary {
        /// The core.
        core: PathBuf,
        /// Why the executable the core names cannot be used.
        why: String,
    },
}

/// Reads the goroutines of live process `pid`.
pub fn attach(pid: u32, opts: &AttachOptions) -> Result<Attached, TargetError> {
    let exe = PathBuf::from(format!("/proc/{pid}/exe"));
    let exe_facts = ElfFacts::read(&exe).map_err(|e| access(pid, e))?;
    let mut notes = Vec::new();
    let binary = match &opts.binary {
        Some(b) => {
            let facts = ElfFacts::read(b)?;
            let target = format!("process {pid}");
            if let Verified::Unverifiable(why) =
                buildid::verify(b, &facts.ids, &target, &exe_facts.ids)?
            {
                notes.push(why);
            }
            facts.require_unstripped(b)?;
            b.clone()
        }
        None => {
            let shown = std::fs::read_link(&exe).unwrap_or_else(|_| exe.clone());
            exe_facts.require_unstripped(&shown)?;
            exe
        }
    };
    let bin = Binary::open(&binary)?;
    let mem = ProcessMemory::open(pid).map_err(|e| permission::explain(pid, e))?;
    let load_bias = mem
        .load_bias(&bin)
        .map_err(|e| permission::explain(pid, e))?;
    let sopts = SnapshotOptions {
        now_monotonic_ns: Some(monotonic_ns()),
        load_bias,
        ..Default::default()
    };
    // While paused: only the copy. Dropping the pause (an error, a panic)
    // continues the process.
    let pause = match opts.pause {
        true => Some(Pause::stop(pid, opts.stop_timeout)?),
        false => None,
    };
    let copied = capture(&mem, &bin, &sopts);
    let report = pause.map(Pause::resume).transpose()?;
    let copied = copied.map_err(|e| attach_error(pid, e))?;
    let read_time = copied.read_time;
    let mut dump = copied.decode(&bin, &sopts).dump;
    dump.notes.push(match report {
        Some(p) if p.already_stopped => format!(
            "process {pid} was already stopped (SIGSTOP or a debugger): read as it was, and left stopped"
        ),
        Some(p) => format!(
            "process {pid} was paused for {} (SIGSTOP to SIGCONT; its threads stopped within {}, goroutines copied in {})",
            ms(p.paused),
            ms(p.stop_latency),
            ms(read_time)
        ),
        None => format!(
            "process {pid} was read while it ran (--no-pause, {}): the snapshot may be torn (a goroutine that moved during the copy can show a stack and a state from different moments)",
            ms(read_time)
        ),
    });
    dump.notes.extend(notes);
    Ok(Attached {
        dump,
        binary,
        pause: report,
        read_time,
    })
}

/// Reads the goroutines in core file `core`, with the executable `binary`
/// or, without it, the executable the core names when it is still there
/// and is the same build.
pub fn read_core(core_path: &Path, binary: Option<&Path>) -> Result<Attached, TargetError> {
    let mut core = CoreMemory::open(core_path)?;
    let in_core = core.executable_ids().unwrap_or_default();
    let named = core.executable().map(|f| PathBuf::from(&f.path));
    let mut notes = Vec::new();
    let target = format!("the core {}", core_path.display());
    let (binary, facts) = match (binary, &named) {
        (Some(b), _) => {
            let facts = ElfFacts::read(b)?;
            if let Verified::Unverifiable(why) = buildid::verify(b, &facts.ids, &target, &in_core)?
            {
                notes.push(why);
            }
            (b.to_owned(), facts)
        }
        (None, None) => {
            return Err(TargetError::NoBinary {
                core: core_path.to_owned(),
                why: "the core names no executable (no NT_FILE or NT_AUXV note)".into(),
            })
        }
        (None, Some(p)) => {
            let no = |why: String| TargetError::NoBinary {
                core: core_path.to_owned(),
                why: format!("the core's executable {} {why}", p.display()),
            };
            let facts = ElfFacts::read(p).map_err(|e| no(format!("cannot be used ({e})")))?;
            match facts.ids.same_build(&in_core) {
                Some(true) => (p.clone(), facts),
                Some(false) => {
                    return Err(no(format!(
                        "has been replaced by another build ({} now, {in_core} in the core)",
                        facts.ids
                    )))
                }
                None => {
                    return Err(no(
                        "cannot be verified: the core holds no build ID of it".into()
                    ))
                }
            }
        }
    };
    facts.require_unstripped(&binary)?;
    core.set_binary(&binary)?;
    let bin = Binary::open(&binary)?;
    let now = match core.clock() {
        CoreClock::Mtime { nanotime } => {
            notes.push("wait minutes are counted up to the core file's modification time, taken as the moment it was written (wrong for a core copied from another machine or touched since)".into());
            i64::try_from(nanotime).ok()
        }
        CoreClock::Unknown { reason } => {
            notes.push(format!("wait minutes are left out: {reason}"));
            None
        }
    };
    let load_bias = match (bin.is_position_independent(), core.entry()) {
        (false, _) => 0,
        (true, Some(entry)) => entry.wrapping_sub(bin.entry()),
        (true, None) => return Err(TargetError::NoEntry(core_path.to_owned())),
    };
    let sopts = SnapshotOptions {
        now_monotonic_ns: now,
        format: Format::CoreFile,
        load_bias,
        ..Default::default()
    };
    let snap = snapshot(&core, &bin, &sopts)?;
    let mut dump = snap.dump;
    let stats = core.stats();
    dump.notes.push(format!(
        "read from the core file {} ({} MiB of memory in it; {} MiB the dumper left out, read from {} where it maps the executable) in {}",
        core_path.display(),
        stats.present >> 20,
        stats.left_out >> 20,
        binary.display(),
        ms(snap.read_time)
    ));
    dump.notes.extend(notes);
    Ok(Attached {
        dump,
        binary,
        pause: None,
        read_time: snap.read_time,
    })
}

fn ms(d: Duration) -> String {
    format_duration(d, DurationStyle::TenthMillis)
}

/// This process's CLOCK_MONOTONIC in nanoseconds: the clock of the Go
/// runtime's `nanotime()`, so "now" for wait minutes.
#[must_use]
pub fn monotonic_ns() -> i64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
    t.tv_sec
        .saturating_mul(1_000_000_000)
        .saturating_add(t.tv_nsec)
}

/// A failure to read `/proc/PID/exe`: a permission problem, explained.
fn access(pid: u32, e: BuildIdError) -> TargetError {
    match e {
        BuildIdError::Read { source, .. } => permission::explain(pid, source).into(),
        other => other.into(),
    }
}

/// A read the kernel refused mid-snapshot is a permission problem (or the
/// process exited); anything else is the snapshot's own error.
fn attach_error(pid: u32, e: AttachError) -> TargetError {
    match e {
        AttachError::Read {
            source: MemoryError::Io { source, .. },
            ..
        } => permission::explain(pid, source).into(),
        other => other.into(),
    }
}
