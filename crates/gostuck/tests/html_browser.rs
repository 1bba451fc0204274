//! The HTML report in a real browser: headless Chromium loads reports of
//! captured scenarios from `file://` and the test reads the DOM it rendered
//! (findings, graph nodes, the group filter after the page's script ran) and
//! keeps screenshots under target/html-screenshots/. A dump whose function
//! names carry `<script>`, `onerror=` and `javascript:` must run nothing.
//!
//! Needs `chromium` (Debian's package; scripts/test.sh installs it). Without
//! it the test is skipped with a message, except under CI (CI=true), where it
//! fails.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

mod support;
use support::repo;

const SCENARIOS: &[&str] = &[
    "abba",
    "mutex-across-channel",
    "leak-timeout",
    "cond-signal-first",
    "healthy-pool",
];

fn chromium() -> Option<PathBuf> {
    let names = ["chromium", "chromium-browser", "google-chrome"];
    let path = std::env::var_os("PATH").unwrap_or_default();
    let found = std::env::split_paths(&path)
        .flat_map(|d| names.iter().map(move |n| d.join(n)))
        .find(|p| p.is_file());
    if found.is_none() {
        let ci = std::env::var("CI").is_ok_and(|v| !matches!(v.as_str(), "" | "0" | "false"));
        if ci {
            panic!("CI=true but no chromium on PATH: scripts/test.sh installs Debian's `chromium`");
        }
        eprintln!(
            "SKIPPED: no chromium on PATH (apt-get install chromium, or run scripts/test.sh)"
        );
    }
    found
}

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("gostuck-html-{}-{name}", std::process::id()));
    std::fs::remove_dir_all(&d).ok();
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn screenshots() -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .join("html-screenshots");
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn gostuck(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_gostuck"))
        .args(args)
        .current_dir(repo())
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Runs headless Chromium on `url` with `extra` flags; returns its stdout.
/// Killed when it takes longer than a minute.
fn browse(chromium: &Path, url: &str, extra: &[String], tmp: &Path) -> String {
    let profile = tmp.join(format!("profile-{}", extra.len()));
    let out_file = tmp.join("chromium.out");
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_file).unwrap())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    loop {
        if let Some(st) = child.try_wait().unwrap() {
            assert!(st.success(), "chromium {extra:?} {url}: {st}");
            break;
        }
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within 60 s on {url}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    std::fs::remove_dir_all(&profile).ok();
    std::fs::read_to_string(&out_file).unwrap()
}

fn dump_dom(chromium: &Path, url: &str, tmp: &Path) -> String {
    browse(chromium, url, &["--dump-dom".to_string()], tmp)
}

fn count(hay: &str, needle: &str) -> usize {
    hay.matches(needle).count()
}

/// The `<article class="group" …>` start tags of a DOM dump.
fn group_tags(dom: &str) -> Vec<&str> {
    dom.match_indices("<article class=\"group\"")
        .map(|(i, _)| &dom[i..i + dom[i..].find('>').unwrap()])
        .collect()
}

