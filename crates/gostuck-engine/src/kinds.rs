//! The v1 finding vocabulary, documented once: `gostuck explain KIND` prints
//! these, and docs/findings.md is generated from them.

/// Documentation of one finding kind.
#[derive(Debug, Clone, Copy)]
pub struct KindDoc {
    /// The `kind` string in reports.
    pub name: &'static str,
    /// One line.
    pub title: &'static str,
    /// What the evidence shows.
    pub meaning: &'static str,
    /// How gostuck decides.
    pub rule: &'static str,
    /// What usually fixes it.
    pub fix: &'static str,
    /// A scenario under testdata/scenarios that shows it, if any.
    pub scenario: Option<&'static str>,
}

/// Every kind of the v1 vocabulary.
pub const KINDS: &[KindDoc] = &[
    KindDoc {
        name: "lock-cycle",
        title: "goroutines each hold a lock the next one waits for",
        meaning: "Two or more goroutines acquired mutexes in different orders (AB-BA, or a ring of N) and now each waits for a lock held by the next.",
        rule: "A goroutine waits in sync.(*Mutex).Lock / (*RWMutex).Lock on an expression whose resource class (field name, or the argument a parameter was bound to at the call or `go` site) matches a lock another blocked goroutine holds at its current line (Lock/RLock before the line, no Unlock on the path, `defer Unlock` still held). A `sync.Once` counts as a lock: a goroutine running `once.Do`'s function holds it, and one blocked in `once.Do` waits for it (`testdata/scenarios/once-cycle`); a lock a called function unlocked before the current line is not held (`unlock-in-helper`). The cycle is a strongly connected component of that wait-for graph. Without source, several goroutines waiting on different mutex addresses in a global deadlock are reported as a possible lock-cycle.",
        fix: "Acquire the locks in one global order everywhere (by ID or address), or never hold two at once.",
        scenario: Some("abba"),
    },
    KindDoc {
        name: "recursive-lock",
        title: "a goroutine waits for a lock its own stack holds",
        meaning: "sync.Mutex is not reentrant: a method that holds mu called a helper that locks mu again. An RWMutex read-locked twice deadlocks the same way once a writer queues in between.",
        rule: "The blocking Lock's expression equals a lock held in the same frame, or has the same resource class as a lock held by a caller frame; for an RLock, the held lock is a read lock and another goroutine waits to Lock that RWMutex. Held locks include those a called function returned without unlocking and a Cond's L (its NewCond locker).",
        fix: "Split into a locking entry point and an unexported helper that expects the lock to be held (fooLocked).",
        scenario: Some("recursive-lock"),
    },
    KindDoc {
        name: "rwmutex-upgrade",
        title: "a goroutine holds RLock and asks for Lock on the same RWMutex",
        meaning: "Lock waits for all readers to leave, including the caller itself; new readers queue behind the pending writer.",
        rule: "The goroutine waits in (*RWMutex).Lock on a mutex its stack read-locked.",
        fix: "RUnlock before Lock and re-check the state after acquiring, or take Lock from the start.",
        scenario: Some("rwmutex-upgrade"),
    },
    KindDoc {
        name: "lock-never-released",
        title: "a goroutine waits for a lock no live goroutine holds",
        meaning: "The lock was taken and never unlocked: an early return or a panic path skipped Unlock, and the goroutine that locked it is gone.",
        rule: "A lock wait with no holder among the live goroutines (by source) and nothing else that could release it. In a goroutineleak profile, a goroutine the runtime marked `(leaked)` is never explained by a live goroutine (no live goroutine can reach its lock), so one stuck copy of a component is found among many healthy copies that lock the same field. In a plain dump (inputs up to 64 MiB, files or standard input), the same case is found by address: waiters on a field of their method's receiver give the field's offset (or the source declares the mutex as the struct's first field, at offset 0, which places waiters in closures such as timer callbacks too), holders' receivers then place every held mutex, and a waiter whose mutex none of them holds is reported (likely) when the code has a `return` that leaves that lock held.",
        fix: "Pair every Lock with `defer Unlock()`, or make every return path unlock.",
        scenario: Some("early-return-unlock"),
    },
    KindDoc {
        name: "slot-never-released",
        title: "goroutines wait for a slot of a channel used as a semaphore, and the slots were never given back",
        meaning: "A buffered channel counts slots (send to acquire, receive to release; or a token pool: receive to take, send to give back). The goroutines that took the slots returned on a path that skipped the release, so every later acquirer blocks for ever. None of the waiters holds a slot: it is the channel analogue of lock-never-released, not a cycle among the waiters.",
        rule: "A send (or receive) wait on a channel whose source shows a function that takes a slot with that operation and gives it back with the opposite one later, with a `return` or loop-leaving `break` between them that skips the give-back. Fellow waiters on the same operation are not each other's partners (each gives back only after it takes), nor is a release that follows an acquire still ahead. Reported in a running program too, `likely` with source, with the taking line as `acquired`.",
        fix: "Release with `defer` right after acquiring, or make every return path release.",
        scenario: Some("semaphore-upload-leak"),
    },
    KindDoc {
        name: "wait-cycle",
        title: "goroutines wait for each other through channels, WaitGroups, Conds and locks mixed",
        meaning: "For example: A holds a mutex while sending on a channel, B must take that mutex before it receives; or main waits on a WaitGroup before draining the channel the workers send to.",
        rule: "A strongly connected component of the wait-for graph that contains at least one channel, WaitGroup or Cond edge. A channel edge goes from a blocked goroutine to every goroutine whose code may still perform the matching operation (after its current line, anywhere in a loop around it, or deferred).",
        fix: "Do not block on a channel or WaitGroup while holding what the partner needs; drain results before Wait (or Wait in a goroutine that closes the results channel).",
        scenario: Some("mutex-across-channel"),
    },
    KindDoc {
        name: "waitgroup-never-done",
        title: "WaitGroup.Wait waits for a counter that never reaches zero",
        meaning: "A worker returned without calling Done, or Add counted more goroutines than were started.",
        rule: "A goroutine waits in (*WaitGroup).Wait and no live goroutine's code calls Done (or Add) on that WaitGroup.",
        fix: "`defer wg.Done()` as the first statement of every counted goroutine; Add exactly what you start.",
        scenario: Some("waitgroup-never-done"),
    },
    KindDoc {
        name: "channel-no-partner",
        title: "a send or receive no live goroutine can ever complete",
        meaning: "The goroutine that should have received (or sent) is gone, never existed, or gave up (a timeout in the caller).",
        rule: "A goroutine blocked on a channel operation or select, and no live goroutine's code may perform the complementary operation on a channel of the same resource class. In a program that is still running this is only reported when other goroutines are blocked behind it, when the runtime's leak detector marked it (leaked), or when a go test timed out.",
        fix: "Make sure every operation has a partner; use a buffered channel (size 1) for results nobody may read; select on ctx.Done() or a done channel.",
        scenario: Some("unbuffered-send"),
    },
    KindDoc {
        name: "channel-never-closed",
        title: "a range over a channel waits for a close that never comes",
        meaning: "The producer finished sending but nobody closed the channel.",
        rule: "The blocked operation is a `for range ch` and no live goroutine may send on or close the channel.",
        fix: "Close the channel in the goroutine that owns the sending side, after the last send (e.g. after the producers' wg.Wait()).",
        scenario: Some("range-never-closed"),
    },
    KindDoc {
        name: "nil-channel",
        title: "an operation on a nil channel",
        meaning: "A send or receive on a nil channel blocks forever: the channel was declared but never made.",
        rule: "The runtime's wait reason is `chan send (nil chan)` or `chan receive (nil chan)`.",
        fix: "Initialise the channel with make (in the constructor), or remove the operation.",
        scenario: Some("nil-channel"),
    },
    KindDoc {
        name: "select-no-cases",
        title: "`select {}` blocks forever and nothing else runs",
        meaning: "An empty select parks its goroutine forever; once everything else has stopped the program is dead.",
        rule: "Wait reason `select (no cases)` in a global deadlock (an idle `select {}` in a running server is normal and not reported).",
        fix: "Wait on a real signal: a done channel, a context, signal.NotifyContext.",
        scenario: Some("select-no-cases"),
    },
    KindDoc {
        name: "cond-wait-forever",
        title: "Cond.Wait that no Signal or Broadcast will wake",
        meaning: "The signal was sent before Wait started (lost wake-up), or never; Wait without a condition loop misses it.",
        rule: "A goroutine waits in (*Cond).Wait and no live goroutine's code calls Signal or Broadcast on that Cond.",
        fix: "Always `for !condition { c.Wait() }`, and set the condition under the lock before Signal/Broadcast. Never wait while holding another lock that others need: gostuck names it when some goroutine waits for it (as in `testdata/scenarios/cond-under-lock`, the shape of kubernetes#58107).",
        scenario: Some("cond-signal-first"),
    },
    KindDoc {
        name: "goroutine-leak",
        title: "many goroutines parked at one site while the program lives",
        meaning: "Goroutines started per request or per task block forever on a channel nobody will use again; they pile up.",
        rule: "At least 10 goroutines with an identical stack blocked on a channel operation with no possible partner, in a program that is still running (certain when the runtime's goroutineleak profile marked them `(leaked)`).",
        fix: "Give the operation a way out: a buffered result channel, or select on ctx.Done().",
        scenario: Some("leak-timeout"),
    },
    KindDoc {
        name: "lock-contention",
        title: "slow, not stuck: many goroutines queue on one lock",
        meaning: "Reserved in v1 for traces and repeated samples; single dumps cannot tell contention from a deadlock.",
        rule: "Not produced from a single dump.",
        fix: "Shorten critical sections, shard the lock, or use RWMutex for read-mostly data.",
        scenario: None,
    },
    KindDoc {
        name: "stuck-unexplained",
        title: "blocked forever, cause not determined",
        meaning: "The goroutine stays blocked (a global deadlock, a go test timeout, or samples that show no progress), but gostuck could not find who should wake it.",
        rule: "Reported for blocked user goroutines left without a finding in a global deadlock, a go test timeout or a stalled program (gostuck run/watch); the explanation says which evidence was missing (usually source files: pass --source). Without any cycle or orphaned wait, the verdict is `stuck`, not a deadlock.",
        fix: "Pass --source so frames can be read, or look at who should complete the operation.",
        scenario: None,
    },
];

