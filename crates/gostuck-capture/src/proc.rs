//! The child's process tree from /proc (Linux): CPU time of every descendant,
//! and which of them are Go programs worth a SIGQUIT.

use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rustix::process::Pid;

/// One process, from `/proc/<pid>/stat`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proc {
    /// Process ID.
    pub pid: i32,
    /// Parent process ID.
    pub ppid: i32,
    /// Process group ID.
    pub pgrp: i32,
    /// `R`, `S`, `D`, `T`, `Z`…
    pub state: u8,
    /// utime + stime, in clock ticks.
    pub ticks: u64,
    /// The command name (`comm`), at most 15 bytes.
    pub comm: String,
}

/// Parses the contents of `/proc/<pid>/stat`.
#[must_use]
pub fn parse_stat(s: &str) -> Option<Proc> {
    let open = s.find('(')?;
    let close = s.rfind(')')?;
    let pid = s[..open].trim().parse().ok()?;
    let comm = s[open + 1..close].to_string();
    let f: Vec<&str> = s[close + 1..].split_whitespace().collect();
    if f.len() < 13 {
        return None;
    }
    let num = |i: usize| f[i].parse::<u64>().ok();
    Some(Proc {
        pid,
        ppid: f[1].parse().ok()?,
        pgrp: f[2].parse().ok()?,
        state: f[0].bytes().next()?,
        ticks: num(11)? + num(12)?,
        comm,
    })
}

/// Every process visible in /proc.
pub fn scan() -> io::Result<Vec<Proc>> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc")? {
        let Ok(e) = e else { continue };
        let name = e.file_name();
        let Some(name) = name.to_str() else { continue };
        if !name.bytes().all(|c| c.is_ascii_digit()) {
            continue;
        }
        if let Ok(s) = std::fs::read_to_string(format!("/proc/{name}/stat")) {
            out.extend(parse_stat(&s));
        }
    }
    Ok(out)
}

/// `root` and all its descendants (by parent links), plus any process still in
/// `root`'s process group (reparented after its parent exited).
#[must_use]
pub fn tree(root: i32, all: &[Proc]) -> Vec<Proc> {
    let mut keep: Vec<Proc> = all.iter().filter(|q| q.pid == root).cloned().collect();
    let mut frontier = vec![root];
    while let Some(p) = frontier.pop() {
        for q in all {
            if q.ppid == p && q.pid != root && !keep.iter().any(|k| k.pid == q.pid) {
                keep.push(q.clone());
                frontier.push(q.pid);
            }
        }
    }
    for q in all {
        if q.pgrp == root && !keep.iter().any(|k| k.pid == q.pid) {
            keep.push(q.clone());
        }
    }
    keep.sort_by_key(|p| p.pid);
    keep
}

/// Clock ticks per second (`USER_HZ`).
#[must_use]
pub fn ticks_per_second() -> u64 {
    match rustix::param::clock_ticks_per_second() {
        0 => 100,
        t => t,
    }
}

/// The executable of a process (`/proc/<pid>/exe`), ` (deleted)` removed.
#[must_use]
pub fn exe(pid: i32) -> Option<PathBuf> {
    let p = std::fs::read_link(format!("/proc/{pid}/exe")).ok()?;
    let s = p.to_string_lossy();
    Some(match s.strip_suffix(" (deleted)") {
        Some(t) => PathBuf::from(t),
        None => p,
    })
}

/// True for the `go` command and its helpers (`compile`, `link`, `vet`,
/// `test2json` under `$GOROOT/pkg/tool/…`): Go programs whose own stacks are
/// not what the user asked about.
#[must_use]
pub fn is_go_tool(exe: &Path) -> bool {
    let name = exe.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if name == "go" || name == "gofmt" {
        return true;
    }
    let parent = exe.parent().and_then(|p| p.parent());
    parent.is_some_and(|p| p.ends_with("pkg/tool"))
}

/// True when the executable of `pid` is a Go program: its ELF file carries
/// the Go linker's build ID note (the same test `gostuck attach` applies).
#[must_use]
pub fn is_go_program(pid: i32) -> bool {
    gostuck_attach::buildid::ElfFacts::read(Path::new(&format!("/proc/{pid}/exe")))
        .is_ok_and(|f| f.ids.go.is_some())
}

/// CPU and process-set history of the child's tree.
pub struct Progress {
    samples: std::collections::VecDeque<(Instant, u64)>,
    pids: Vec<i32>,
    last_change: Instant,
    threshold: u64,
    window: Duration,
}

