//! Renderers for a gostuck [`Report`]. They compute nothing the engine should
//! know; they only lay it out.
#![deny(missing_docs)]

mod explain;
mod github;
mod graph;
mod html;
mod json;
mod sarif;
mod style;
mod text;
mod trace_text;

use std::collections::HashMap;
use std::io::Write;

use gostuck_engine::Report;

pub use explain::{explain_kind, explain_list, explain_markdown};
pub use style::{escape_controls, Style, TerminalSafe};
pub use trace_text::trace_text;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum OutputFormat {
    /// Human-readable text.
    Text,
    /// `gostuck.report.v1` JSON.
    Json,
    /// Markdown with a Mermaid graph per finding (renders on GitHub).
    Markdown,
    /// Graphviz DOT of the wait-for graph.
    Dot,
    /// SARIF 2.1.0 for code scanning (GitHub and other SARIF viewers).
    Sarif,
    /// GitHub Actions workflow commands (`::error file=…,line=…::…`).
    Github,
    /// One self-contained HTML page (inline CSS, JS and SVG).
    Html,
}

/// Where the files a dump names live in the repository, for the formats that
/// point into it (SARIF, GitHub annotations). The caller finds the files; the
/// renderers only look paths up.
#[derive(Debug, Clone, Default)]
pub struct RepoPaths {
    /// The repository root as a `file://` URI ending in `/`.
    pub root_uri: String,
    /// A file as the dump printed it → its path relative to the root, with `/`
    /// separators. Files not in the map are shown as printed.
    pub files: HashMap<String, String>,
}

/// Why rendering failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RenderError {
    /// Writing the output failed.
    #[error("writing the report failed: {0}")]
    Io(#[from] std::io::Error),
    /// JSON serialisation failed.
    #[error("serialising the report failed: {0}")]
    Json(#[from] serde_json::Error),
}

/// `1 goroutine`, `3 goroutines` (`gostuck_dump::human::count`, re-exported for
/// the renderers and the CLI).
pub use gostuck_dump::human::count;

/// Options for rendering.
#[derive(Debug, Clone, Default)]
pub struct RenderOptions {
    /// Colour and emphasis (text only).
    pub style: Style,
    /// Show every goroutine ID and every frame instead of folding (text only).
    pub verbose: bool,
    /// Repository-relative paths (SARIF and GitHub annotations).
    pub repo: Option<RepoPaths>,
    /// A file as the dump printed it → the local file its source lines were
    /// read from, where the two differ (text only: shown beside each snippet).
    pub read_from: HashMap<String, String>,
}

/// Writes `report` in `format` to `w`.
pub fn render(
    report: &Report,
    format: OutputFormat,
    opts: &RenderOptions,
    w: &mut dyn Write,
) -> Result<(), RenderError> {
    match format {
        OutputFormat::Text => text::render(report, opts, w)?,
        // No colour in these: the whole output is made terminal-safe at once.
        OutputFormat::Markdown => graph::markdown(report, &mut TerminalSafe::new(w))?,
        OutputFormat::Dot => graph::dot(report, &mut TerminalSafe::new(w))?,
        // Machine formats keep the exact strings, escaped by their own rules
        // (JSON, SARIF's JSON, workflow-command escapes, HTML entities).
        OutputFormat::Sarif => {
            sarif::write(report, opts.repo.as_ref(), w)?;
            writeln!(w)?;
        }
        OutputFormat::Github => github::write(report, opts.repo.as_ref(), w)?,
        OutputFormat::Html => html::write(report, w)?,
        OutputFormat::Json => {
            json::write(w, report)?;
            writeln!(w)?;
        }
    }
    Ok(())
}
