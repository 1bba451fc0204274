//! Goroutine states and wait reasons, mirroring `runtime/runtime2.go:
//! gStatusStrings` and `waitReasonStrings` (Go 1.17–1.27).

/// What a goroutine is doing, as the header bracket says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum WaitReason {
    /// `running`
    Running,
    /// `runnable`
    Runnable,
    /// `syscall`
    Syscall,
    /// `idle` (goroutine 0 under GOTRACEBACK=system)
    Idle,
    /// `dead`, `copystack`, `preempted` and other transient states
    Transient,
    /// `chan receive`
    ChanReceive,
    /// `chan send`
    ChanSend,
    /// `chan receive (nil chan)`
    ChanReceiveNilChan,
    /// `chan send (nil chan)`
    ChanSendNilChan,
    /// `select`
    Select,
    /// `select (no cases)`
    SelectNoCases,
    /// `sync.Mutex.Lock` (Go 1.20+)
    SyncMutexLock,
    /// `sync.RWMutex.RLock` (Go 1.20+)
    SyncRWMutexRLock,
    /// `sync.RWMutex.Lock` (Go 1.20+)
    SyncRWMutexLock,
    /// `sync.WaitGroup.Wait` (Go 1.20+)
    SyncWaitGroupWait,
    /// `sync.Cond.Wait`
    SyncCondWait,
    /// `semacquire`: any sync primitive before Go 1.20, and other semaphores after
    Semacquire,
    /// `sleep`
    Sleep,
    /// `IO wait`
    IoWait,
    /// `synctest.Run`, `synctest.Wait`
    Synctest,
    /// Runtime housekeeping: GC workers, finalizers, scavenger, trace reader…
    RuntimeInternal,
    /// A reason this version of gostuck does not know.
    Other,
}

impl WaitReason {
    /// Parses the status text (flags such as ` (leaked)` already removed).
    #[must_use]
    pub fn parse(status: &str) -> WaitReason {
        use WaitReason::*;
        // The synctest "durable" variants name the same operations.
        let s = status.strip_suffix(" (durable)").unwrap_or(status);
        match s {
            "running" => Running,
            "runnable" => Runnable,
            "syscall" => Syscall,
            "idle" => Idle,
            "dead"
            | "copystack"
            | "preempted"
            | "moribund"
            | "enqueue"
            | "waiting"
            | "leaked"
            | "waiting for cgo callback" => Transient,
            "chan receive" => ChanReceive,
            "chan send" => ChanSend,
            "chan receive (nil chan)" => ChanReceiveNilChan,
            "chan send (nil chan)" => ChanSendNilChan,
            "select" => Select,
            "select (no cases)" | "select no cases" => SelectNoCases,
            "sync.Mutex.Lock" => SyncMutexLock,
            "sync.RWMutex.RLock" => SyncRWMutexRLock,
            "sync.RWMutex.Lock" => SyncRWMutexLock,
            "sync.WaitGroup.Wait" => SyncWaitGroupWait,
            "sync.Cond.Wait" => SyncCondWait,
            "semacquire" => Semacquire,
            "sleep" => Sleep,
            "IO wait" => IoWait,
            "synctest.Run" | "synctest.Wait" => Synctest,
            "GC assist marking"
            | "dumping heap"
            | "garbage collection"
            | "garbage collection scan"
            | "panicwait"
            | "GC assist wait"
            | "GC sweep wait"
            | "GC scavenge wait"
            | "finalizer wait"
            | "force gc (idle)"
            | "GOMAXPROCS updater (idle)"
            | "trace reader (blocked)"
            | "wait for GC cycle"
            | "GC worker (idle)"
            | "GC worker (active)"
            | "debug call"
            | "GC mark termination"
            | "stopping the world"
            | "flushing proc caches"
            | "trace goroutine status"
            | "trace proc status"
            | "page trace flush"
            | "coroutine"
            | "GC weak to strong wait"
            | "cleanup wait"
            | "chan receive (gc)"
            | "sync.Mutex.Lock (gc)"
            | "trace goroutine wait" => RuntimeInternal,
            _ => Other,
        }
    }

    /// True for states in which the goroutine cannot make progress by itself.
    #[must_use]
    pub fn is_blocked(self) -> bool {
        use WaitReason::*;
        matches!(
            self,
            ChanReceive
                | ChanSend
                | ChanReceiveNilChan
                | ChanSendNilChan
                | Select
                | SelectNoCases
                | SyncMutexLock
                | SyncRWMutexRLock
                | SyncRWMutexLock
                | SyncWaitGroupWait
                | SyncCondWait
                | Semacquire
                | Synctest
        )
    }

