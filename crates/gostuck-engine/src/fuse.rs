//! Evidence only adds up: a dump and an execution trace of the same process
//! together know at least what each knows alone.
//!
//! Contract: given the dumps' report (with the trace's evidence already
//! attached by [`crate::trace_evidence`]) and the report of the trace
//! analysed alone ([`crate::analyze_trace`]), every finding the trace
//! supports alone survives: one a dump finding covers (same kind and a
//! shared goroutine or blocked line) takes the stronger confidence and
//! says the trace agrees; one no dump finding covers is added, marked as the
//! trace's — unless the dump, taken after the trace ended, shows none of its
//! goroutines still waiting there (they moved on or exited: later evidence
//! refutes it). The verdict and summary are derived again from the findings.

use crate::report::{Finding, Report, Verdict};

/// Adds what `trace_alone` found to `report` (see the module docs).
pub fn fuse_trace_findings(report: &mut Report, trace_alone: &Report) {
    let still_waiting = waiting_in_dump(report);
    let mut added = false;
    for t in &trace_alone.findings {
        match report.findings.iter_mut().find(|d| same_finding(d, t)) {
            Some(d) => {
                if t.confidence < d.confidence {
                    d.confidence = t.confidence;
                }
                d.explanation.push_str(
                    " The execution trace agrees: these goroutines were blocked there when it ended.",
                );
            }
            None if still_waiting
                .as_ref()
                .is_some_and(|w| !t.goroutines.iter().any(|g| w.contains(g))) => {}
            None => {
                let mut f = t.clone();
                f.explanation = format!(
                    "From the execution trace (the dump alone did not show it): {}",
                    f.explanation
                );
                report.findings.push(f);
                added = true;
            }
        }
    }
    if !added {
        return;
    }
    for (k, f) in report.findings.iter_mut().enumerate() {
        f.id = format!("F{}", k + 1);
    }
    if report.verdict != Verdict::GlobalDeadlock {
        report.verdict = crate::verdict_from(&report.findings, false, report.goroutines.total);
    }
    crate::resummarize(report);
}

/// IDs of the goroutines the dumps show waiting at a user line, or `None`
/// when the dumps carry no IDs (pprof `debug=1`/`debug=0`): then nothing
/// can be refuted.
fn waiting_in_dump(report: &Report) -> Option<std::collections::HashSet<u64>> {
    let dumped: Vec<_> = report
        .groups
        .iter()
        .filter(|g| {
            report
                .inputs
                .get(g.input)
                .is_some_and(|i| i.format != "trace")
        })
        .collect();
    if dumped.iter().all(|g| g.goroutines.is_empty()) {
        return None;
    }
    Some(
        dumped
            .iter()
            .filter(|g| {
                g.user_frame.is_some() && !matches!(g.state.as_str(), "running" | "runnable")
            })
            .flat_map(|g| g.goroutines.iter().copied())
            .collect(),
    )
}

/// The same finding seen from both inputs: the same kind, and a goroutine or
/// a blocked line in common.
fn same_finding(d: &Finding, t: &Finding) -> bool {
    if d.kind != t.kind {
        return false;
    }
    let shared_goroutine = d.goroutines.iter().any(|g| t.goroutines.contains(g));
    let blocked = |f: &Finding| -> Vec<(String, u32)> {
        f.locations
            .iter()
            .filter(|l| l.role == "blocked")
            .map(|l| (crate::short_path(&l.file).to_string(), l.line))
            .collect()
    };
    let tb = blocked(t);
    shared_goroutine || blocked(d).iter().any(|b| tb.contains(b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use gostuck_dump::{read_bytes, ReadOptions};

    fn captured(name: &str) -> Vec<u8> {
        let p = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../testdata/captured/go1.27.3/traces/"
        );
        std::fs::read(format!("{p}{name}")).unwrap()
    }

    /// The dump's report of `dumped.dump.txt` and the trace's own report,
    /// from the real capture (no source: the rule is about the reports).
    fn reports() -> (Report, Report) {
        let dump = read_bytes(&captured("dumped.dump.txt"), &ReadOptions::default())
            .unwrap()
            .remove(0);
        let inputs = [crate::Input {
            path: "dump".into(),
            dump,
        }];
        let opts = crate::Options::default();
        let from_dump = crate::analyze(&inputs, &opts, &mut crate::NoSources);
        let bytes = captured("dumped.trace");
        let mut reader = gostuck_trace::Reader::new(&bytes[..]).unwrap();
        let mut an = gostuck_trace::Analyzer::with_options(Default::default());
        while let Some(ev) = reader.read_event_ref().unwrap() {
            an.event(ev);
        }
        let analysis = an.finish();
        let t = crate::TraceInput {
            path: "trace",
            format: "trace",
            analysis: &analysis,
            error: None,
        };
        let alone = crate::analyze_trace(&t, &opts, &mut crate::NoSources);
        (from_dump, alone)
    }

    #[test]
    fn a_finding_only_the_trace_supports_survives_with_the_verdict_it_implies() {
        let (mut from_dump, alone) = reports();
        assert!(!alone.findings.is_empty());
        // The dump alone missing everything (as a dump taken another way may).
        from_dump.findings.clear();
        from_dump.verdict = Verdict::Healthy;
        fuse_trace_findings(&mut from_dump, &alone);
        let waiting = waiting_in_dump(&from_dump).unwrap();
        let kept: Vec<_> = alone
            .findings
            .iter()
            .filter(|f| f.goroutines.iter().any(|g| waiting.contains(g)))
            .collect();
        assert!(!kept.is_empty());
        for f in kept {
            assert!(
                from_dump.findings.iter().any(|g| same_finding(g, f)),
                "{} {:?} lost",
                f.kind,
                f.goroutines
            );
        }
        assert_ne!(from_dump.verdict, Verdict::Healthy);
        assert!(from_dump
            .findings
            .iter()
            .all(|f| f.explanation.starts_with("From the execution trace")));
    }

    #[test]
    fn a_trace_finding_the_later_dump_refutes_is_not_added() {
        let (mut from_dump, alone) = reports();
        fuse_trace_findings(&mut from_dump, &alone);
        // goroutine 9 waited when the trace ended and was released before the dump.
        assert!(alone.findings.iter().any(|f| f.goroutines == [9]));
        assert!(!from_dump.findings.iter().any(|f| f.goroutines == [9]));
        // (Without source the dump alone finds nothing here: the trace's
        // findings by wait reason are what the fused report keeps.)
        assert!(!from_dump.findings.is_empty());
    }
}
