//! Facts a group keeps about its members, on real captures: each member's
//! creator, `locked to thread`, frames the runtime elided, and which group a
//! profile's summary calls the top one.

use std::path::Path;

use gostuck_dump::{read_bytes, ReadOptions};
use gostuck_engine::{analyze, GroupOut, Input, NoSources, Options, Report};

fn report_of(rel: &str) -> Report {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/captured")
        .join(rel);
    let mut dumps = read_bytes(&std::fs::read(path).unwrap(), &ReadOptions::default()).unwrap();
    let dump = dumps.pop().unwrap();
    let inputs = [Input {
        path: rel.to_string(),
        dump,
    }];
    analyze(&inputs, &Options::default(), &mut NoSources)
}

fn group_with(r: &Report, id: u64) -> &GroupOut {
    r.groups
        .iter()
        .find(|g| g.goroutines.contains(&id))
        .unwrap()
}

#[test]
fn members_created_at_different_go_statements_keep_their_creators() {
    for v in ["go1.21.13", "go1.22.10", "go1.24.11", "go1.27.3"] {
        // logs: one fetch goroutine is started at main.go:55, three at main.go:61.
        let r = report_of(&format!("{v}/logs.txt"));
        let g = r.groups.iter().find(|g| g.state == "chan receive").unwrap();
        assert_eq!(g.goroutines.len(), 4, "{v}");
        let by_line: Vec<(u32, usize)> = g
            .creators
            .iter()
            .map(|c| (c.created_by.line, c.goroutines.len()))
            .collect();
        assert_eq!(by_line, [(55, 1), (61, 3)], "{v}");
        let mut members: Vec<u64> = g
            .creators
            .iter()
            .flat_map(|c| c.goroutines.clone())
            .collect();
        members.sort_unstable();
        let mut want = g.goroutines.clone();
        want.sort_unstable();
        assert_eq!(members, want, "{v}: every member under its creator");
        assert!(g.creators.iter().all(|c| c.created_by.goroutine == Some(1)));
        // One creator for all: no list.
        let single = r
            .groups
            .iter()
            .find(|g| g.state == "sync.Mutex.Lock")
            .unwrap();
        assert!(single.creators.is_empty() && single.created_by.is_some());
    }
}

#[test]
fn locked_to_thread_and_elided_frames_are_kept() {
    for v in ["go1.21.13", "go1.22.10", "go1.24.11", "go1.27.3"] {
        let r = report_of(&format!("{v}/testprog/LockedDeadlock.txt"));
        assert_eq!(group_with(&r, 1).locked_to_thread, [1], "{v}");
        let r = report_of(&format!("{v}/deep-recursion.txt"));
        let deep = r.groups.iter().find(|g| g.state == "chan send").unwrap();
        let e = deep.elided.as_ref().expect("the runtime elided frames");
        assert_eq!((e.kind, e.frames), ("middle", Some(52)), "{v}");
        let json = serde_json::to_value(deep).unwrap();
        assert_eq!(json["elided"]["kind"], "middle");
        assert!(group_with(&r, 1).elided.is_none());
    }
}

#[test]
fn a_profiles_top_group_is_its_largest() {
    for v in ["go1.21.13", "go1.22.10", "go1.24.11", "go1.27.3"] {
        let r = report_of(&format!("{v}/pprof-http-goroutine-debug1.txt"));
        let largest = r.groups.iter().map(|g| g.count).max().unwrap();
        assert!(largest > 1);
        assert!(
            r.summary
                .contains(&format!("the top group is {largest} goroutines")),
            "{v}: {}",
            r.summary
        );
    }
}