#[test]
fn html_reports_of_captured_scenarios_render_in_chromium_with_graphs_and_a_working_filter() {
    let Some(chromium) = chromium() else { return };
    let tmp = tmpdir("scenarios");
    for name in SCENARIOS {
        let input = format!("testdata/captured/go1.27.3/{name}.txt");
        let html = tmp.join(format!("{name}.html"));
        let src = ["--source", "testdata/scenarios"];
        gostuck(&[
            "analyze",
            &input,
            src[0],
            src[1],
            "-f",
            "html",
            "-o",
            html.to_str().unwrap(),
        ]);
        let json: Value =
            serde_json::from_str(&gostuck(&["analyze", &input, src[0], src[1], "-f", "json"]))
                .unwrap();
        let url = format!("file://{}", html.display());
        let dom = dump_dom(&chromium, &url, &tmp);

        // The page's own script ran under its Content-Security-Policy.
        let groups = json["groups"].as_array().unwrap().len();
        assert!(
            dom.contains(&format!("data-shown=\"{groups}\"")),
            "{name}: the filter script did not run"
        );
        assert!(
            dom.contains(&format!("{groups} of {groups} groups")),
            "{name}"
        );
        // Verdict, findings, graphs, snippets.
        assert!(dom.contains(&format!(
            "class=\"verdict v-{}\"",
            json["verdict"].as_str().unwrap()
        )));
        let findings = json["findings"].as_array().unwrap();
        assert_eq!(
            count(&dom, "<article class=\"finding "),
            findings.len(),
            "{name}"
        );
        for f in findings {
            assert!(dom.contains(&format!(
                "<span class=\"kind\">{}</span>",
                f["kind"].as_str().unwrap()
            )));
            assert!(dom.contains("<svg"), "{name}: no wait-for graph");
            assert!(count(&dom, "class=\"node goroutine\"") >= 1, "{name}");
            assert!(
                dom.contains("class=\"mark r-blocked\""),
                "{name}: blocked line not marked"
            );
        }
        // Every graph node's link leads to a group on the page.
        for (i, _) in dom.match_indices("class=\"nodelink\"") {
            let tag_start = dom[..i].rfind('<').unwrap();
            let tag = &dom[tag_start..i];
            let href = tag
                .split("href=\"#")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap();
            assert!(
                dom.contains(&format!("id=\"{href}\"")),
                "{name}: #{href} missing"
            );
        }
        assert_eq!(group_tags(&dom).len(), groups, "{name}");

        // Pre-filtered by the query string: only groups in that state remain.
        let state = json["groups"][0]["state"].as_str().unwrap();
        let want = json["groups"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|g| g["state"] == state)
            .count();
        let q = state.replace(' ', "%20");
        let dom = dump_dom(&chromium, &format!("{url}?state={q}"), &tmp);
        let tags = group_tags(&dom);
        let visible: Vec<&&str> = tags.iter().filter(|t| !t.contains(" hidden")).collect();
        assert_eq!(visible.len(), want, "{name}: ?state={state}");
        assert!(visible
            .iter()
            .all(|t| t.contains(&format!("data-state=\"{state}\""))));
        // A text query no group matches hides them all.
        let dom = dump_dom(
            &chromium,
            &format!("{url}?q=no-such-function-anywhere"),
            &tmp,
        );
        assert!(
            group_tags(&dom).iter().all(|t| t.contains(" hidden")),
            "{name}"
        );

        let png = screenshots().join(format!("{name}.png"));
        std::fs::remove_file(&png).ok();
        browse(
            &chromium,
            &url,
            &[
                format!("--screenshot={}", png.display()),
                "--window-size=1200,1000".into(),
            ],
            &tmp,
        );
        assert!(
            std::fs::metadata(&png).unwrap().len() > 10_000,
            "{name}: empty screenshot"
        );
    }
    std::fs::remove_dir_all(&tmp).ok();
}

#[test]
fn hostile_function_names_run_nothing_in_chromium() {
    let Some(chromium) = chromium() else { return };
    let tmp = tmpdir("hostile");
    // A real capture whose function names were edited to carry markup.
    let text = std::fs::read_to_string(repo().join("testdata/captured/go1.27.3/abba.txt")).unwrap();
    let hostile = "main.<script>document.title='pwned';document.body.setAttribute('data-pwned','1')</script>\
                   \"><img src=x onerror=document.body.setAttribute('data-pwned','2')>javascript:document.title='pwned'";
    // The file path too: `"` and `<` end attributes and start elements.
    let hostile_path =
        "/tmp/x\"><svg onload=document.body.setAttribute('data-pwned','3')>/abba/main.go";
    let text = text
        .replace("main.transfer", hostile)
        .replace("main.main.func1", "javascript:alert(1)//")
        .replace("/work/main/testdata/scenarios/abba/main.go", hostile_path);
    let dump = tmp.join("hostile.txt");
    std::fs::write(&dump, text).unwrap();
    let html = tmp.join("hostile.html");
    gostuck(&[
        "analyze",
        dump.to_str().unwrap(),
        "--no-source",
        "-f",
        "html",
        "-o",
        html.to_str().unwrap(),
    ]);
    let page = std::fs::read_to_string(&html).unwrap();
    // The names are in the page, as text.
    assert!(page.contains("main.&lt;script&gt;document.title=&#39;pwned&#39;"));
    assert_eq!(count(&page, "<script"), 1, "only the report's own script");

    let dom = dump_dom(&chromium, &format!("file://{}", html.display()), &tmp);
    // Our script ran (so scripts were not simply all blocked) ...
    assert!(
        dom.contains("data-shown=\"3\""),
        "the page's script did not run"
    );
    // ... and nothing from the dump did.
    // (The names mention `data-pwned` as text: look for the attribute.)
    if let Some(i) = dom.find("data-pwned=\"") {
        panic!(
            "a hostile script or handler ran: {}",
            &dom[i.saturating_sub(200)..i + 20]
        );
    }
    assert!(
        !dom.contains("<title>pwned</title>"),
        "a hostile script set the title"
    );
    assert_eq!(count(&dom, "<script"), 1);
    assert_eq!(
        count(&dom, "<img"),
        0,
        "markup from the dump became an element"
    );
    assert!(
        !dom.contains("href=\"javascript:"),
        "a javascript: link was made"
    );
    assert!(
        dom.contains("main.&lt;script&gt;"),
        "the hostile name is shown as text"
    );
    std::fs::remove_dir_all(&tmp).ok();
}

