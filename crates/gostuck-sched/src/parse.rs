//! The line parser. Formats follow `runtime/proc.go: schedtrace` and
//! `runtime/mgc.go: gcMarkTermination` (Go 1.17–1.27):
//!
//! ```text
//! SCHED 1004ms: gomaxprocs=2 idleprocs=2 threads=5 spinningthreads=0 needspinning=0 idlethreads=2 runqueue=0 [0 0]
//! SCHED 200ms: gomaxprocs=2 … runqueue=1 [ 0 0 ] schedticks=[ 116951 15096 ]          (Go 1.25+)
//! SCHED 0ms: gomaxprocs=2 … runqueue=0 gcwaiting=false nmidlelocked=0 stopwait=0 sysmonwait=false   (scheddetail=1)
//!   P0: status=0 schedtick=3 syscalltick=0 m=nil runqsize=0 gfreecnt=0 timerslen=1
//!   M3: p=nil curg=nil mallocing=0 throwing=0 preemptoff= locks=0 dying=0 spinning=false blocked=true lockedg=nil
//!   G17: status=4(chan receive) m=nil lockedm=nil
//! gc 519 @1.000s 7%: 0.13+0.27+0.003 ms clock, … 4->4->0 MB, 4 MB goal, … 2 P (forced)
//! ```

use std::collections::HashMap;

use crate::SchedLog;

/// `_Gsyscall` in `runtime/runtime2.go`.
pub const STATUS_SYSCALL: u32 = 3;
/// `_Gwaiting`.
pub const STATUS_WAITING: u32 = 4;

/// One `SCHED` line (and, with `scheddetail=1`, the P/M/G lines under it).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Period {
    /// Milliseconds since the runtime started.
    pub at_ms: u64,
    /// 1-based line of the `SCHED` line in the input.
    pub line: u64,
    /// `gomaxprocs=`.
    pub gomaxprocs: u32,
    /// `idleprocs=`: Ps with nothing to run.
    pub idleprocs: u32,
    /// `threads=`: OS threads (Ms).
    pub threads: u32,
    /// `spinningthreads=`: Ms looking for work.
    pub spinningthreads: u32,
    /// `idlethreads=`: parked Ms.
    pub idlethreads: u32,
    /// `runqueue=`: the global run queue.
    pub runqueue: u32,
    /// Sum of the per-P run queues (`[0 0]`, or `runqsize=` of the P lines).
    pub local_runqueue: u32,
    /// `gcwaiting=` (scheddetail only): a stop-the-world is pending.
    pub gcwaiting: Option<bool>,
    /// `stopwait=` (scheddetail only): Ps the stop-the-world still waits for.
    pub stopwait: Option<u32>,
    /// Goroutine lines under this period (scheddetail only).
    pub goroutines: Option<u32>,
    /// Goroutines in a system call (`status=3`) under this period (scheddetail only).
    pub in_syscall: Option<u32>,
    /// Waiting goroutines by wait reason under this period (scheddetail only), most first.
    pub waiting: Vec<(String, u32)>,
}

impl Period {
    /// Every P idle, every run queue empty, nobody spinning: no goroutine can run.
    #[must_use]
    pub fn nothing_runnable(&self) -> bool {
        self.gomaxprocs > 0
            && self.idleprocs >= self.gomaxprocs
            && self.runqueue == 0
            && self.local_runqueue == 0
            && self.spinningthreads == 0
            && self.gcwaiting != Some(true)
    }

    /// Threads that neither hold a P nor are parked, minus sysmon: Ms in system
    /// calls or cgo (or locked to an idle goroutine). An estimate without scheddetail.
    #[must_use]
    pub fn threads_outside(&self) -> u32 {
        let running = self.gomaxprocs.saturating_sub(self.idleprocs);
        self.threads
            .saturating_sub(self.idlethreads)
            .saturating_sub(running)
            .saturating_sub(1)
    }
}

/// One `gc N @Ts` line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GcCycle {
    /// The cycle number.
    pub n: u64,
    /// Milliseconds since the program started.
    pub at_ms: u64,
    /// `(forced)`: started by the 2-minute timer or `runtime.GC`, not by allocation.
    pub forced: bool,
    /// 1-based line in the input.
    pub line: u64,
}

