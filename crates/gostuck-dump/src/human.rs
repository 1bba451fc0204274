//! Durations and counts worded for people: the one formatter every crate uses. Each
//! place keeps the wording its reports and tests have always shown, chosen
//! by an explicit [`DurationStyle`] rather than by a copy of the code.

use std::time::Duration;

/// How a duration is worded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DurationStyle {
    /// `500ms`, `30s`, `1.5s`: a flag value as the user wrote it (`--stall`).
    Flag,
    /// `800ms`, `1.5s` (tenths truncated): times of a scheduler trace, which
    /// counts in whole milliseconds.
    Tenths,
    /// `1.23s`, `4.56ms`, `789µs`, `12ns`: execution-trace intervals in the
    /// `gostuck trace` text report.
    Trace,
    /// `1.23s`, `4.5ms`, `789µs`: execution-trace evidence in findings.
    Evidence,
    /// `1.23 s`, `4.5 ms`: the HTML report's trace timeline.
    Spaced,
    /// `12.345ms`: fixed milliseconds (the trace summary).
    Millis,
    /// `12.3 ms`: a pause or a copy of `gostuck attach`.
    TenthMillis,
    /// `45s`, `2.5 minutes`: the span of `gostuck watch`'s samples.
    Span,
}

/// `1 goroutine`, `3 goroutines`: a count with its noun in the right number.
/// The one place counts are put into words.
#[must_use]
pub fn count(n: u64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// A count of nanoseconds as a duration; a negative count (a clock that
/// went back, a damaged trace) is none.
#[must_use]
pub fn from_ns(ns: i64) -> Duration {
    Duration::from_nanos(u64::try_from(ns).unwrap_or(0))
}

/// `d` in `style`.
#[must_use]
#[allow(
    clippy::cast_precision_loss,
    reason = "display only: above 2^53 ns (104 days) the lost digits are far below what is shown"
)]
pub fn format_duration(d: Duration, style: DurationStyle) -> String {
    let ns = d.as_nanos() as f64;
    let ms = d.as_millis();
    match style {
        DurationStyle::Flag if ms < 1000 => format!("{ms}ms"),
        DurationStyle::Flag if ms.is_multiple_of(1000) => format!("{}s", ms / 1000),
        DurationStyle::Flag => format!("{:.1}s", d.as_secs_f64()),
        DurationStyle::Tenths if ms >= 1000 => format!("{}.{}s", ms / 1000, (ms % 1000) / 100),
        DurationStyle::Tenths => format!("{ms}ms"),
        DurationStyle::Trace | DurationStyle::Evidence if ns >= 1e9 => {
            format!("{:.2}s", ns / 1e9)
        }
        DurationStyle::Trace if ns >= 1e6 => format!("{:.2}ms", ns / 1e6),
        DurationStyle::Evidence if ns >= 1e6 => format!("{:.1}ms", ns / 1e6),
        DurationStyle::Trace if ns < 1e3 => format!("{ns:.0}ns"),
        DurationStyle::Trace | DurationStyle::Evidence => format!("{:.0}µs", ns / 1e3),
        DurationStyle::Spaced if ns / 1e6 >= 1000.0 => format!("{:.2} s", ns / 1e6 / 1000.0),
        DurationStyle::Spaced => format!("{:.1} ms", ns / 1e6),
        DurationStyle::Millis => format!("{:.3}ms", ns / 1e6),
        DurationStyle::TenthMillis => format!("{:.1} ms", d.as_secs_f64() * 1e3),
        DurationStyle::Span if d.as_secs_f64() < 90.0 => format!("{:.0}s", d.as_secs_f64()),
        DurationStyle::Span => format!("{:.1} minutes", d.as_secs_f64() / 60.0),
    }
}

#[cfg(test)]
mod tests {
    use super::DurationStyle::*;
    use super::*;

    fn f(ns: u64, style: DurationStyle) -> String {
        format_duration(Duration::from_nanos(ns), style)
    }

    #[test]
    fn each_style_words_the_same_durations_its_own_way() {
        let ms = 1_000_000;
        let cases: [(DurationStyle, [&str; 4]); 8] = [
            (Flag, ["500ms", "30s", "1.5s", "0ms"]),
            (Tenths, ["500ms", "30.0s", "1.5s", "0ms"]),
            (Trace, ["500.00ms", "30.00s", "1.50s", "12ns"]),
            (Evidence, ["500.0ms", "30.00s", "1.50s", "0µs"]),
            (Spaced, ["500.0 ms", "30.00 s", "1.50 s", "0.0 ms"]),
            (
                Millis,
                ["500.000ms", "30000.000ms", "1500.000ms", "0.000ms"],
            ),
            (
                TenthMillis,
                ["500.0 ms", "30000.0 ms", "1500.0 ms", "0.0 ms"],
            ),
            (Span, ["0s", "30s", "2s", "0s"]),
        ];
        for (style, want) in cases {
            let got = [
                f(500 * ms, style),
                f(30_000 * ms, style),
                f(1_500 * ms, style),
                f(12, style),
            ];
            assert_eq!(got, want, "{style:?}");
        }
    }

    #[test]
    fn counts_take_the_noun_in_the_right_number() {
        assert_eq!(count(1, "process", "processes"), "1 process");
        assert_eq!(count(0, "goroutine", "goroutines"), "0 goroutines");
        assert_eq!(count(3, "P", "Ps"), "3 Ps");
    }

    #[test]
    fn boundaries_and_long_spans() {
        assert_eq!(
            f(1_999_999_999, Tenths),
            "1.9s",
            "tenths are cut, not rounded"
        );
        assert_eq!(f(999, Trace), "999ns");
        assert_eq!(f(1_000, Trace), "1µs");
        assert_eq!(f(150 * 1_000_000_000, Span), "2.5 minutes");
        assert_eq!(f(89 * 1_000_000_000, Span), "89s");
        assert_eq!(from_ns(-5), Duration::ZERO);
        assert_eq!(from_ns(7), Duration::from_nanos(7));
    }
}
