//! `--format sarif` and `--format github` on dumps captured from real Go runs:
//! the SARIF validates against the SARIF 2.1.0 JSON schema and points at the
//! blocked lines relative to the `--source` root; the workflow commands are
//! well formed and hostile names stay inside their escaped fields.

use std::process::Command;

use serde_json::Value;

mod support;
use support::repo;

const SCENARIOS: &[&str] = &[
    "abba",
    "cond-signal-first",
    "leak-timeout",
    "early-return-unlock",
    "mutex-across-channel",
    "nil-channel",
    "range-never-closed",
    "healthy-pool",
];

fn gostuck(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_gostuck"))
        .args(args)
        .current_dir(repo())
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_ACTIONS")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
    )
}

fn captured(name: &str) -> String {
    format!("testdata/captured/go1.27.3/{name}.txt")
}

fn report(input: &str, format: &str) -> String {
    let (code, out) = gostuck(&[
        "analyze",
        input,
        "--source",
        "testdata/scenarios",
        "--format",
        format,
    ]);
    assert!(code == 0 || code == 1, "{input}: exit {code}\n{out}");
    out
}

fn schema() -> jsonschema::Validator {
    let text =
        std::fs::read_to_string(repo().join("testdata/schemas/sarif-2.1.0-rtm.5.json")).unwrap();
    // The schema's `language` patterns have a stray `]` that ECMA-262 reads as
    // a literal and Rust's regex engines refuse: escape it (same meaning).
    let stray = "-[a-zA-Z]{2}]?$";
    assert!(text.contains(stray));
    let text = text.replace(stray, "-[a-zA-Z]{2}\\\\]?$");
    let schema: Value = serde_json::from_str(&text).unwrap();
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap()
}

