//! Renderers for a gostuck [`Report`]. They compute nothing the engine should
//! know; they only lay it out.
#![deny(missing_docs)]

mod graph;
mod json;
mod style;
mod text;

use std::io::Write;

use gostuck_engine::Report;

pub use style::{escape_controls, Style, TerminalSafe};

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

/// Options for rendering.
#[derive(Debug, Clone, Default)]
pub struct RenderOptions {
    /// Colour and emphasis (text only).
    pub style: Style,
    /// Show every goroutine ID and every frame instead of folding (text only).
    pub verbose: bool,
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
        OutputFormat::Json => {
            json::write(w, report)?;
            writeln!(w)?;
        }
    }
    Ok(())
}
