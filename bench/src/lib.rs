//! Helpers shared by the benchmark binaries (see `bench/README.md`): the emulator as a child
//! process, process memory and CPU from `/proc`, latency percentiles, and a lean MQTT load
//! generator ([`raw`]) with a mosquitto baseline ([`mosquitto`]).

pub mod mosquitto;
pub mod probe;
pub mod raw;

use std::process::Command;
use std::time::Duration;

use anyhow::Context as _;
use iothub_twin_test_support::{EmulatorProcess, Launch, ReadyLine};

/// The emulator release binary running with a durable data dir in a temporary directory (or
/// `--in-memory`), started by the one launcher of `iothub-twin-test-support`.
#[derive(Debug)]
pub struct Emulator {
    process: EmulatorProcess,
    _dir: tempfile::TempDir,
}

impl Emulator {
    /// Starts `binary` on free ports with `--device` for each of `devices`; waits for the ready
    /// line. The emulator logs (warnings) to this process's stderr.
    pub fn start(binary: &str, devices: &[String], in_memory: bool) -> anyhow::Result<Self> {
        let dir = tempfile::tempdir()?;
        let mut launch = Launch::new(binary)
            .free_ports()
            .data_dir(&dir.path().join("data"))
            .devices(devices)
            .inherit_stderr();
        if in_memory {
            launch = launch.args(["--in-memory"]);
        }
        let process = launch.try_start().map_err(anyhow::Error::msg)?;
        Ok(Self { process, _dir: dir })
    }

    /// The ready line.
    pub fn ready(&self) -> &ReadyLine {
        &self.process.ready
    }

    /// The emulator's process id.
    pub fn pid(&self) -> u32 {
        self.process.pid()
    }

    /// The MQTT port from the ready line.
    pub fn mqtt_port(&self) -> anyhow::Result<u16> {
        Ok(self.process.ready.mqtt_port)
    }

    /// The CA certificate (PEM) the emulator's server certificate chains to.
    pub fn ca_pem(&self) -> anyhow::Result<String> {
        Ok(std::fs::read_to_string(&self.process.ready.ca_cert)?)
    }

    /// The connection string of `device` (one of the `--device` ids).
    pub fn device_connection_string(&self, device: &str) -> anyhow::Result<&str> {
        self.process
            .ready
            .devices
            .get(device)
            .map(String::as_str)
            .with_context(|| format!("no connection string for {device}"))
    }
}

/// Resident set size of a process (`VmRSS` in `/proc/<pid>/status`), in KiB.
pub fn rss_kib(pid: &str) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .context("no VmRSS")?;
    let kib = line
        .split_whitespace()
        .nth(1)
        .context("VmRSS value")?
        .parse()?;
    Ok(kib)
}

/// Threads of a process (`Threads` in `/proc/<pid>/status`).
pub fn threads(pid: &str) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let line = status
        .lines()
        .find(|l| l.starts_with("Threads:"))
        .context("no Threads")?;
    Ok(line.split_whitespace().nth(1).context("value")?.parse()?)
}

/// CPU time (user + system) a process has used so far, from `/proc/<pid>/stat`.
pub fn cpu_time(pid: &str) -> anyhow::Result<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
    let after = stat.rsplit_once(')').context("stat format")?.1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    let utime: u64 = fields.get(11).context("utime")?.parse()?;
    let stime: u64 = fields.get(12).context("stime")?.parse()?;
    Ok(Duration::from_secs_f64(
        (utime + stime) as f64 / clock_ticks_per_second() as f64,
    ))
}

/// `getconf CLK_TCK` (100 on Linux unless the kernel says otherwise).
fn clock_ticks_per_second() -> u64 {
    static TICKS: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(100)
    })
}

/// The `p` quantile (0..=1) of sorted microsecond latencies, in milliseconds.
pub fn percentile_ms(sorted_us: &[u64], p: f64) -> f64 {
    if sorted_us.is_empty() {
        return 0.0;
    }
    let index = ((sorted_us.len() as f64 - 1.0) * p).round() as usize;
    sorted_us[index] as f64 / 1000.0
}

/// The 1-, 5- and 15-minute load averages, as `/proc/loadavg` shows them.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// A free TCP port on 127.0.0.1 (bound, then released).
pub fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}
