//! SARIF 2.1.0 (OASIS Static Analysis Results Interchange Format), for GitHub
//! code scanning and other SARIF viewers: one rule per finding kind (its
//! `gostuck explain` text), one result per finding. The primary location is
//! the line a goroutine is blocked at; every other line of the finding is a
//! related location.

use std::io::Write;

use gostuck_engine::kinds::{kind_doc, KINDS};
use gostuck_engine::{Confidence, Finding, Location, Report};
use serde_json::{json, Value};

use crate::RepoPaths;

/// The base ID artifact URIs are relative to (the repository root).
pub(crate) const SRCROOT: &str = "SRCROOT";

/// Where `docs/findings.md` is published: the rules' help links.
const FINDINGS_DOC: &str = concat!(env!("CARGO_PKG_REPOSITORY"), "/blob/main/docs/findings.md");

pub(crate) fn level(c: Confidence) -> &'static str {
    match c {
        Confidence::Certain => "error",
        Confidence::Likely => "warning",
        Confidence::Possible => "note",
    }
}

/// SARIF's `precision` property, as GitHub code scanning reads it.
fn precision(c: Confidence) -> &'static str {
    match c {
        Confidence::Certain => "very-high",
        Confidence::Likely => "high",
        Confidence::Possible => "medium",
    }
}

fn rule(kind: &str) -> Value {
    let Some(d) = kind_doc(kind) else {
        return json!({"id": kind, "helpUri": format!("{FINDINGS_DOC}#{kind}")});
    };
    let help = format!(
        "{}\n\nHow gostuck decides: {}\n\nFix: {}",
        d.meaning, d.rule, d.fix
    );
    let markdown = format!(
        "**{}**\n\n{}\n\n**How gostuck decides:** {}\n\n**Fix:** {}",
        d.title, d.meaning, d.rule, d.fix
    );
    json!({
        "id": d.name,
        "name": camel(d.name),
        "shortDescription": {"text": d.title},
        "fullDescription": {"text": d.meaning},
        "help": {"text": help, "markdown": markdown},
        "helpUri": format!("{FINDINGS_DOC}#{}", d.name),
        "properties": {"tags": ["concurrency", "go", "deadlock"]},
    })
}

/// `lock-cycle` → `LockCycle` (SARIF's rule `name` is an identifier).
fn camel(kind: &str) -> String {
    kind.split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// The artifact location of a file as the dump printed it: relative to the
/// repository root when it lies under it, else the path as printed.
fn artifact(file: &str, repo: Option<&RepoPaths>) -> Value {
    match repo.and_then(|r| r.files.get(file)) {
        Some(rel) => json!({"uri": uri_escape(rel), "uriBaseId": SRCROOT}),
        None if file.starts_with('/') => json!({"uri": format!("file://{}", uri_escape(file))}),
        None => json!({"uri": uri_escape(file)}),
    }
}

/// Percent-encodes what may not appear in a URI path.
pub(crate) fn uri_escape(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~!$&'()*+,;=:@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn role_text(l: &Location) -> String {
    let who = l
        .goroutine
        .map(|g| format!("goroutine {g} "))
        .unwrap_or_default();
    let what = match l.role {
        "blocked" => "blocked here",
        "acquired" => "acquired the lock here",
        "would-release" => "would release it here",
        "would-send" => "would send here",
        "would-receive" => "would receive here",
        "created" => "created here",
        other => other,
    };
    format!("{who}{what} ({})", l.function)
}

fn location(l: &Location, repo: Option<&RepoPaths>, id: Option<usize>) -> Value {
    let mut v = json!({
        "physicalLocation": {
            "artifactLocation": artifact(&l.file, repo),
            "region": {"startLine": l.line.max(1)},
        },
        "logicalLocations": [{"fullyQualifiedName": l.function, "kind": "function"}],
        "message": {"text": role_text(l)},
    });
    if let Some(id) = id {
        v["id"] = json!(id);
    }
    v
}

/// The index of the primary location: the first blocked line, else the first.
pub(crate) fn primary(f: &Finding) -> Option<usize> {
    f.locations
        .iter()
        .position(|l| l.role == "blocked")
        .or((!f.locations.is_empty()).then_some(0))
}

fn result(f: &Finding, rule_index: usize, repo: Option<&RepoPaths>) -> Value {
    let first = primary(f);
    let locations: Vec<Value> = first
        .map(|i| vec![location(&f.locations[i], repo, None)])
        .unwrap_or_default();
    let mut seen = Vec::new();
    let related: Vec<Value> = f
        .locations
        .iter()
        .enumerate()
        .filter(|&(i, l)| {
            let key = (l.file.as_str(), l.line, l.role);
            let new = Some(i) != first && !seen.contains(&key);
            seen.push(key);
            new
        })
        .enumerate()
        .map(|(n, (_, l))| location(l, repo, Some(n + 1)))
        .collect();
    json!({
        "ruleId": f.kind,
        "ruleIndex": rule_index,
        "level": level(f.confidence),
        "message": {"text": format!("{}: {}\n\nFix: {}", f.title, f.explanation, f.fix)},
        "locations": locations,
        "relatedLocations": related,
        "properties": {
            "findingId": f.id,
            "confidence": f.confidence,
            "precision": precision(f.confidence),
            "goroutines": f.goroutines,
            "count": f.count,
        },
    })
}

/// The SARIF log of `r`.
pub(crate) fn sarif(r: &Report, repo: Option<&RepoPaths>) -> Value {
    // Rules: every kind the report uses, in vocabulary order.
    let mut kinds: Vec<&str> = KINDS
        .iter()
        .map(|k| k.name)
        .filter(|k| r.findings.iter().any(|f| f.kind == *k))
        .collect();
    for f in &r.findings {
        if !kinds.contains(&f.kind) {
            kinds.push(f.kind);
        }
    }
    let results: Vec<Value> = r
        .findings
        .iter()
        .map(|f| {
            let idx = kinds.iter().position(|k| *k == f.kind).unwrap_or(0);
            result(f, idx, repo)
        })
        .collect();
    let mut run = json!({
        "tool": {"driver": {
            "name": r.tool.name,
            "version": r.tool.version,
            "semanticVersion": r.tool.version,
            "informationUri": env!("CARGO_PKG_REPOSITORY"),
            "rules": kinds.iter().map(|k| rule(k)).collect::<Vec<_>>(),
        }},
        "results": results,
        "columnKind": "unicodeCodePoints",
        "properties": {"verdict": r.verdict.as_str(), "summary": r.summary},
    });
    if let Some(repo) = repo {
        run["originalUriBaseIds"] = json!({SRCROOT: {"uri": repo.root_uri}});
    }
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [run],
    })
}

pub(crate) fn write(
    r: &Report,
    repo: Option<&RepoPaths>,
    w: &mut dyn Write,
) -> serde_json::Result<()> {
    crate::json::write(w, &sarif(r, repo))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_become_identifiers_and_paths_uris() {
        assert_eq!(camel("lock-cycle"), "LockCycle");
        assert_eq!(camel("nil-channel"), "NilChannel");
        assert_eq!(uri_escape("a b/c%d#e.go"), "a%20b/c%25d%23e.go");
        assert_eq!(uri_escape("pkg/ü.go"), "pkg/%C3%BC.go");
    }
}
