//! Analyses on the captured traces of `testdata/traces/prog`, for every Go
//! version captured. The assertions are about what the program certainly
//! did, not about scheduling details that vary between runs.

use std::fs;
use std::path::{Path, PathBuf};

use gostuck_trace::{analyze, summarize, Analysis, GoState, Reader, NO_TASK};

fn versions() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/captured");
    let mut v: Vec<PathBuf> = fs::read_dir(root)
        .into_iter()
        .flatten()
        .flatten()
        .map(|d| d.path().join("traces"))
        .filter(|p| p.join("deadlocked.parsed.txt").exists())
        .collect();
    v.sort();
    v
}

fn load(dir: &Path, name: &str) -> Analysis {
    let bytes = fs::read(dir.join(name)).unwrap();
    analyze(Reader::new(&bytes[..]).unwrap()).unwrap()
}

fn user_func(a: &Analysis, id: i64) -> String {
    a.goroutines[&id].start_func().unwrap_or("").to_owned()
}

#[test]
fn deadlocked_goroutines_are_found_and_grouped() {
    let dirs = versions();
    for dir in &dirs {
        let a = load(dir, "deadlocked.trace");
        let ctx = dir.display();
        let groups = a.blocked_at_end();
        let site = |g: &gostuck_trace::BlockedGroup| {
            g.site.as_ref().map(|s| s.func.clone()).unwrap_or_default()
        };
        let find = |func: &str| groups.iter().find(|g| site(g) == func);

        // The two goroutines of the lock-order inversion, one each.
        for f in ["main.deadlocked.func1", "main.deadlocked.func2"] {
            let g = find(f).unwrap_or_else(|| panic!("{ctx}: no group at {f}: {groups:#?}"));
            assert_eq!(g.reason, "sync", "{ctx}");
            assert_eq!(g.goroutines.len(), 1, "{ctx}");
            let id = g.goroutines[0];
            let info = &a.goroutines[&id];
            assert_eq!(info.created_by, 1, "{ctx}");
            assert_eq!(user_func(&a, id), f, "{ctx}");
            assert!(info.since > a.start && info.since < a.end, "{ctx}");
            assert!(info.blocked["sync"] > 0, "{ctx}");
            // First blocked on <-start, woken by main's close(start).
            assert_eq!(info.unblocked_by.get(&1), Some(&1), "{ctx}: {info:#?}");
            let u = info.last_unblock.as_ref().unwrap();
            assert_eq!(u.by, 1, "{ctx}");
            let ustack = u.stack.as_ref().expect("unblock stack");
            assert!(ustack.iter().any(|f| f.func == "main.deadlocked"), "{ctx}");
            // Where it blocked: the Lock call in its own function.
            let stack = info.stack.as_ref().unwrap();
            assert!(stack.iter().any(|fr| fr.func == f && fr.line > 0), "{ctx}");
        }
        // The leaked receivers share one site.
        let recv = find("main.leak.func1").expect("receivers");
        assert_eq!(recv.reason, "chan receive", "{ctx}");
        assert!((2..=3).contains(&recv.goroutines.len()), "{ctx}: {recv:?}");
        let forever = find("main.leak.func6").expect("select {}");
        assert_eq!(forever.reason, "forever", "{ctx}");
        assert_eq!(find("main.leak.func5").expect("select").reason, "select");
        assert_eq!(find("main.leak.func4").expect("wg.Wait").reason, "sync");
        // Groups are sorted, largest first.
        assert!(groups
            .windows(2)
            .all(|w| w[0].goroutines.len() >= w[1].goroutines.len()));
        // main is running when the trace stops.
        assert_eq!(a.goroutines[&1].state, GoState::Running, "{ctx}");
        assert!(a.goroutines[&1].existed_at_start, "{ctx}");
    }
    assert!(dirs.len() >= 5 || dirs.is_empty(), "{dirs:?}");
}