/// `(file, line)` of the JSON report's locations with `role`.
fn lines(f: &Value, role: &str) -> Vec<(String, u64)> {
    f["locations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["role"] == role)
        .map(|l| {
            (
                l["file"].as_str().unwrap().to_string(),
                l["line"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn sarif_location(l: &Value) -> (String, u64) {
    let p = &l["physicalLocation"];
    assert_eq!(p["artifactLocation"]["uriBaseId"], "SRCROOT", "{l}");
    (
        p["artifactLocation"]["uri"].as_str().unwrap().to_string(),
        p["region"]["startLine"].as_u64().unwrap(),
    )
}

/// The dump printed `/work/main/testdata/scenarios/abba/main.go`; relative
/// to the `--source` root that is `abba/main.go`.
fn relative(file: &str) -> String {
    let (_, rel) = file.split_once("testdata/scenarios/").unwrap();
    rel.to_string()
}

#[test]
fn sarif_of_captured_scenarios_validates_against_the_sarif_2_1_0_schema() {
    let validator = schema();
    for name in SCENARIOS {
        let sarif: Value = serde_json::from_str(&report(&captured(name), "sarif")).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&sarif)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{name}: {errors:#?}");
        let json: Value = serde_json::from_str(&report(&captured(name), "json")).unwrap();
        let run = &sarif["runs"][0];
        let results = run["results"].as_array().unwrap();
        assert_eq!(
            results.len(),
            json["findings"].as_array().unwrap().len(),
            "{name}"
        );
        let root = run["originalUriBaseIds"]["SRCROOT"]["uri"]
            .as_str()
            .unwrap();
        assert!(
            root.starts_with("file:///") && root.ends_with("/testdata/scenarios/"),
            "{root}"
        );
        for (res, f) in results.iter().zip(json["findings"].as_array().unwrap()) {
            assert_eq!(res["ruleId"], f["kind"], "{name}");
            let rule = &run["tool"]["driver"]["rules"]
                [usize::try_from(res["ruleIndex"].as_u64().unwrap()).unwrap()];
            assert_eq!(rule["id"], f["kind"]);
            assert!(rule["helpUri"]
                .as_str()
                .unwrap()
                .ends_with(&format!("docs/findings.md#{}", f["kind"].as_str().unwrap())));
            assert!(!rule["fullDescription"]["text"].as_str().unwrap().is_empty());
            let want_level = match f["confidence"].as_str().unwrap() {
                "certain" => "error",
                "likely" => "warning",
                _ => "note",
            };
            assert_eq!(res["level"], want_level, "{name}");
            // The primary location is a blocked line, relative to the root.
            let (uri, line) = sarif_location(&res["locations"][0]);
            let blocked: Vec<(String, u64)> = lines(f, "blocked")
                .into_iter()
                .map(|(file, line)| (relative(&file), line))
                .collect();
            assert!(
                blocked.contains(&(uri.clone(), line)),
                "{name}: {uri}:{line} not in {blocked:?}"
            );
            // Every other line of the finding is a related location.
            let related: Vec<(String, u64)> = res["relatedLocations"]
                .as_array()
                .unwrap()
                .iter()
                .map(sarif_location)
                .collect();
            for l in f["locations"].as_array().unwrap() {
                let at = (
                    relative(l["file"].as_str().unwrap()),
                    l["line"].as_u64().unwrap(),
                );
                assert!(
                    at == (uri.clone(), line) || related.contains(&at),
                    "{name}: {at:?}"
                );
            }
        }
    }
}

#[test]
fn sarif_of_every_go1_27_capture_is_schema_valid() {
    let validator = schema();
    let dir = repo().join("testdata/captured/go1.27.3");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if !(name.ends_with(".txt") || name.ends_with(".pb.gz")) {
            continue;
        }
        let sarif: Value = serde_json::from_str(&report(p.to_str().unwrap(), "sarif")).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&sarif)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{name}: {errors:#?}");
        n += 1;
    }
    assert!(n >= 50, "only {n} captures");
}

#[test]
fn sarif_schema_check_rejects_a_broken_log() {
    // The validator is not vacuous: a result without a message is refused.
    let mut sarif: Value = serde_json::from_str(&report(&captured("abba"), "sarif")).unwrap();
    sarif["runs"][0]["results"][0]
        .as_object_mut()
        .unwrap()
        .remove("message");
    assert!(!schema().is_valid(&sarif));
}

/// Splits a workflow command `::cmd k=v,k=v::data` into its parts, undoing
/// the runner's escapes.
fn parse_command(line: &str) -> (String, Vec<(String, String)>, String) {
    let rest = line
        .strip_prefix("::")
        .unwrap_or_else(|| panic!("not a command: {line}"));
    let (head, data) = rest.split_once("::").unwrap();
    let (cmd, props) = head.split_once(' ').unwrap_or((head, ""));
    let unescape = |s: &str| {
        s.replace("%0D", "\r")
            .replace("%0A", "\n")
            .replace("%3A", ":")
            .replace("%2C", ",")
            .replace("%25", "%")
    };
    let props = props
        .split(',')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap();
            (k.to_string(), unescape(v))
        })
        .collect();
    (cmd.to_string(), props, unescape(data))
}

#[test]
fn github_annotations_mark_every_blocked_line_of_captured_scenarios() {
    for name in SCENARIOS {
        let out = report(&captured(name), "github");
        let json: Value = serde_json::from_str(&report(&captured(name), "json")).unwrap();
        let cmds: Vec<_> = out.lines().map(parse_command).collect();
        if json["findings"].as_array().unwrap().is_empty() {
            assert!(cmds.is_empty(), "{name}: {out}");
        }
        for f in json["findings"].as_array().unwrap() {
            for (file, line) in lines(f, "blocked") {
                let want = [relative(&file), line.to_string()];
                assert!(
                    cmds.iter().any(|(cmd, props, data)| {
                        matches!(cmd.as_str(), "error" | "warning" | "notice")
                            && props[0] == ("file".to_string(), want[0].clone())
                            && props[1] == ("line".to_string(), want[1].clone())
                            && data.contains(f["fix"].as_str().unwrap())
                    }),
                    "{name}: no annotation at {want:?}:\n{out}"
                );
            }
        }
    }
}

#[test]
fn hostile_names_stay_inside_escaped_annotation_fields() {
    // A real capture whose function names and file path were edited to carry
    // the workflow-command syntax.
    let text = std::fs::read_to_string(repo().join(captured("abba"))).unwrap();
    let hostile_fn = "main.tr%0A::error file=x,line=1::pwned";
    let hostile_file = "/tmp/a,b:c%d/abba/main.go";
    let text = text
        .replace("main.transfer", hostile_fn)
        .replace("/work/main/testdata/scenarios/abba/main.go", hostile_file);
    let dir = std::env::temp_dir().join(format!("gostuck-hostile-gh-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("hostile.txt");
    std::fs::write(&path, text).unwrap();
    let (code, out) = gostuck(&[
        "analyze",
        path.to_str().unwrap(),
        "--no-source",
        "-f",
        "github",
    ]);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(code, 1, "{out}");
    assert!(!out.is_empty());
    for line in out.lines() {
        let (cmd, props, data) = parse_command(line);
        assert!(
            matches!(cmd.as_str(), "error" | "warning" | "notice"),
            "{line}"
        );
        // Exactly file, line, title: nothing smuggled in as another property.
        let keys: Vec<&str> = props.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["file", "line", "title"], "{line}");
        assert_eq!(props[0].1, hostile_file, "{line}");
        // The function name comes back whole, `%0A` included, after unescaping.
        if data.contains("main.tr") {
            assert!(data.contains(hostile_fn), "{data}");
        }
    }
}
