//! Resident memory of processes and the client runtime's alive tasks, sampled over a run, and
//! the leak check on the samples.

use std::time::{Duration, Instant};

/// Resident set size of process `pid` (`"self"` for this one), in KiB, from `/proc`.
pub fn rss_kib(pid: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

/// One sample.
#[derive(Clone, Copy, Debug)]
pub struct Sample {
    /// Since the run started.
    pub at: Duration,
    /// Emulator process RSS, KiB.
    pub emulator_kib: u64,
    /// This (client) process RSS, KiB.
    pub client_kib: u64,
    /// Alive tasks of the client runtime.
    pub tasks: usize,
}

/// Samples over a run.
#[derive(Debug)]
pub struct Samples {
    started: Instant,
    emulator_pid: String,
    /// Everything sampled, in order.
    pub all: Vec<Sample>,
}

/// Start, peak and final of one series.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Figures {
    /// The first sample.
    pub start: u64,
    /// The largest sample.
    pub peak: u64,
    /// The last sample.
    pub last: u64,
}

impl Samples {
    /// Samples of the emulator process `emulator_pid` and this process's current runtime.
    pub fn new(emulator_pid: u32) -> Self {
        Self {
            started: Instant::now(),
            emulator_pid: emulator_pid.to_string(),
            all: Vec::new(),
        }
    }

    /// Takes a sample now (must run inside the client runtime).
    pub fn sample(&mut self) {
        self.all.push(Sample {
            at: self.started.elapsed(),
            emulator_kib: rss_kib(&self.emulator_pid).unwrap_or(0),
            client_kib: rss_kib("self").unwrap_or(0),
            tasks: tokio::runtime::Handle::current()
                .metrics()
                .num_alive_tasks(),
        });
    }

    /// Start, peak and final of a series.
    pub fn figures(&self, series: impl Fn(&Sample) -> u64) -> Figures {
        let values: Vec<u64> = self.all.iter().map(series).collect();
        Figures {
            start: values.first().copied().unwrap_or(0),
            peak: values.iter().copied().max().unwrap_or(0),
            last: values.last().copied().unwrap_or(0),
        }
    }

    /// About `points` samples spread over the run, as `t s: emulator MiB / client MiB /
    /// tasks` (for the record).
    pub fn series(&self, points: usize) -> String {
        let step = (self.all.len() / points.max(1)).max(1);
        let mut picked: Vec<&Sample> = self.all.iter().step_by(step).collect();
        if let Some(last) = self.all.last()
            && !std::ptr::eq(*picked.last().unwrap_or(&last), last)
        {
            picked.push(last);
        }
        picked
            .iter()
            .map(|s| {
                format!(
                    "{}s: {}/{}/{}",
                    s.at.as_secs(),
                    s.emulator_kib / 1024,
                    s.client_kib / 1024,
                    s.tasks
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The leak check: the largest value of the run's second half must stay within `factor`
    /// times (plus `slack`) the largest of its first half, after the warm-up samples. A leak
    /// grows with the run; churn under faults does not.
    ///
    /// # Panics
    /// With the figures when a series grew past the bound, or when there are too few samples.
    pub fn assert_no_growth(
        &self,
        name: &str,
        warm_up: usize,
        factor: f64,
        slack: u64,
        series: impl Fn(&Sample) -> u64,
    ) {
        let values: Vec<u64> = self.all.iter().skip(warm_up).map(series).collect();
        assert!(values.len() >= 4, "{name}: only {} samples", values.len());
        let (first, second) = values.split_at(values.len() / 2);
        let first_peak = first.iter().copied().max().unwrap_or(0);
        let second_peak = second.iter().copied().max().unwrap_or(0);
        let bound = (first_peak as f64 * factor) as u64 + slack;
        assert!(
            second_peak <= bound,
            "{name} grew: first-half peak {first_peak}, second-half peak {second_peak} > {bound}; \
             samples {values:?}"
        );
    }
}
