//! `gostuck explain`: the finding kinds' documentation (from
//! `gostuck_engine::kinds`) as a list, one kind, or Markdown (the source of
//! docs/findings.md).

use std::io::{self, Write};

use gostuck_engine::kinds::{KindDoc, KINDS};

/// Every kind with its title, one a line.
///
/// # Errors
/// Writing failed.
pub fn explain_list(out: &mut dyn Write) -> io::Result<()> {
    for k in KINDS {
        writeln!(out, "{:<22} {}", k.name, k.title)?;
    }
    Ok(())
}

/// Every kind as a Markdown section.
///
/// # Errors
/// Writing failed.
pub fn explain_markdown(out: &mut dyn Write) -> io::Result<()> {
    for k in KINDS {
        writeln!(out, "## `{}`\n\n{}.\n", k.name, k.title)?;
        writeln!(out, "- **What it means:** {}", k.meaning)?;
        writeln!(out, "- **How gostuck decides:** {}", k.rule)?;
        writeln!(out, "- **Fix:** {}", k.fix)?;
        if let Some(s) = k.scenario {
            writeln!(out, "- **Example:** `testdata/scenarios/{s}`")?;
        }
        writeln!(out)?;
    }
    Ok(())
}

/// One kind, in full.
///
/// # Errors
/// Writing failed.
pub fn explain_kind(out: &mut dyn Write, k: &KindDoc) -> io::Result<()> {
    writeln!(out, "{} — {}\n", k.name, k.title)?;
    writeln!(out, "What it means:\n  {}\n", k.meaning)?;
    writeln!(out, "How gostuck decides:\n  {}\n", k.rule)?;
    writeln!(out, "Fix:\n  {}", k.fix)?;
    if let Some(s) = k.scenario {
        writeln!(
            out,
            "\nExample: testdata/scenarios/{s} (gostuck analyze testdata/captured/go1.27.3/{s}.txt)"
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_markdown_is_docs_findings_md_section_for_section() {
        let mut md = Vec::new();
        explain_markdown(&mut md).unwrap();
        let md = String::from_utf8(md).unwrap();
        let doc = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../docs/findings.md"
        ))
        .unwrap();
        for k in KINDS {
            let head = format!("## `{}`\n", k.name);
            assert!(md.contains(&head) && doc.contains(&head), "{}", k.name);
        }
    }

    #[test]
    fn one_kind_names_its_example_scenario_when_it_has_one() {
        for k in KINDS {
            let mut out = Vec::new();
            explain_kind(&mut out, k).unwrap();
            let out = String::from_utf8(out).unwrap();
            assert!(out.starts_with(&format!("{} — ", k.name)));
            assert_eq!(
                out.contains("\nExample: testdata/scenarios/"),
                k.scenario.is_some()
            );
        }
        let mut list = Vec::new();
        explain_list(&mut list).unwrap();
        assert_eq!(
            String::from_utf8(list).unwrap().lines().count(),
            KINDS.len()
        );
    }
}
