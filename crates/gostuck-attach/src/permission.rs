//! Why reading another process's memory failed, and what to do about it.
//!
//! Opening `/proc/PID/mem` (or `process_vm_readv`) needs ptrace access
//! (`PTRACE_MODE_ATTACH`): the same user as the target (real, effective and
//! saved uid) and a dumpable target, or `CAP_SYS_PTRACE`; and the Yama
//! module's `kernel.yama.ptrace_scope` may restrict it further (1: only
//! ancestors, 2: only `CAP_SYS_PTRACE`, 3: nobody). A process in another
//! PID namespace is not visible at all. Each cause is its own error, with
//! its own advice.

use std::io;
use std::path::Path;

/// `CAP_SYS_PTRACE` (`linux/capability.h`).
const CAP_SYS_PTRACE: u32 = 19;

/// How a container must be started so that gostuck can read its processes.
pub const CONTAINER_ADVICE: &str = "In a container: give gostuck CAP_SYS_PTRACE and the target's \
PID namespace (docker run --cap-add=SYS_PTRACE --pid=container:TARGET, or --pid=host); \
in Kubernetes: kubectl debug -it POD --target=CONTAINER --profile=general, or \
securityContext.capabilities.add: [\"SYS_PTRACE\"] with shareProcessNamespace: true.";

/// Why the target's memory cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    /// `/proc/PID` does not exist.
    #[error("no process {pid} is visible here: it has exited, or it runs in another PID namespace (another container, or gostuck runs in one). Check the PID with `ps`; inside a container, use the PID the container sees. {CONTAINER_ADVICE}")]
    NotVisible {
        /// The target.
        pid: u32,
    },
    /// The process exited while it was being read.
    #[error("process {pid} exited while gostuck was reading it")]
    Gone {
        /// The target.
        pid: u32,
    },
    /// `ptrace_scope` 3: no process may read another's memory.
    #[error("reading process {pid} was refused: kernel.yama.ptrace_scope is 3, which forbids reading any other process's memory, even as root, until the next reboot. Reboot with a lower setting, or run the program with GOTRACEBACK=crash and read its core file.")]
    PtraceDisabled {
        /// The target.
        pid: u32,
    },
    /// `ptrace_scope` 2 and no `CAP_SYS_PTRACE`.
    #[error("reading process {pid} was refused: kernel.yama.ptrace_scope is 2, which lets only processes with CAP_SYS_PTRACE read another's memory, and gostuck lacks it. Run gostuck as root (sudo). {CONTAINER_ADVICE}")]
    AdminOnly {
        /// The target.
        pid: u32,
    },
    /// The target belongs to another user and we lack `CAP_SYS_PTRACE`.
    #[error("reading process {pid} was refused: it runs as uid {target_uid} and gostuck as uid {our_uid}, without CAP_SYS_PTRACE. Run gostuck as the same user (sudo -u '#{target_uid}') or as root. {CONTAINER_ADVICE}")]
    OtherUser {
        /// The target.
        pid: u32,
        /// The target's effective uid.
        target_uid: u32,
        /// Our filesystem uid.
        our_uid: u32,
    },
    /// `ptrace_scope` 1: only ancestors (and declared tracers) may read.
    #[error("reading process {pid} was refused: kernel.yama.ptrace_scope is 1, which lets only a process's ancestors read its memory, and gostuck did not start it. Run gostuck with sudo (CAP_SYS_PTRACE), or allow it until the next reboot with `sudo sysctl kernel.yama.ptrace_scope=0`. {CONTAINER_ADVICE}")]
    NotAncestor {
        /// The target.
        pid: u32,
    },
    /// The target is not dumpable (setuid, file capabilities, or
    /// `prctl(PR_SET_DUMPABLE, 0)`), and we lack `CAP_SYS_PTRACE`.
    #[error("reading process {pid} was refused: the process is not dumpable (it changed credentials, runs a setuid or file-capability binary, or called prctl(PR_SET_DUMPABLE, 0)) and gostuck lacks CAP_SYS_PTRACE. Run gostuck as root. {CONTAINER_ADVICE}")]
    NotDumpable {
        /// The target.
        pid: u32,
    },
    /// Refused although the usual rules allow it: a security module
    /// (seccomp, AppArmor, SELinux) or a user namespace.
    #[error("reading process {pid} was refused ({source}) although the uid, the capabilities and Yama allow it: a seccomp filter, AppArmor or SELinux policy, or a user namespace (the target's capabilities outrank gostuck's) stands in the way. {CONTAINER_ADVICE}")]
    Refused {
        /// The target.
        pid: u32,
        /// The kernel's answer.
        #[source]
        source: io::Error,
    },
    /// Any other failure.
    #[error("reading process {pid}: {source}")]
    Other {
        /// The target.
        pid: u32,
        /// What failed.
        #[source]
        source: io::Error,
    },
}