#[test]
fn html_report_of_a_dump_and_its_trace_draws_a_timeline_of_the_finding_goroutines() {
    // No browser needed: the timeline is plain SVG in the page.
    let t = "testdata/captured/go1.27.3/traces";
    let json: Value = serde_json::from_str(&gostuck(&[
        "analyze",
        &format!("{t}/dumped.dump.txt"),
        &format!("{t}/dumped.trace"),
        "-f",
        "json",
    ]))
    .unwrap();
    let page = gostuck(&[
        "analyze",
        &format!("{t}/dumped.dump.txt"),
        &format!("{t}/dumped.trace"),
        "-f",
        "html",
    ]);
    let section = &page[page.find("<section id=\"timeline\"").expect("no timeline")..];
    let section = &section[..section.find("</section>").unwrap()];
    let mut want: Vec<u64> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| {
            f["goroutines"]
                .as_array()
                .unwrap()
                .iter()
                .map(|g| g.as_u64().unwrap())
        })
        .filter(|g| {
            json["trace"][0]["goroutines"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t["goroutine"] == *g)
        })
        .collect();
    want.sort_unstable();
    want.dedup();
    assert!(!want.is_empty());
    for g in &want {
        assert!(
            section.contains(&format!(">goroutine {g}</text>")),
            "goroutine {g} has no row"
        );
    }
    assert_eq!(count(section, "class=\"tl-stuck\""), want.len());
    // Who unblocked whom, where the trace knows it.
    assert!(section.contains("unblocked by goroutine 1"), "{section}");
    // A dump alone has no timeline.
    let page = gostuck(&["analyze", &format!("{t}/dumped.dump.txt"), "-f", "html"]);
    assert!(!page.contains("<section id=\"timeline\""));
}

/// The node boxes `(x, y, w, h)` of each wait-for graph in a page.
fn graph_boxes(page: &str) -> Vec<Vec<[f64; 4]>> {
    let num = |tag: &str, attr: &str| -> f64 {
        let k = format!(" {attr}=\"");
        let v = &tag[tag.find(&k).unwrap_or_else(|| panic!("no {attr} in {tag}")) + k.len()..];
        v[..v.find('"').unwrap()].parse().unwrap()
    };
    page.split("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"wfg\"")
        .skip(1)
        .map(|svg| {
            let svg = &svg[..svg.find("</svg>").unwrap()];
            svg.split("<rect ")
                .skip(1)
                .map(|r| {
                    let tag = format!(" {}", &r[..r.find('>').unwrap()]);
                    [
                        num(&tag, "x"),
                        num(&tag, "y"),
                        num(&tag, "width"),
                        num(&tag, "height"),
                    ]
                })
                .collect()
        })
        .collect()
}

#[test]
fn wait_for_graphs_of_every_capture_have_no_overlapping_nodes() {
    let dir = repo().join("testdata/captured/go1.27.3");
    let mut graphs = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_none_or(|x| x != "txt") {
            continue;
        }
        let page = gostuck(&[
            "analyze",
            p.to_str().unwrap(),
            "--source",
            "testdata/scenarios",
            "-f",
            "html",
        ]);
        for boxes in graph_boxes(&page) {
            graphs += 1;
            for (i, a) in boxes.iter().enumerate() {
                for b in &boxes[i + 1..] {
                    let apart = a[0] + a[2] <= b[0]
                        || b[0] + b[2] <= a[0]
                        || a[1] + a[3] <= b[1]
                        || b[1] + b[3] <= a[1];
                    assert!(apart, "{}: nodes {a:?} and {b:?} overlap", p.display());
                }
            }
        }
    }
    assert!(graphs >= 40, "only {graphs} graphs drawn");
}

#[test]
fn a_lock_cycle_is_drawn_as_a_ring_with_its_waiters_to_the_left() {
    let page = gostuck(&[
        "analyze",
        "testdata/captured/go1.27.3/abba.txt",
        "--source",
        "testdata/scenarios",
        "-f",
        "html",
    ]);
    // The centre x of the node labelled `label`.
    let x = |label: &str| -> f64 {
        let end = page.find(&format!(">{label}</text>")).unwrap();
        let tag = &page[page[..end].rfind("<text").unwrap()..end];
        let v = &tag[tag.find(" x=\"").unwrap() + 4..];
        v[..v.find('"').unwrap()].parse().unwrap()
    };
    // main waits on the WaitGroup that the two transfers would release.
    assert!(x("goroutine 1") < x("wg"));
    assert!(x("wg") < x("goroutine 6").min(x("goroutine 7")));
}
