//! Samples, the figures derived from them, and the printed / markdown table.

use std::fmt::Write as _;
use std::time::Duration;

use crate::workload::Workload;

/// What one contender's run of one workload measured.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// Wall time of the workload itself (not compilation or start-up).
    pub elapsed: Duration,
    /// p50 and p99 latency, for ping-pong.
    pub latency: Option<(Duration, Duration)>,
    /// Peak resident memory added while the workload ran, in bytes.
    pub peak_rss: Option<u64>,
}

impl Sample {
    /// A sample without memory figures.
    pub fn new(elapsed: Duration, latency: Option<(Duration, Duration)>) -> Self {
        Self {
            elapsed,
            latency,
            peak_rss: None,
        }
    }

    /// The headline figure: bigger is better except for latency (p50 µs).
    pub fn figure(&self, workload: Workload, count: usize) -> f64 {
        let secs = self.elapsed.as_secs_f64().max(1e-9);
        match workload {
            Workload::Bulk | Workload::TlsBulk => count as f64 / secs / 1e6,
            Workload::TlsHandshake
            | Workload::Readline
            | Workload::Accept
            | Workload::Concurrency => count as f64 / secs,
            Workload::PingPong => self
                .latency
                .map_or(f64::NAN, |(p50, _)| p50.as_secs_f64() * 1e6),
        }
    }
}

/// The unit of [`Sample::figure`].
pub fn unit(workload: Workload) -> &'static str {
    match workload {
        Workload::Bulk => "MB/s (each way)",
        Workload::TlsBulk => "MB/s (each way, TLS 1.3)",
        Workload::TlsHandshake => "handshakes/s (TLS 1.3, full)",
        Workload::Readline => "lines/s",
        Workload::PingPong => "p50 µs",
        Workload::Accept => "connections/s",
        Workload::Concurrency => "connections/s",
    }
}

/// One contender's outcome for one workload.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// It ran.
    Measured(Sample),
    /// It did not run, with the reason.
    Skipped(String),
    /// It failed, with the error.
    Failed(String),
}

/// All results: rows are workloads, columns contenders.
pub struct Report {
    /// Contender names, in column order.
    pub contenders: Vec<&'static str>,
    /// `(workload, count, outcomes per contender, one per run)`.
    pub rows: Vec<(Workload, usize, Vec<Vec<Outcome>>)>,
}

/// The median of `values` (the mean of the middle two for an even count),
/// their lowest and their highest; `values` is sorted here, and must not
/// be empty.
pub fn median_and_range(values: &mut [f64]) -> (f64, f64, f64) {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    let median = if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    };
    (median, values[0], values[n - 1])
}

/// The median of `values` and their range, as text (`-` for none).
fn median_with_range(mut values: Vec<f64>, digits: usize, suffix: &str) -> String {
    if values.is_empty() {
        return "-".into();
    }
    let (median, lo, hi) = median_and_range(&mut values);
    if values.len() == 1 {
        return format!("{median:.digits$}{suffix}");
    }
    format!("{median:.digits$}{suffix} ({lo:.digits$}-{hi:.digits$})")
}

/// The run whose headline figure is the median of a contender's runs (the
/// upper of the middle two for an even count: a cell shows one run), or
/// a failure or skip, if no run measured anything.
fn median_outcome(workload: Workload, count: usize, runs: &[Outcome]) -> &Outcome {
    let mut measured: Vec<&Outcome> = runs
        .iter()
        .filter(|o| matches!(o, Outcome::Measured(_)))
        .collect();
    if measured.is_empty() {
        return &runs[0];
    }
    let figure = |o: &&Outcome| match o {
        Outcome::Measured(s) => s.figure(workload, count),
        _ => f64::NAN,
    };
    measured.sort_by(|a, b| figure(a).total_cmp(&figure(b)));
    measured[measured.len() / 2]
}

