//! `iothub-twin-emulator`: a local IoT Hub twin emulator (DESIGN.md "The emulator contract").
//!
//! Logs go to stderr (filter with `IOTHUB_TWIN_LOG`, e.g. `debug`); stdout carries exactly one
//! JSON line once the emulator is ready. SIGINT or SIGTERM stop it after committing everything.

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use iothub_twin_emulator::{EmulatorConfig, ReadyLine, RunningEmulator};
use tracing_subscriber::EnvFilter;

/// A local Azure IoT Hub twin emulator: registry, twins over REST (HTTPS) and MQTT (TLS).
#[derive(Debug, Parser)]
#[command(name = "iothub-twin-emulator", version)]
struct Cli {
    /// Durable state: SQLite database, CA and server certificate, policy keys.
    #[arg(long, value_name = "DIR", default_value = "./.iothub-twin-emulator")]
    data_dir: PathBuf,
    /// Keep nothing on disk (a CA is still generated, into a temporary directory).
    #[arg(long)]
    in_memory: bool,
    /// Hub host name used in connection strings and checked in SAS `sr`.
    #[arg(long, value_name = "NAME", default_value = "localhost")]
    hostname: String,
    /// Listen address.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1")]
    bind: IpAddr,
    /// MQTT over TLS port (0 = pick a free port).
    #[arg(long, value_name = "N", default_value_t = 8883)]
    mqtt_port: u16,
    /// REST API port, also MQTT over WebSockets (0 = pick a free port).
    #[arg(long, value_name = "N", default_value_t = 443)]
    https_port: u16,
    /// Make sure a SAS device with this id exists (repeatable); the ready line lists its
    /// connection string.
    #[arg(long = "device", value_name = "ID")]
    devices: Vec<String>,
    /// EMULATOR ONLY, a stand-in for Microsoft Entra: `Authorization: Bearer TOKEN` acts with
    /// owner rights.
    #[arg(long, value_name = "TOKEN")]
    entra_token: Option<String>,
    /// How often automatic device configurations are applied to the twins, e.g. `5s`, `500ms`,
    /// `2m` (the control API's `POST /emulator/configurations/apply` applies at once).
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = parse_interval)]
    configuration_interval: Duration,
}

/// `500ms`, `5s`, `2m`, or plain seconds; at least 10 ms.
fn parse_interval(text: &str) -> Result<Duration, String> {
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let n: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration like 500ms, 5s or 2m"))?;
    let interval = match unit {
        "ms" => Duration::from_millis(n),
        "s" => Duration::from_secs(n),
        "m" => Duration::from_secs(n.saturating_mul(60)),
        _ => return Err(format!("`{text}` is not a duration like 500ms, 5s or 2m")),
    };
    if interval < Duration::from_millis(10) {
        return Err("the interval must be at least 10ms".to_owned());
    }
    Ok(interval)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            EnvFilter::try_from_env("IOTHUB_TWIN_LOG").unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let config = EmulatorConfig {
        data_dir: (!cli.in_memory).then_some(cli.data_dir),
        hostname: cli.hostname,
        bind: cli.bind,
        mqtt_port: cli.mqtt_port,
        https_port: cli.https_port,
        devices: cli.devices,
        entra_token: cli.entra_token,
        https_limits: Default::default(),
        configuration_interval: cli.configuration_interval,
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let hub = match RunningEmulator::start(config).await {
            Ok(hub) => hub,
            Err(e) => {
                eprintln!("error: {e:#}");
                return ExitCode::from(2);
            }
        };
        // Printed through the typed line, so the binary writes exactly what launchers read.
        let ready = serde_json::from_value::<ReadyLine>(hub.ready_line())
            .and_then(|ready| serde_json::to_string(&ready));
        match ready {
            Ok(line) => println!("{line}"),
            Err(e) => {
                eprintln!("error: the ready line: {e}");
                return ExitCode::FAILURE;
            }
        }
        wait_for_stop_signal().await;
        tracing::info!("stopping");
        hub.shutdown().await;
        ExitCode::SUCCESS
    })
}

async fn wait_for_stop_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut terminate) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminate.recv() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