/// What this machine says about who may read process `pid`'s memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessFacts {
    /// The target.
    pub pid: u32,
    /// Whether `/proc/PID` exists.
    pub visible: bool,
    /// `/proc/sys/kernel/yama/ptrace_scope`; `None` without Yama.
    pub yama_scope: Option<u8>,
    /// Whether we hold `CAP_SYS_PTRACE` (`CapEff` of `/proc/self/status`).
    pub cap_sys_ptrace: Option<bool>,
    /// Our uids: real, effective, saved, filesystem.
    pub our_uids: Option<[u32; 4]>,
    /// The target's uids: real, effective, saved, filesystem.
    pub target_uids: Option<[u32; 4]>,
    /// The owner of `/proc/PID`: root instead of the target's uid when the
    /// target is not dumpable.
    pub proc_owner: Option<u32>,
}

impl AccessFacts {
    /// Reads the facts from `/proc` and `/proc/sys`.
    #[must_use]
    pub fn gather(pid: u32) -> AccessFacts {
        let dir = format!("/proc/{pid}");
        let status = |p: &str| std::fs::read_to_string(p).ok();
        let ours = status("/proc/self/status");
        let theirs = status(&format!("{dir}/status"));
        AccessFacts {
            pid,
            visible: Path::new(&dir).exists(),
            yama_scope: status("/proc/sys/kernel/yama/ptrace_scope")
                .and_then(|s| s.trim().parse().ok()),
            cap_sys_ptrace: ours
                .as_deref()
                .and_then(|s| hex_field(s, "CapEff"))
                .map(|caps| caps & (1 << CAP_SYS_PTRACE) != 0),
            our_uids: ours.as_deref().and_then(|s| ids_field(s, "Uid")),
            target_uids: theirs.as_deref().and_then(|s| ids_field(s, "Uid")),
            proc_owner: rustix::fs::stat(dir.as_str()).ok().map(|st| st.st_uid),
        }
    }

    /// The cause of `err`, met while opening or reading the target's memory.
    pub fn explain(&self, err: io::Error) -> AccessError {
        let pid = self.pid;
        match err.raw_os_error().map(rustix::io::Errno::from_raw_os_error) {
            Some(rustix::io::Errno::SRCH) | Some(rustix::io::Errno::NOENT) => {
                return if self.visible {
                    AccessError::Gone { pid }
                } else {
                    AccessError::NotVisible { pid }
                }
            }
            Some(rustix::io::Errno::PERM) | Some(rustix::io::Errno::ACCESS) => {}
            _ => return AccessError::Other { pid, source: err },
        }
        if !self.visible {
            return AccessError::NotVisible { pid };
        }
        if self.yama_scope == Some(3) {
            return AccessError::PtraceDisabled { pid };
        }
        if self.cap_sys_ptrace == Some(true) {
            return AccessError::Refused { pid, source: err };
        }
        if self.yama_scope == Some(2) {
            return AccessError::AdminOnly { pid };
        }
        if let (Some(ours), Some(theirs)) = (self.our_uids, self.target_uids) {
            // The kernel compares our filesystem uid with all three of theirs.
            if theirs[..3].iter().any(|&u| u != ours[3]) {
                return AccessError::OtherUser {
                    pid,
                    target_uid: theirs[1],
                    our_uid: ours[3],
                };
            }
            if self.proc_owner.is_some_and(|o| o != theirs[1]) {
                return AccessError::NotDumpable { pid };
            }
        }
        if self.yama_scope == Some(1) {
            return AccessError::NotAncestor { pid };
        }
        AccessError::Refused { pid, source: err }
    }
}