    /// Lock-like waits: on a sync primitive (only another goroutine's Unlock,
    /// Done or Signal ends them) or on something that never ends (a nil
    /// channel, an empty select), unlike a channel or select wait, which is
    /// also how an idle worker waits. A goroutine in one of these that makes
    /// no progress across samples is worth reporting.
    #[must_use]
    pub fn is_lock_like(self) -> bool {
        use WaitReason::*;
        matches!(
            self,
            SyncMutexLock
                | SyncRWMutexLock
                | SyncRWMutexRLock
                | SyncWaitGroupWait
                | SyncCondWait
                | Semacquire
                | ChanReceiveNilChan
                | ChanSendNilChan
                | SelectNoCases
        )
    }

    /// True for waits that end by themselves or by the outside world (timers, I/O).
    #[must_use]
    pub fn is_external_wait(self) -> bool {
        matches!(
            self,
            WaitReason::Sleep | WaitReason::IoWait | WaitReason::Syscall
        )
    }
}

/// Infers a status from the runtime and `sync` frames at the top of a stack, for
/// formats that print no header (pprof `debug=0`/`debug=1`) and to refine
/// `semacquire` in dumps from before Go 1.20. Returns the status text the
/// runtime would have printed.
pub fn infer_state<'a>(functions: impl IntoIterator<Item = &'a str>) -> Option<&'static str> {
    for f in functions.into_iter().take(8) {
        let s = match f {
            "runtime.chansend1" | "runtime.chansend" => "chan send",
            "runtime.chanrecv1" | "runtime.chanrecv2" | "runtime.chanrecv" => "chan receive",
            "runtime.selectgo" => "select",
            "runtime.block" => "select (no cases)",
            "sync.(*Mutex).Lock" | "sync.(*Mutex).lockSlow" | "internal/sync.(*Mutex).lockSlow" => {
                "sync.Mutex.Lock"
            }
            "sync.(*RWMutex).RLock" => "sync.RWMutex.RLock",
            "sync.(*RWMutex).Lock" => "sync.RWMutex.Lock",
            "sync.(*WaitGroup).Wait" => "sync.WaitGroup.Wait",
            "sync.(*Cond).Wait" => "sync.Cond.Wait",
            "time.Sleep" => "sleep",
            "internal/poll.runtime_pollWait" => "IO wait",
            "runtime.gopark"
            | "runtime.goparkunlock"
            | "runtime.semacquire1"
            | "sync.runtime_SemacquireMutex"
            | "sync.runtime_SemacquireRWMutexR"
            | "sync.runtime_SemacquireRWMutex"
            | "sync.runtime_SemacquireWaitGroup"
            | "internal/sync.runtime_SemacquireMutex"
            | "sync.runtime_Semacquire"
            | "sync.runtime_notifyListWait"
            | "runtime.notifyListWait"
            | "internal/poll.(*pollDesc).wait"
            | "internal/poll.(*pollDesc).waitRead"
            | "internal/poll.(*pollDesc).waitWrite"
            | "runtime.netpollblock" => continue,
            "runtime.goroutineProfileWithLabels"
            | "runtime/pprof.runtime_goroutineProfileWithLabels"
            | "runtime.Stack"
            | "runtime/debug.Stack" => "running",
            _ => return None,
        };
        return Some(s);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wait_reasons_with_parentheses_are_distinct_from_their_plain_forms() {
        assert_eq!(
            WaitReason::parse("chan receive (nil chan)"),
            WaitReason::ChanReceiveNilChan
        );
        assert_eq!(WaitReason::parse("chan receive"), WaitReason::ChanReceive);
        assert_eq!(
            WaitReason::parse("select (no cases)"),
            WaitReason::SelectNoCases
        );
        assert_eq!(
            WaitReason::parse("chan send (durable)"),
            WaitReason::ChanSend
        );
        assert_eq!(
            WaitReason::parse("GC worker (idle)"),
            WaitReason::RuntimeInternal
        );
        assert_eq!(WaitReason::parse("a reason from go1.99"), WaitReason::Other);
    }

    #[test]
    fn state_is_inferred_through_parking_frames() {
        assert_eq!(
            infer_state([
                "runtime.gopark",
                "runtime.chanrecv",
                "runtime.chanrecv1",
                "main.main"
            ]),
            Some("chan receive")
        );
        assert_eq!(
            infer_state([
                "runtime.gopark",
                "runtime.goparkunlock",
                "runtime.semacquire1",
                "sync.runtime_SemacquireMutex",
                "sync.(*Mutex).lockSlow",
                "sync.(*Mutex).Lock"
            ]),
            Some("sync.Mutex.Lock")
        );
        assert_eq!(infer_state(["main.busy", "main.main"]), None);
    }
}