/// The documentation of a kind.
#[must_use]
pub fn kind_doc(name: &str) -> Option<&'static KindDoc> {
    KINDS.iter().find(|k| k.name == name)
}

/// A finding kind the engine's passes report: one of [`KINDS`], named once.
/// Findings carry [`Kind::as_str`], so reports keep the exact strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    LockCycle,
    WaitCycle,
    RecursiveLock,
    RwmutexUpgrade,
    LockNeverReleased,
    SlotNeverReleased,
    WaitgroupNeverDone,
    CondWaitForever,
    ChannelNeverClosed,
    ChannelNoPartner,
    NilChannel,
    SelectNoCases,
    GoroutineLeak,
    StuckUnexplained,
}

impl Kind {
    /// The `kind` string of reports.
    pub(crate) const fn as_str(self) -> &'static str {
        match self {
            Kind::LockCycle => "lock-cycle",
            Kind::WaitCycle => "wait-cycle",
            Kind::RecursiveLock => "recursive-lock",
            Kind::RwmutexUpgrade => "rwmutex-upgrade",
            Kind::LockNeverReleased => "lock-never-released",
            Kind::SlotNeverReleased => "slot-never-released",
            Kind::WaitgroupNeverDone => "waitgroup-never-done",
            Kind::CondWaitForever => "cond-wait-forever",
            Kind::ChannelNeverClosed => "channel-never-closed",
            Kind::ChannelNoPartner => "channel-no-partner",
            Kind::NilChannel => "nil-channel",
            Kind::SelectNoCases => "select-no-cases",
            Kind::GoroutineLeak => "goroutine-leak",
            Kind::StuckUnexplained => "stuck-unexplained",
        }
    }
}

