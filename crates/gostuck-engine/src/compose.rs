//! One report from everything a command read: the dumps, the execution
//! traces beside them (or alone), the scheduler/GC traces, and notes on the
//! source files looked for.

use std::path::{Path, PathBuf};

use gostuck_dump::Dump;
use gostuck_sched::SchedLog;
use gostuck_source::{SourceFile, SourceFiles};

use crate::{
    analyze, analyze_trace, fuse_trace_findings, trace_evidence, Input, InputSummary, Options,
    Report, Sources, TraceInput, Verdict,
};

impl Sources for SourceFiles {
    fn file(&mut self, dump_path: &str) -> Option<&SourceFile> {
        SourceFiles::file(self, dump_path)
    }

    fn package_files(&mut self, dump_path: &str) -> Option<Vec<String>> {
        SourceFiles::package_files(self, dump_path)
    }
}

/// Turns the dumps of one input into engine inputs: the last dump, or all of
/// them with `#N` suffixes.
pub fn push_dumps(out: &mut Vec<Input>, path: &str, mut dumps: Vec<Dump>, all_dumps: bool) {
    let n = dumps.len();
    if n > 1 && !all_dumps {
        let mut last = dumps.pop().expect("n > 1");
        last.notes.insert(
            0,
            format!(
                "{n} dumps read from the input; analysing the last one, from line {} (use --all-dumps for all)",
                last.first_line
            ),
        );
        out.push(Input {
            path: path.to_string(),
            dump: last,
        });
        return;
    }
    for (k, d) in dumps.into_iter().enumerate() {
        let path = if n > 1 {
            format!("{path}#{}", k + 1)
        } else {
            path.to_string()
        };
        out.push(Input { path, dump: d });
    }
}

/// Runs the engine over the dumps and adds the execution traces' evidence; a
/// trace without any dump is analysed on its own (findings `possible` at
/// most), and what each trace shows alone survives beside the dumps' findings.
pub fn analyze_with_traces(
    inputs: &[Input],
    traces: &[TraceInput<'_>],
    opts: &Options,
    src: &mut dyn Sources,
) -> Report {
    let alone_only = inputs.is_empty() && !traces.is_empty();
    let mut report = match traces.first() {
        Some(first) if alone_only => analyze_trace(first, opts, src),
        _ => analyze(inputs, opts, src),
    };
    let trace_opts = Options {
        why: None,
        ..opts.clone()
    };
    for t in traces.iter().skip(usize::from(alone_only)) {
        trace_evidence(&mut report, t);
        let alone = analyze_trace(t, &trace_opts, src);
        fuse_trace_findings(&mut report, &alone);
    }
    report
}

/// After the engine ran: notes on the report's first input for the source
/// files found but not read, and for each of `named_roots` (the user's
/// `--source` directories) under which no file of the dump was found while
/// some were missing, naming a few of the paths that were looked for.
pub fn note_sources(report: &mut Report, files: &SourceFiles, named_roots: &[PathBuf]) {
    let mut notes: Vec<String> = files
        .skipped()
        .iter()
        .map(|(path, why)| format!("source file {} skipped: {why}", path.display()))
        .collect();
    notes.extend(unmatched_roots(report, files, named_roots));
    if let Some(first) = report.inputs.first_mut() {
        first.notes.extend(notes);
    }
}

fn unmatched_roots(report: &Report, files: &SourceFiles, roots: &[PathBuf]) -> Vec<String> {
    const SHOWN: usize = 3;
    let mut wanted: Vec<&str> = report
        .inputs
        .iter()
        .flat_map(|i| i.missing_source.iter().map(String::as_str))
        .collect();
    wanted.sort_unstable();
    wanted.dedup();
    // Every file looked for was found (at the path the dump printed):
    // the roots were not needed, which is no problem.
    if wanted.is_empty() {
        return Vec::new();
    }
    let more = wanted.len().saturating_sub(SHOWN);
    let looked = format!(
        "looked for {}{} (a file matches by name, the longest common path suffix winning)",
        wanted[..wanted.len().min(SHOWN)].join(", "),
        if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        }
    );
    files
        .unused_roots(roots)
        .into_iter()
        .map(|root: &Path| {
            format!(
                "--source {}: nothing under it matched a source file of the dump; {looked}",
                root.display()
            )
        })
        .collect()
}

/// Adds a scheduler/GC trace to the report as an input whose warnings are the
/// trace's evidence and whose note says what the trace covers (information,
/// not a warning). Appended after the engine ran: the engine sees dumps only.
pub fn add_sched(report: &mut Report, path: &str, log: &SchedLog) {
    let notes = vec![format!("schedtrace: {}", log.summary())];
    let evidence = log
        .evidence()
        .into_iter()
        .map(|e| format!("schedtrace [{}]: {}", e.kind.as_str(), e.message))
        .collect();
    if report.goroutines.total == 0 && report.verdict == Verdict::Unknown {
        report.summary = "No goroutine dump in the input: the scheduler trace's evidence is below; a dump of the same process (SIGQUIT, or `gostuck run`) shows what each goroutine waits on.".to_string();
    }
    report.inputs.push(InputSummary {
        path: path.to_string(),
        format: "schedtrace",
        go_version: None,
        goroutines: log.goroutines().map_or(0, u64::from),
        warnings: evidence,
        notes,
        missing_source: Vec::new(),
        fatal_error: None,
        panics: Vec::new(),
        signal: None,
        running_tests: Vec::new(),
        profile: None,
    });
}