/// A goroutine seen in the same state in consecutive `scheddetail` periods.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Streak {
    /// The goroutine ID (`G17:`).
    pub goroutine: u64,
    /// Its status number (`4` = waiting, `3` = syscall).
    pub status: u32,
    /// The wait reason in parentheses (`chan receive`), empty when none.
    pub reason: String,
    /// When it was first seen in this state, ms since start.
    pub since_ms: u64,
    /// Consecutive periods it was seen in this state.
    pub periods: u32,
}

/// The streaming parser: feed lines with [`Parser::push_line`], then [`Parser::finish`].
#[derive(Debug, Default)]
pub struct Parser {
    log: SchedLog,
    line: u64,
    /// The period whose detail lines are being read.
    open: Option<Period>,
    block: Vec<(u64, u32, String)>,
    streaks: HashMap<u64, Streak>,
}

impl Parser {
    /// A new parser.
    #[must_use]
    pub fn new() -> Parser {
        Parser::default()
    }

    /// Reads one line (without or with its `\n`). Returns whether it was a trace line.
    pub fn push_line(&mut self, line: &[u8]) -> bool {
        self.line += 1;
        let line = trim_end(line);
        if let Some(p) = sched_header(line) {
            self.close_period();
            let mut p = p;
            p.line = self.line;
            self.open = Some(p);
            self.log.trace_lines += 1;
            return true;
        }
        if let Some(mut g) = gc_header(line) {
            g.line = self.line;
            self.log.gc_cycles += 1;
            if self.log.gc_first.is_none() {
                self.log.gc_first = Some(g);
            }
            if self.log.gc_recent.len() == 64 {
                self.log.gc_recent.remove(0);
            }
            self.log.gc_recent.push(g);
            self.log.trace_lines += 1;
            return true;
        }
        if self.open.is_some() && line.starts_with(b"  ") && self.detail_line(&line[2..]) {
            self.log.trace_lines += 1;
            self.log.detailed = true;
            return true;
        }
        false
    }

    /// Ends the input and returns what was read.
    #[must_use]
    pub fn finish(mut self) -> SchedLog {
        self.close_period();
        let mut streaks: Vec<Streak> = self.streaks.into_values().collect();
        streaks.sort_by(|a, b| {
            b.periods
                .cmp(&a.periods)
                .then(a.goroutine.cmp(&b.goroutine))
        });
        self.log.streaks = streaks;
        self.log
    }

    fn detail_line(&mut self, l: &[u8]) -> bool {
        let Ok(s) = std::str::from_utf8(l) else {
            return false;
        };
        let Some((head, rest)) = s.split_once(": ") else {
            return false;
        };
        let kind = head.as_bytes().first().copied();
        let Some(Ok(id)) = head.get(1..).map(str::parse::<u64>) else {
            return false;
        };
        let p = self.open.as_mut().expect("checked by caller");
        match kind {
            Some(b'P') => {
                if let Some(n) = field(rest, "runqsize").and_then(|v| v.parse::<u32>().ok()) {
                    p.local_runqueue += n;
                }
                true
            }
            Some(b'M') => rest.starts_with("p="),
            Some(b'G') => {
                let Some(st) = rest.strip_prefix("status=") else {
                    return false;
                };
                let digits = st.bytes().take_while(u8::is_ascii_digit).count();
                let Ok(status) = st[..digits].parse::<u32>() else {
                    return false;
                };
                // The reason may itself contain parentheses: `force gc (idle)`.
                let after = &st[digits..];
                let end = after.rfind(" m=").unwrap_or(after.len());
                let reason = after[..end]
                    .strip_prefix('(')
                    .and_then(|r| r.strip_suffix(')'))
                    .unwrap_or("");
                self.block.push((id, status, reason.to_string()));
                true
            }
            _ => false,
        }
    }

    fn close_period(&mut self) {
        let Some(mut p) = self.open.take() else {
            return;
        };
        if !self.block.is_empty() {
            let block = std::mem::take(&mut self.block);
            // Counts of lines read: saturating, a trace holds far fewer.
            let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
            p.goroutines = Some(count(block.len()));
            p.in_syscall = Some(count(
                block
                    .iter()
                    .filter(|(_, s, _)| *s == STATUS_SYSCALL)
                    .count(),
            ));
            let mut waiting: Vec<(String, u32)> = Vec::new();
            for (_, s, r) in &block {
                if *s == STATUS_WAITING {
                    match waiting.iter_mut().find(|(w, _)| w == r) {
                        Some(w) => w.1 += 1,
                        None => waiting.push((r.clone(), 1)),
                    }
                }
            }
            waiting.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            p.waiting = waiting;
            let mut next = HashMap::with_capacity(block.len());
            for (id, status, reason) in block {
                let s = match self.streaks.remove(&id) {
                    Some(mut s) if s.status == status && s.reason == reason => {
                        s.periods += 1;
                        s
                    }
                    _ => Streak {
                        goroutine: id,
                        status,
                        reason,
                        since_ms: p.at_ms,
                        periods: 1,
                    },
                };
                next.insert(id, s);
            }
            self.streaks = next;
        }
        self.log.periods.push(p);
    }
}