/// [`AccessFacts::gather`] then [`AccessFacts::explain`]: the typed error
/// for a failure to open or read `/proc/PID/mem`.
#[must_use]
pub fn explain(pid: u32, err: io::Error) -> AccessError {
    AccessFacts::gather(pid).explain(err)
}

/// `Name:\t000001ffffffffff` of a `/proc/*/status` file.
#[must_use]
pub fn hex_field(status: &str, name: &str) -> Option<u64> {
    let v = field(status, name)?;
    u64::from_str_radix(v.trim(), 16).ok()
}

/// `Uid:\t1000\t1000\t1000\t1000` of a `/proc/*/status` file.
pub fn ids_field(status: &str, name: &str) -> Option<[u32; 4]> {
    let mut it = field(status, name)?.split_whitespace().map(str::parse);
    let mut ids = [0; 4];
    for id in &mut ids {
        *id = it.next()?.ok()?;
    }
    Some(ids)
}

fn field<'a>(status: &'a str, name: &str) -> Option<&'a str> {
    status
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::CommandExt;
    use std::process::{Child, Command};

    struct Reaped(Child);
    impl Drop for Reaped {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    fn eacces() -> io::Error {
        io::Error::from_raw_os_error(rustix::io::Errno::ACCESS.raw_os_error())
    }

    #[test]
    fn our_own_status_is_read() {
        let s = std::fs::read_to_string("/proc/self/status").unwrap();
        let uids = ids_field(&s, "Uid").unwrap();
        assert_eq!(uids[0], rustix::process::getuid().as_raw());
        assert_eq!(uids[1], rustix::process::geteuid().as_raw());
        let caps = hex_field(&s, "CapEff").unwrap();
        assert_eq!(hex_field(&s, "CapPrm").map(|p| caps & !p), Some(0));
        assert_eq!(ids_field(&s, "NoSuchField"), None);
        assert_eq!(hex_field("CapEff:\tzz\n", "CapEff"), None);
    }

    #[test]
    fn facts_of_a_child_process_are_ours() {
        let child = Reaped(Command::new("sleep").arg("60").spawn().unwrap());
        let f = AccessFacts::gather(child.0.id());
        assert!(f.visible);
        assert_eq!(f.target_uids, f.our_uids);
        assert_eq!(f.proc_owner, f.target_uids.map(|u| u[1]));
        let yama = std::fs::read_to_string("/proc/sys/kernel/yama/ptrace_scope").ok();
        assert_eq!(f.yama_scope, yama.and_then(|s| s.trim().parse().ok()));
        assert!(f.cap_sys_ptrace.is_some());
        // The same facts allow reading: a refusal must be something else.
        let plain = AccessFacts {
            yama_scope: None,
            cap_sys_ptrace: Some(false),
            ..f
        };
        let e = plain.explain(eacces());
        assert!(matches!(e, AccessError::Refused { .. }), "{e}");
        assert!(e.to_string().contains("seccomp"), "{e}");
    }

    #[test]
    fn another_users_process_is_named_with_both_uids() {
        if !rustix::process::geteuid().is_root() {
            eprintln!("skipped: starting a process as another user needs root");
            return;
        }
        let child = Reaped(
            Command::new("sleep")
                .arg("60")
                .uid(65534)
                .gid(65534)
                .spawn()
                .unwrap(),
        );
        let f = AccessFacts::gather(child.0.id());
        assert_eq!(f.target_uids, Some([65534; 4]));
        let without_cap = AccessFacts {
            cap_sys_ptrace: Some(false),
            yama_scope: Some(1),
            ..f.clone()
        };
        let e = without_cap.explain(eacces());
        let s = e.to_string();
        assert!(
            matches!(
                e,
                AccessError::OtherUser {
                    target_uid: 65534,
                    ..
                }
            ),
            "{s}"
        );
        assert!(
            s.contains("runs as uid 65534 and gostuck as uid 0, without CAP_SYS_PTRACE"),
            "{s}"
        );
        assert!(s.contains("--cap-add=SYS_PTRACE"), "{s}");
        // With the capability, the uid is no obstacle: something else is.
        let with_cap = AccessFacts {
            cap_sys_ptrace: Some(true),
            ..f
        };
        assert!(matches!(
            with_cap.explain(eacces()),
            AccessError::Refused { .. }
        ));
    }

    #[test]
    fn each_yama_scope_is_named_with_its_remedy() {
        let child = Reaped(Command::new("sleep").arg("60").spawn().unwrap());
        let f = AccessFacts {
            cap_sys_ptrace: Some(false),
            ..AccessFacts::gather(child.0.id())
        };
        let with = |scope| {
            AccessFacts {
                yama_scope: Some(scope),
                ..f.clone()
            }
            .explain(eacces())
        };
        let e = with(1);
        assert!(matches!(e, AccessError::NotAncestor { .. }), "{e}");
        assert!(e.to_string().contains("ptrace_scope is 1"), "{e}");
        assert!(
            e.to_string().contains("sysctl kernel.yama.ptrace_scope=0"),
            "{e}"
        );
        let e = with(2);
        assert!(matches!(e, AccessError::AdminOnly { .. }), "{e}");
        assert!(
            e.to_string().contains("only processes with CAP_SYS_PTRACE"),
            "{e}"
        );
        let e = with(3);
        assert!(matches!(e, AccessError::PtraceDisabled { .. }), "{e}");
        assert!(e.to_string().contains("until the next reboot"), "{e}");
        // Scope 3 stops root too.
        let root = AccessFacts {
            yama_scope: Some(3),
            cap_sys_ptrace: Some(true),
            ..f.clone()
        };
        assert!(matches!(
            root.explain(eacces()),
            AccessError::PtraceDisabled { .. }
        ));
        // A target whose /proc entry belongs to root is not dumpable.
        let e = AccessFacts {
            proc_owner: Some(u32::MAX),
            yama_scope: None,
            ..f
        }
        .explain(eacces());
        assert!(matches!(e, AccessError::NotDumpable { .. }), "{e}");
    }

    #[test]
    fn a_process_that_is_gone_or_invisible_is_told_apart() {
        let mut child = Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        let err = std::fs::File::open(format!("/proc/{pid}/mem")).unwrap_err();
        let e = explain(pid, err);
        assert!(matches!(e, AccessError::NotVisible { .. }), "{e}");
        assert!(e.to_string().contains("another PID namespace"), "{e}");
        // Visible when we looked, gone when we read.
        let child = Reaped(Command::new("sleep").arg("60").spawn().unwrap());
        let srch = io::Error::from_raw_os_error(rustix::io::Errno::SRCH.raw_os_error());
        let e = AccessFacts::gather(child.0.id()).explain(srch);
        assert!(matches!(e, AccessError::Gone { .. }), "{e}");
        // An unmapped address is no permission problem.
        let eio = io::Error::from_raw_os_error(rustix::io::Errno::IO.raw_os_error());
        assert!(matches!(
            AccessFacts::gather(child.0.id()).explain(eio),
            AccessError::Other { .. }
        ));
    }

    #[test]
    fn a_real_refusal_is_explained_for_an_unprivileged_reader() {
        // The kernel's own answer to nobody opening root's process memory.
        if !rustix::process::geteuid().is_root() {
            eprintln!("skipped: needs root to start a reader as another user");
            return;
        }
        let target = Reaped(Command::new("sleep").arg("60").spawn().unwrap());
        let out = Command::new("cat")
            .arg(format!("/proc/{}/mem", target.0.id()))
            .uid(65534)
            .gid(65534)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("Permission denied"), "{stderr}");
        // The facts as that reader sees them: another uid, no capability.
        let f = AccessFacts::gather(target.0.id());
        let nobody = AccessFacts {
            our_uids: Some([65534; 4]),
            cap_sys_ptrace: Some(false),
            ..f
        };
        let e = nobody.explain(eacces());
        assert!(
            e.to_string()
                .contains("runs as uid 0 and gostuck as uid 65534"),
            "{e}"
        );
    }
}