impl Progress {
    /// No history yet; a stall is `window` without CPU progress or change.
    #[must_use]
    pub fn new(window: Duration) -> Progress {
        let hz = ticks_per_second();
        // At most 1% of one CPU over the window counts as no progress: tickers
        // and the runtime's background work use far less, real work far more.
        // Whole ticks: a window of seconds times ticks per second, over 100.
        let window_ms = u64::try_from(window.as_millis()).unwrap_or(u64::MAX);
        let threshold = window_ms.saturating_mul(hz).div_ceil(100_000);
        Progress {
            samples: Default::default(),
            pids: Vec::new(),
            last_change: Instant::now(),
            threshold: threshold.max(2),
            window,
        }
    }

    /// Records the tree's processes and CPU ticks at `now`.
    pub fn update(&mut self, now: Instant, tree: &[Proc]) {
        let pids: Vec<i32> = tree
            .iter()
            .filter(|p| p.state != b'Z')
            .map(|p| p.pid)
            .collect();
        if pids != self.pids {
            self.pids = pids;
            self.last_change = now;
        }
        let ticks = tree.iter().map(|p| p.ticks).sum();
        self.samples.push_back((now, ticks));
        while self
            .samples
            .front()
            .is_some_and(|(t, _)| now.duration_since(*t) > self.window + Duration::from_secs(2))
        {
            self.samples.pop_front();
        }
    }

    /// Whether the tree made no CPU progress, started or ended no process
    /// and (per `last_output`) wrote nothing for the whole window.
    #[must_use]
    pub fn stalled(&self, now: Instant, last_output: Instant) -> bool {
        let quiet_since = last_output.max(self.last_change);
        if now.duration_since(quiet_since) < self.window {
            return false;
        }
        let Some(&(_, ticks_now)) = self.samples.back() else {
            return false;
        };
        let then = self
            .samples
            .iter()
            .rev()
            .find(|(t, _)| now.duration_since(*t) >= self.window);
        match then {
            Some(&(_, ticks_then)) => ticks_now.saturating_sub(ticks_then) <= self.threshold,
            None => false,
        }
    }
}

/// Hands the terminal to the child's process group while it runs.
pub struct Terminal {
    ours: Pid,
}

impl Terminal {
    /// Makes `child_pgrp` the foreground group of the terminal on stdin,
    /// when ours is (else `None`); handed back on drop.
    #[must_use]
    pub fn give(child_pgrp: i32) -> Option<Terminal> {
        let stdin = std::io::stdin();
        if !rustix::termios::isatty(&stdin) {
            return None;
        }
        let ours = rustix::process::getpgrp();
        if rustix::termios::tcgetpgrp(&stdin).ok() != Some(ours) {
            return None;
        }
        let child = Pid::from_raw(child_pgrp)?;
        with_ttou_ignored(|| rustix::termios::tcsetpgrp(&stdin, child));
        Some(Terminal { ours })
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        // We take the terminal back for our own group.
        with_ttou_ignored(|| rustix::termios::tcsetpgrp(std::io::stdin(), self.ours));
    }
}

/// Runs `f` with SIGTTOU ignored (tcsetpgrp from a background group raises it).
fn with_ttou_ignored(f: impl FnOnce() -> rustix::io::Result<()>) {
    // SAFETY: SIG_IGN and the handler read back from the first call are the
    // only dispositions installed; no Rust handler runs and no memory is
    // shared with one. (rustix offers no safe wrapper for signal(2).)
    let old = unsafe { libc::signal(libc::SIGTTOU, libc::SIG_IGN) };
    let _ = f();
    // SAFETY: as above: restores the disposition that was in place.
    unsafe { libc::signal(libc::SIGTTOU, old) };
}

/// The process group a command runs in (its own, led by the child): when
/// dropped — the command exited, gostuck failed or panicked — whatever is left
/// of the group is ended (SIGTERM, then SIGKILL after a grace period).
pub struct Group {
    pgid: Pid,
    /// Ended already (by [`Group::end`]).
    ended: bool,
}

/// What [`Group::end`] found and did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ended {
    /// Processes of the group still running when the command exited.
    pub left: usize,
    /// SIGKILL was needed after SIGTERM.
    pub killed: bool,
}

impl Group {
    /// The group led by `pgid` (a child spawned with `process_group(0)`).
    #[must_use]
    pub fn new(pgid: i32) -> Option<Group> {
        Some(Group {
            pgid: Pid::from_raw(pgid)?,
            ended: false,
        })
    }

    /// Sends `sig` (a raw signal number) to the whole group.
    pub fn signal(&self, sig: i32) {
        if let Some(sig) = rustix::process::Signal::from_named_raw(sig) {
            let _ = rustix::process::kill_process_group(self.pgid, sig);
        }
    }

    /// Whether any process of the group is still alive (zombies included).
    #[must_use]
    pub fn alive(&self) -> bool {
        rustix::process::test_kill_process_group(self.pgid).is_ok()
    }

