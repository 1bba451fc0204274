//! Prints what a snapshot of process PID holds, one goroutine after another
//! (a debugging aid; `gostuck attach` is the tool).
//!
//! cargo run -p gostuck-attach --example attach_print -- PID [GOID]

use gostuck_attach::{snapshot, Binary, ProcessMemory, SnapshotOptions};

fn main() {
    let mut args = std::env::args().skip(1);
    let pid: u32 = args
        .next()
        .expect("usage: attach_print PID [GOID]")
        .parse()
        .unwrap();
    let only: Option<u64> = args.next().map(|s| s.parse().unwrap());
    let bin = Binary::open(format!("/proc/{pid}/exe").as_ref()).unwrap();
    let mem = ProcessMemory::open(pid).unwrap();
    let snap = snapshot(&mem, &bin, &SnapshotOptions::default()).unwrap();
    let d = &snap.dump;
    for w in &d.warnings {
        println!("warning: {w}");
    }
    for g in d
        .goroutines
        .iter()
        .filter(|g| only.is_none() || g.id == only)
    {
        println!("\ngoroutine {} [{}]:", g.id.unwrap_or(0), d.str(g.state));
        for f in g.frames.iter() {
            println!(
                "{}({})\n\t{}:{}",
                d.str(f.function),
                d.str(f.args),
                d.str(f.file),
                f.line
            );
        }
        if let Some(c) = &g.created_by {
            println!(
                "created by {} in goroutine {:?}\n\t{}:{}",
                d.str(c.function),
                c.parent,
                d.str(c.file),
                c.line
            );
        }
    }
}
