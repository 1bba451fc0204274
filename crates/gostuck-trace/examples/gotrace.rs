//! Small driver for gostuck-trace.
//!
//! ```text
//! gotrace parsed FILE          like `go tool trace -d=parsed FILE`
//! gotrace wire FILE            like `go tool trace -d=wire FILE`
//! gotrace encode IN OUT        text trace (or a Go .test txtar) to binary
//! gotrace summary FILE         per-goroutine summary
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
        _ => Err("usage: gotrace parsed FILE | wire FILE | encode IN OUT | summary FILE".into()),
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