    /// Ends what is left of the group once its leader has exited: waits up to
    /// `grace` for the rest to exit by themselves, then SIGTERM, and SIGKILL
    /// for whatever is still there after another `grace`. `None` when nothing
    /// was left.
    pub fn end(&mut self, grace: Duration) -> Option<Ended> {
        self.ended = true;
        let left = if self.alive() {
            members(self.pgid.as_raw_pid())
        } else {
            0
        };
        if left == 0 || wait_gone(self, grace) {
            return None;
        }
        let _ = rustix::process::kill_process_group(self.pgid, rustix::process::Signal::TERM);
        let killed = !wait_gone(self, grace);
        if killed {
            let _ = rustix::process::kill_process_group(self.pgid, rustix::process::Signal::KILL);
        }
        Some(Ended { left, killed })
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        if !self.ended {
            // An error or a panic in gostuck: end the group without waiting
            // long (the command itself may still run: it goes too).
            let _ = rustix::process::kill_process_group(self.pgid, rustix::process::Signal::TERM);
            if !wait_gone(self, Duration::from_millis(500)) {
                let _ =
                    rustix::process::kill_process_group(self.pgid, rustix::process::Signal::KILL);
            }
        }
    }
}

/// Polls until no process of the group is left (true) or `limit` passed.
/// Exited children of gostuck's own are not in the group any more once reaped;
/// zombies of the group's own members are reaped by init, as they are orphans.
fn wait_gone(g: &Group, limit: Duration) -> bool {
    let until = Instant::now() + limit;
    loop {
        if !g.alive() || members(g.pgid.as_raw_pid()) == 0 {
            return true;
        }
        if Instant::now() >= until {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Live (not zombie) processes of process group `pgid`, from /proc.
fn members(pgid: i32) -> usize {
    scan()
        .map(|all| {
            all.iter()
                .filter(|p| p.pgrp == pgid && p.state != b'Z')
                .count()
        })
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_lines_with_odd_command_names_parse() {
        let s = "4242 (my (odd) prog) S 4200 4242 4200 34816 4242 4194304 120 0 0 0 17 5 0 0 20 0 3 0 100 1000 10 18446744073709551615";
        let p = parse_stat(s).unwrap();
        assert_eq!(
            (p.pid, p.ppid, p.pgrp, p.state, p.ticks),
            (4242, 4200, 4242, b'S', 22)
        );
        assert_eq!(p.comm, "my (odd) prog");
        assert_eq!(parse_stat("1 (x) S 0"), None);
    }

    #[test]
    fn the_tree_follows_parents_and_the_process_group() {
        let p = |pid, ppid, pgrp| Proc {
            pid,
            ppid,
            pgrp,
            state: b'S',
            ticks: 0,
            comm: String::new(),
        };
        let all = vec![
            p(1, 0, 1),
            p(10, 1, 10),
            p(11, 10, 10),
            p(12, 11, 10),
            p(13, 1, 10),
            p(20, 1, 20),
        ];
        let t: Vec<i32> = tree(10, &all).iter().map(|p| p.pid).collect();
        assert_eq!(t, [10, 11, 12, 13]);
    }

    #[test]
    fn go_tools_are_recognised_by_path() {
        assert!(is_go_tool(Path::new("/usr/local/go/bin/go")));
        assert!(is_go_tool(Path::new(
            "/usr/local/go/pkg/tool/linux_amd64/compile"
        )));
        assert!(!is_go_tool(Path::new("/tmp/go-build1/b001/queue.test")));
        assert!(!is_go_tool(Path::new("/tmp/go-build1/b001/exe/server")));
    }

    #[test]
    fn this_test_binary_is_not_a_go_program() {
        assert!(!is_go_program(i32::try_from(std::process::id()).unwrap()));
    }

    #[test]
    fn no_cpu_and_no_output_for_the_window_is_a_stall() {
        let t0 = Instant::now();
        let mut p = Progress::new(Duration::from_secs(2));
        p.threshold = 2;
        let proc_at = |ticks| {
            vec![Proc {
                pid: 7,
                ppid: 1,
                pgrp: 7,
                state: b'S',
                ticks,
                comm: String::new(),
            }]
        };
        let at = |ms| t0 + Duration::from_millis(ms);
        p.last_change = t0;
        for (ms, ticks) in [(0, 10), (1000, 50), (2000, 51), (3000, 52), (4000, 52)] {
            p.update(at(ms), &proc_at(ticks));
        }
        // Busy until 1s; quiet since: 2 ticks from 2s to 4s.
        assert!(!p.stalled(at(2500), t0));
        assert!(p.stalled(at(4000), t0));
        // Output at 3s resets the clock.
        assert!(!p.stalled(at(4000), at(3000)));
    }
}