#[test]
fn tasks_regions_and_logs() {
    for dir in versions() {
        let a = load(&dir, "mixed.trace");
        let ctx = dir.display();
        let mixed = a.tasks.values().find(|t| t.name == "mixed").expect("task");
        assert_eq!(mixed.parent, NO_TASK, "{ctx}");
        assert!(mixed.start.is_some() && mixed.end.is_some(), "{ctx}");
        assert_eq!(mixed.created_by, 1, "{ctx}");
        let workers: Vec<_> = a.tasks.values().filter(|t| t.name == "worker").collect();
        assert_eq!(workers.len(), 4, "{ctx}");
        assert!(workers
            .iter()
            .all(|t| t.parent == mixed.id && t.end.is_some()));

        let main = &a.goroutines[&1];
        let names: Vec<&str> = main.regions.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["collect", "garbage"], "{ctx}");
        assert!(main
            .regions
            .iter()
            .all(|r| r.end.is_some() && r.task == mixed.id));
        let phases: Vec<&str> = main
            .logs
            .iter()
            .filter(|l| l.category == "phase")
            .map(|l| l.message.as_str())
            .collect();
        assert_eq!(phases.len(), 2, "{ctx}");
        assert_eq!(phases[0], "start");
        assert!(
            phases[1].starts_with("done sum=6 counter=12"),
            "{ctx}: {phases:?}"
        );

        let mut ids = Vec::new();
        for g in a.goroutines.values() {
            if g.start_func() == Some("main.mixed.func1") {
                assert_eq!(g.state, GoState::NotExist, "{ctx}");
                assert!(g.ended_at.is_some());
                assert_eq!(g.regions.len(), 1);
                assert_eq!(g.regions[0].name, "compute");
                assert!(g.regions[0].end.is_some());
                let log = g.logs.iter().find(|l| l.category == "worker").unwrap();
                ids.push(log.message.clone());
                assert!(g.running > 0);
            }
        }
        ids.sort();
        assert_eq!(ids, ["id=0", "id=1", "id=2", "id=3"], "{ctx}");
    }
}

#[test]
fn summary_of_every_capture() {
    let mut n = 0;
    for dir in versions() {
        for entry in fs::read_dir(&dir).unwrap().flatten() {
            let p = entry.path();
            if p.extension().and_then(|e| e.to_str()) != Some("trace") {
                continue;
            }
            let bytes = fs::read(&p).unwrap();
            let s = summarize(Reader::new(&bytes[..]).unwrap()).unwrap();
            assert!(s.end >= s.start && s.events > 0, "{}", p.display());
            assert!(s.goroutines.windows(2).all(|w| w[0].id < w[1].id));
            for g in &s.goroutines {
                let total = g.running + g.runnable + g.syscall + g.blocked_total();
                assert!(total <= s.end - s.start + 1, "{}: {g:?}", p.display());
                assert!(
                    g.since >= s.start && g.since <= s.end,
                    "{}: {g:?}",
                    p.display()
                );
            }
            let text = s.to_string();
            assert!(text.contains("goroutines:"));
            n += 1;
        }
    }
    eprintln!("summarized {n} traces");
}

#[test]
fn syscalls_and_cgo() {
    for dir in versions() {
        let ctx = dir.display();
        let a = load(&dir, "syscall.trace");
        let sleepers: Vec<_> = a
            .goroutines
            .values()
            .filter(|g| g.start_func() == Some("main.syscalls.func1"))
            .collect();
        assert_eq!(sleepers.len(), 3, "{ctx}");
        for g in sleepers {
            // 30ms in syscall.Nanosleep.
            assert!(g.syscall >= 20_000_000, "{ctx}: {g:?}");
            assert_eq!(g.state, GoState::NotExist);
        }
        let a = load(&dir, "cgo.trace");
        // Goroutines created for C-thread callbacks start in a syscall (the
        // runtime reuses one goroutine per extra M, so IDs repeat).
        let cgo = a
            .goroutines
            .values()
            .filter(|g| g.created_at.is_some() && g.start_stack.is_none())
            .count();
        assert!(cgo >= 1, "{ctx}: {cgo}");
    }
}