fn trim_end(mut l: &[u8]) -> &[u8] {
    while let [rest @ .., b'\n' | b'\r'] = l {
        l = rest;
    }
    l
}

/// `key=value` in a space-separated list.
fn field<'a>(s: &'a str, key: &str) -> Option<&'a str> {
    let mut from = 0;
    while let Some(i) = s[from..].find(key) {
        let at = from + i;
        let boundary = at == 0 || s.as_bytes()[at - 1] == b' ';
        let rest = &s[at + key.len()..];
        if boundary {
            if let Some(v) = rest.strip_prefix('=') {
                return Some(v.split(' ').next().unwrap_or(""));
            }
        }
        from = at + key.len();
    }
    None
}

/// Parses `SCHED 1004ms: k=v …` (without the detail lines).
pub(crate) fn sched_header(line: &[u8]) -> Option<Period> {
    let line = trim_end(line);
    let rest = line.strip_prefix(b"SCHED ")?;
    let digits = rest.iter().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 || !rest[digits..].starts_with(b"ms:") {
        return None;
    }
    let s = std::str::from_utf8(rest).ok()?;
    let mut p = Period {
        at_ms: s[..digits].parse().ok()?,
        ..Period::default()
    };
    let body = &s[digits + 3..];
    let num = |k: &str| field(body, k).and_then(|v| v.parse::<u32>().ok());
    p.gomaxprocs = num("gomaxprocs")?;
    p.idleprocs = num("idleprocs").unwrap_or(0);
    p.threads = num("threads").unwrap_or(0);
    p.spinningthreads = num("spinningthreads").unwrap_or(0);
    p.idlethreads = num("idlethreads").unwrap_or(0);
    p.runqueue = num("runqueue").unwrap_or(0);
    p.gcwaiting = field(body, "gcwaiting").map(|v| v == "true");
    p.stopwait = num("stopwait");
    // The per-P run queues: the first bracket list not introduced by `key=`.
    let b = body.as_bytes();
    let mut i = 0;
    while let Some(open) = body[i..].find('[') {
        let at = i + open;
        let close = body[at..].find(']').map(|c| at + c)?;
        let keyed = body[..at].trim_end().ends_with('=');
        if !keyed {
            p.local_runqueue = body[at + 1..close]
                .split_ascii_whitespace()
                .filter_map(|n| n.parse::<u32>().ok())
                .sum();
            break;
        }
        i = close + 1;
        if i >= b.len() {
            break;
        }
    }
    Some(p)
}

/// Parses `gc 12 @3.456s 2%: …`.
pub(crate) fn gc_header(line: &[u8]) -> Option<GcCycle> {
    let line = trim_end(line);
    let rest = line.strip_prefix(b"gc ")?;
    let s = std::str::from_utf8(rest).ok()?;
    let (n, rest) = s.split_once(' ')?;
    let n: u64 = n.parse().ok()?;
    let rest = rest.strip_prefix('@')?;
    let (t, rest) = rest.split_once("s ")?;
    if !rest.contains('%') {
        return None;
    }
    let at_ms = parse_secs_ms(t)?;
    Some(GcCycle {
        n,
        at_ms,
        forced: rest.ends_with("(forced)"),
        line: 0,
    })
}

/// `3.456` seconds → 3456 ms, without floating point.
fn parse_secs_ms(t: &str) -> Option<u64> {
    let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
    let whole: u64 = whole.parse().ok()?;
    let mut ms = 0u64;
    let mut scale = 100;
    for c in frac.bytes().take(3) {
        if !c.is_ascii_digit() {
            return None;
        }
        ms += u64::from(c - b'0') * scale;
        scale /= 10;
    }
    Some(whole * 1000 + ms)
}