/// The role of a location in a finding, or of a wait edge's target: the
/// `role` strings of reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// Where a goroutine is blocked.
    Blocked,
    /// Where a lock (or slot) was taken.
    Acquired,
    /// Where a partner would send on or close the channel.
    WouldSend,
    /// Where a partner would receive.
    WouldReceive,
    /// Where a partner would unlock, call Done, Signal, …
    WouldRelease,
    /// Where a goroutine was started (`watch`).
    Created,
}

impl Role {
    /// The `role` string of reports.
    pub(crate) const fn as_str(self) -> &'static str {
        match self {
            Role::Blocked => "blocked",
            Role::Acquired => "acquired",
            Role::WouldSend => "would-send",
            Role::WouldReceive => "would-receive",
            Role::WouldRelease => "would-release",
            Role::Created => "created",
        }
    }

    /// The role of a partner's future operation of kind `k`.
    pub(crate) fn of_partner(k: gostuck_source::OpKind) -> Role {
        use gostuck_source::OpKind;
        match k {
            OpKind::Send | OpKind::Close => Role::WouldSend,
            OpKind::Recv | OpKind::Range => Role::WouldReceive,
            _ => Role::WouldRelease,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Kind, KINDS};

    #[test]
    fn every_kind_the_passes_report_is_documented() {
        let all = [
            Kind::LockCycle,
            Kind::WaitCycle,
            Kind::RecursiveLock,
            Kind::RwmutexUpgrade,
            Kind::LockNeverReleased,
            Kind::SlotNeverReleased,
            Kind::WaitgroupNeverDone,
            Kind::CondWaitForever,
            Kind::ChannelNeverClosed,
            Kind::ChannelNoPartner,
            Kind::NilChannel,
            Kind::SelectNoCases,
            Kind::GoroutineLeak,
            Kind::StuckUnexplained,
        ];
        for k in all {
            assert!(
                KINDS.iter().any(|d| d.name == k.as_str()),
                "{k:?} is not in the vocabulary"
            );
        }
    }
}