#[test]
fn blocking_intervals_and_the_sync_profile() {
    for dir in &versions() {
        let ctx = dir.display();
        let bytes = fs::read(dir.join("deadlocked.trace")).unwrap();
        let a = analyze(Reader::new(&bytes[..]).unwrap()).unwrap();
        for g in a.goroutines.values() {
            let Some(f) = g.start_func() else { continue };
            if f != "main.deadlocked.func1" && f != "main.deadlocked.func2" {
                continue;
            }
            // <-start, woken by main; then the Lock that never returns.
            assert_eq!(g.block_count, 2, "{ctx}");
            assert_eq!(g.intervals.len(), 1, "{ctx}");
            let first = &g.intervals[0];
            assert_eq!(first.reason, "chan receive", "{ctx}");
            assert_eq!(first.unblocked_by, Some(1), "{ctx}");
            assert!(first.end.unwrap() > first.start);
            let open = g.current_block.as_ref().expect("blocked at the end");
            assert_eq!(open.reason, "sync", "{ctx}");
            assert!(open.end.is_none() && open.start >= first.end.unwrap());
            assert!(g.first_running.is_some_and(|t| t <= first.start));
        }
        // The profile counts the completed channel waits, not the open ones.
        let mut p = gostuck_trace::pprof::SyncProfiler::default();
        let mut r = Reader::new(&bytes[..]).unwrap();
        while let Some(ev) = r.read_event_ref().unwrap() {
            p.event(ev);
        }
        let recs = p.finish();
        let chan = recs
            .iter()
            .find(|r| r.frames.iter().any(|f| f.func == "main.deadlocked.func1"))
            .unwrap_or_else(|| panic!("{ctx}: {recs:#?}"));
        assert_eq!(chan.count, 1, "{ctx}");
        assert_eq!(chan.frames[0].func, "runtime.chanrecv1", "{ctx}");
        assert!(recs.iter().all(|r| r.count > 0 && r.time > 0));
        let pb = gostuck_trace::pprof::encode_profile(&recs);
        assert_eq!(decoded_records(&pb), as_tuples(&recs), "{ctx}");
    }
}

type RecordTuple = (Vec<(String, String, i64, u64)>, i64, i64);

fn as_tuples(recs: &[gostuck_trace::pprof::ProfileRecord]) -> Vec<RecordTuple> {
    recs.iter()
        .map(|r| {
            let frames = r
                .frames
                .iter()
                .map(|f| (f.func.clone(), f.file.clone(), f.line.cast_signed(), f.pc))
                .collect();
            (frames, r.count, r.time)
        })
        .collect()
}

/// The written profile read back with the schema the goroutine-profile
/// reader uses: the same stacks, counts and delays, and the sample and
/// period types `go tool trace -pprof=sync` writes.
fn decoded_records(pb: &[u8]) -> Vec<RecordTuple> {
    use gostuck_dump::pprof_proto::schema::Profile;
    use prost::Message;
    let p = Profile::decode(pb).expect("our profile decodes");
    let s = |i: i64| p.string_table[usize::try_from(i).unwrap()].clone();
    let types: Vec<(String, String)> = p
        .sample_type
        .iter()
        .map(|t| (s(t.r#type), s(t.unit)))
        .collect();
    assert_eq!(
        types,
        [
            ("contentions".to_string(), "count".to_string()),
            ("delay".to_string(), "nanoseconds".to_string())
        ]
    );
    let period = p.period_type.as_ref().expect("period type");
    assert_eq!(
        (s(period.r#type), s(period.unit), p.period),
        ("trace".into(), "count".into(), 1)
    );
    p.sample
        .iter()
        .map(|smp| {
            let frames = smp
                .location_id
                .iter()
                .map(|id| {
                    let loc = p.location.iter().find(|l| l.id == *id).expect("location");
                    let line = &loc.line[0];
                    let f = p
                        .function
                        .iter()
                        .find(|f| f.id == line.function_id)
                        .expect("function");
                    assert_eq!(f.system_name, f.name);
                    (s(f.name), s(f.filename), line.line, loc.address)
                })
                .collect();
            (frames, smp.value[0], smp.value[1])
        })
        .collect()
}
