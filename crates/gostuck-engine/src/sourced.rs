//! Running an analysis with the Go source files a command was given, or
//! without any: the reader's notes (files skipped, roots that matched
//! nothing) go into the report, and the local file read for each path the
//! dump printed is handed back for the renderers.

use std::collections::HashMap;
use std::path::PathBuf;

use gostuck_source::SourceFiles;

use crate::{note_sources, NoSources, Report, Sources};

/// A file as the dump printed it → the local file its source was read from,
/// for the files where the two differ (shown beside the text report's snippets).
pub type ReadFrom = HashMap<String, String>;

/// Runs `analysis` with `src` (`None`: no source, as with `--no-source`),
/// then notes what the reader skipped or never matched under `named_roots`
/// (the `--source` directories the user named).
pub fn with_source_files(
    src: Option<SourceFiles>,
    named_roots: &[PathBuf],
    analysis: impl FnOnce(&mut dyn Sources) -> Report,
) -> (Report, ReadFrom) {
    match src {
        None => (analysis(&mut NoSources), ReadFrom::new()),
        Some(mut s) => {
            let mut report = analysis(&mut s);
            note_sources(&mut report, &s, named_roots);
            let read_from = s.read_from();
            (report, read_from)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{analyze, Input, Options};

    fn input() -> Vec<Input> {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../testdata/captured/go1.27.3/abba.txt"
        );
        let bytes = std::fs::read(path).unwrap();
        let dumps =
            gostuck_dump::read_bytes(&bytes, &gostuck_dump::ReadOptions::default()).unwrap();
        let mut inputs = Vec::new();
        crate::push_dumps(&mut inputs, "abba.txt", dumps, false);
        inputs
    }

    #[test]
    fn without_source_nothing_is_read_from_disk() {
        let inputs = input();
        let (report, read_from) =
            with_source_files(None, &[], |s| analyze(&inputs, &Options::default(), s));
        assert!(read_from.is_empty());
        assert!(!report.findings.is_empty());
    }

    #[test]
    fn what_the_reader_skipped_becomes_a_note_of_the_report() {
        let inputs = input();
        let root = PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../testdata/scenarios/abba"
        ));
        // Every file is over a 16-byte limit: main.go is skipped, and said so.
        let files = SourceFiles::new(std::slice::from_ref(&root), 16);
        let (report, _) = with_source_files(Some(files), &[root], |s| {
            analyze(&inputs, &Options::default(), s)
        });
        let notes = &report.inputs[0].notes;
        assert!(
            notes
                .iter()
                .any(|n| n.starts_with("source file ") && n.contains("main.go skipped")),
            "{notes:?}"
        );
    }
}