fn cell(workload: Workload, count: usize, outcome: &Outcome) -> String {
    match outcome {
        Outcome::Measured(s) => {
            let mut text = format!("{:.1}", s.figure(workload, count));
            if let (Workload::PingPong, Some((_, p99))) = (workload, s.latency) {
                let _ = write!(text, " (p99 {:.1})", p99.as_secs_f64() * 1e6);
            }
            if let Some(rss) = s.peak_rss {
                let _ = write!(
                    text,
                    " (+{:.1} MiB, {:.1} KiB/conn)",
                    rss as f64 / (1 << 20) as f64,
                    rss as f64 / 1024.0 / count as f64
                );
            }
            text
        }
        Outcome::Skipped(why) => format!("skipped: {why}"),
        Outcome::Failed(err) => {
            // The root cause, on one line, short enough for a table cell.
            let cause = err.rsplit("Caused by:").next().unwrap_or(err);
            let cause = cause.split_whitespace().collect::<Vec<_>>().join(" ");
            let short: String = cause.chars().take(70).collect();
            format!("FAILED: {short}")
        }
    }
}

/// `a / b` of the headline figures, oriented so that > 1 means `a` is better.
fn ratio(workload: Workload, count: usize, a: &Outcome, b: &Outcome) -> Option<f64> {
    match (a, b) {
        (Outcome::Measured(a), Outcome::Measured(b)) => {
            let (fa, fb) = (a.figure(workload, count), b.figure(workload, count));
            Some(if workload == Workload::PingPong {
                fb / fa
            } else {
                fa / fb
            })
        }
        _ => None,
    }
}

impl Report {
    fn column(&self, name: &str) -> Option<usize> {
        self.contenders.iter().position(|c| *c == name)
    }

    /// The table as markdown.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let mut header = vec!["workload".to_owned(), "unit".to_owned()];
        header.extend(self.contenders.iter().map(|c| c.to_string()));
        let ratios = [
            ("guest", "substrate"),
            ("guest", "tokio"),
            ("native", "tokio"),
            ("guest", "asyncio"),
            ("native", "asyncio"),
        ];
        header.extend(ratios.iter().map(|(a, b)| format!("{a}/{b}")));
        let _ = writeln!(out, "| {} |", header.join(" | "));
        let _ = writeln!(out, "|{}", "---|".repeat(header.len()));
        for (workload, count, outcomes) in &self.rows {
            let mut row = vec![
                format!("{} ({count})", workload.name()),
                unit(*workload).to_owned(),
            ];
            row.extend(outcomes.iter().map(|runs| {
                let mut text = cell(*workload, *count, median_outcome(*workload, *count, runs));
                let figures: Vec<f64> = runs
                    .iter()
                    .filter_map(|o| match o {
                        Outcome::Measured(s) => Some(s.figure(*workload, *count)),
                        _ => None,
                    })
                    .collect();
                if figures.len() > 1 {
                    let (lo, hi) = figures
                        .iter()
                        .fold((f64::MAX, f64::MIN), |(lo, hi), f| (lo.min(*f), hi.max(*f)));
                    let _ = write!(text, " [{lo:.1}-{hi:.1}]");
                }
                text
            }));
            // Each ratio is taken within one run (both contenders measured
            // side by side), then the median of the runs' ratios.
            for (a, b) in ratios {
                let r = match (self.column(a), self.column(b)) {
                    (Some(a), Some(b)) => median_with_range(
                        outcomes[a]
                            .iter()
                            .zip(&outcomes[b])
                            .filter_map(|(x, y)| ratio(*workload, *count, x, y))
                            .collect(),
                        2,
                        "x",
                    ),
                    _ => "-".into(),
                };
                row.push(r);
            }
            let _ = writeln!(out, "| {} |", row.join(" | "));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::median_and_range;

    #[test]
    fn the_median_of_an_even_count_is_the_mean_of_the_middle_two() {
        assert_eq!(median_and_range(&mut [3.0, 1.0, 2.0]), (2.0, 1.0, 3.0));
        assert_eq!(median_and_range(&mut [4.0, 1.0, 3.0, 2.0]), (2.5, 1.0, 4.0));
        assert_eq!(median_and_range(&mut [0.9, 0.7]), (0.8, 0.7, 0.9));
        assert_eq!(median_and_range(&mut [5.0]), (5.0, 5.0, 5.0));
    }
}
