//! Go source as `--source` reads it: `SourceFile::parse` on any bytes, then
//! the queries the engine asks at every line of the file. No panic, no stack
//! overflow (deep nesting is refused with `Error::TooDeep`), and memory within
//! run.sh's limits.
#![no_main]

use gostuck_source::SourceFile;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(f) = SourceFile::parse(data) else {
        return;
    };
    let lines = data.split(|&c| c == b'\n').count() as u32;
    for line in 1..=lines.min(200) + 1 {
        let _ = f.function_at(line);
        let _ = f.ops_at(line);
        let _ = f.held_at(line);
        let _ = f.released_at(line);
        let _ = f.future_ops(line, true);
        let _ = f.future_calls(line, false);
        let _ = f.may_spawn(line, true);
        let _ = f.select_cases(line);
        let _ = f.do_call_at(line);
        let _ = f.stop_guard(line);
        let _ = f.snippet(line.saturating_sub(2), line + 2);
    }
    let _ = f.leaky_locks();
    for func in f.functions() {
        let _ = f.function_starting(func.start_line);
        let _ = f.literal_depth_starting(func.start_line);
    }
});
