//! Small driver for gostuck-trace.
//!
//! ```text
//! gotrace parsed FILE          like `go tool trace -d=parsed FILE`
//! gotrace wire FILE            like `go tool trace -d=wire FILE`
//! gotrace encode IN OUT        text trace (or a Go .test txtar) to binary
//! gotrace summary FILE         per-goroutine summary
//! gotrace count FILE           stream every event, print the count and rate
//!                              (the file is read ahead on a second thread)
//! gotrace pprof-sync FILE OUT  blocking profile like `go tool trace -pprof=sync`
//! ```
use std::io::{BufReader, BufWriter, Write};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let res = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["parsed", file] => parsed(file),
        ["wire", file] => wire(file),
        ["encode", input, output] => encode(input, output),
        ["summary", file] => summary(file),
        ["count", file] => count(file),
        ["pprof-sync", file, out] => pprof_sync(file, out),
        _ => Err("usage: gotrace parsed FILE | wire FILE | encode IN OUT | summary FILE | count FILE | pprof-sync FILE OUT".into()),
    };
    match res {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gotrace: {e}");
            ExitCode::FAILURE
        }
    }
}

type Res = Result<(), Box<dyn std::error::Error>>;

fn parsed(file: &str) -> Res {
    let r = gostuck_trace::Reader::new(BufReader::new(std::fs::File::open(file)?))?;
    let mut out = BufWriter::new(std::io::stdout().lock());
    for ev in r {
        writeln!(out, "{}", ev?)?;
    }
    Ok(())
}

fn count(file: &str) -> Res {
    let start = std::time::Instant::now();
    let mut r =
        gostuck_trace::Reader::new(gostuck_trace::ReadAhead::new(std::fs::File::open(file)?))?;
    let mut n = 0u64;
    // Generation sizes: the input position moves a generation at a time.
    let (mut last_pos, mut largest, mut gens) = (0u64, 0u64, 0u64);
    while let Some(ev) = r.read_event_ref()? {
        n += 1;
        if ev.kind() == gostuck_trace::EventKind::Sync {
            let pos = r.position();
            if pos > last_pos {
                largest = largest.max(pos - last_pos);
                gens += 1;
            }
            last_pos = pos;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    #[allow(
        clippy::cast_precision_loss,
        reason = "a rate shown with no decimals: exact to 2^53 events"
    )]
    let rate = n as f64 / secs;
    println!(
        "{n} events in {secs:.3}s: {rate:.0} events/s; {gens} generations, the largest {largest} bytes"
    );
    Ok(())
}

fn wire(file: &str) -> Res {
    let r = gostuck_trace::WireReader::new(BufReader::new(std::fs::File::open(file)?))?;
    let mut out = BufWriter::new(std::io::stdout().lock());
    for ev in r {
        writeln!(out, "{}", ev?)?;
    }
    Ok(())
}

/// Encodes a text trace; for a txtar file (Go's trace tests), the section
/// after `-- trace --`.
fn encode(input: &str, output: &str) -> Res {
    let text = std::fs::read_to_string(input)?;
    let body = match text.split_once("-- trace --\n") {
        Some((_, rest)) => rest.split("\n-- ").next().unwrap_or(rest),
        None => &text,
    };
    let bin = gostuck_trace::text::encode(body)?;
    std::fs::write(output, bin)?;
    Ok(())
}

fn summary(file: &str) -> Res {
    let r = gostuck_trace::Reader::new(BufReader::new(std::fs::File::open(file)?))?;
    print!("{}", gostuck_trace::summarize(r)?);
    Ok(())
}

/// `gotrace pprof-sync FILE OUT`: the blocking profile.
fn pprof_sync(file: &str, out: &str) -> Res {
    let mut r =
        gostuck_trace::Reader::new(gostuck_trace::ReadAhead::new(std::fs::File::open(file)?))?;
    let mut p = gostuck_trace::pprof::SyncProfiler::default();
    while let Some(ev) = r.read_event_ref()? {
        p.event(ev);
    }
    let recs = p.finish();
    gostuck_trace::pprof::write_profile(&recs, std::fs::File::create(out)?)?;
    Ok(())
}
