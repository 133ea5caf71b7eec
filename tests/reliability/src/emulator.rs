//! The emulator binary as users run it: started on a data dir with free ports, its ready line
//! read, killed with SIGKILL or stopped with SIGTERM.

use std::io::{BufRead as _, BufReader, Read as _};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread::JoinHandle;

use serde_json::Value;

/// A running emulator process.
#[derive(Debug)]
pub struct EmulatorProcess {
    child: Child,
    /// The ready line.
    pub ready: Value,
    logs: Option<JoinHandle<String>>,
}

/// The emulator binary: `RELIABILITY_EMULATOR`, else the debug build next to this test's
/// `deps/` directory (`make reliability` builds it first).
///
/// # Panics
/// When the binary does not exist.
pub fn binary() -> PathBuf {
    let path = match std::env::var_os("RELIABILITY_EMULATOR") {
        Some(path) => PathBuf::from(path),
        None => {
            let exe = std::env::current_exe().expect("the test knows its path");
            let profile_dir = exe
                .parent()
                .and_then(Path::parent)
                .expect("tests run from target/<profile>/deps");
            profile_dir.join("iothub-twin-emulator")
        }
    };
    assert!(
        path.is_file(),
        "{} is missing: run `cargo build -p iothub-twin-emulator` first (make reliability does), \
         or set RELIABILITY_EMULATOR",
        path.display()
    );
    path
}

impl EmulatorProcess {
    /// Starts the binary on `data_dir` with free ports, making sure `devices` exist.
    ///
    /// # Panics
    /// When it does not start or prints no ready line (stderr is in the message).
    pub fn start(data_dir: &Path, devices: &[String]) -> Self {
        let mut command = Command::new(binary());
        command
            .arg("--data-dir")
            .arg(data_dir)
            .args(["--https-port", "0", "--mqtt-port", "0"])
            .env("IOTHUB_TWIN_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for device in devices {
            command.args(["--device", device]);
        }
        let mut child = command.spawn().expect("the emulator binary runs");
        let mut line = String::new();
        let read =
            BufReader::new(child.stdout.take().expect("stdout is piped")).read_line(&mut line);
        let mut stderr = child.stderr.take().expect("stderr is piped");
        let ready = match (read, serde_json::from_str::<Value>(&line)) {
            (Ok(_), Ok(ready)) => ready,
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                let mut logs = String::new();
                let _ = stderr.read_to_string(&mut logs);
                panic!("the emulator did not become ready (stdout {line:?}):\n{logs}");
            }
        };
        // Drain stderr on a thread so the pipe never fills and blocks the emulator.
        let logs = Some(std::thread::spawn(move || {
            let mut logs = String::new();
            let _ = stderr.read_to_string(&mut logs);
            logs
        }));
        Self { child, ready, logs }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The MQTT (TLS) listen address.
    pub fn mqtt_addr(&self) -> SocketAddr {
        self.addr("mqtt_port")
    }

    /// The HTTPS (REST) listen address.
    pub fn https_addr(&self) -> SocketAddr {
        self.addr("https_port")
    }

    fn addr(&self, field: &str) -> SocketAddr {
        let port = self.ready[field]
            .as_u64()
            .expect("the ready line has ports");
        SocketAddr::from(([127, 0, 0, 1], u16::try_from(port).expect("a port")))
    }

    /// The CA certificate (PEM) the clients must trust.
    pub fn ca_pem(&self) -> String {
        std::fs::read_to_string(self.ready["ca_cert"].as_str().expect("ca_cert"))
            .expect("the CA file is readable")
    }

    /// The owner policy's connection string.
    pub fn service_connection_string(&self) -> String {
        self.ready["service_connection_string"]
            .as_str()
            .expect("service_connection_string")
            .to_owned()
    }

    /// The connection string of a device given with `--device`.
    pub fn device_connection_string(&self, device_id: &str) -> String {
        self.ready["devices"][device_id]
            .as_str()
            .unwrap_or_else(|| panic!("{device_id} is not in the ready line"))
            .to_owned()
    }

    /// Whether the process has exited by itself (a crash, unless we stopped it).
    pub fn has_exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().expect("waitpid works")
    }

    /// SIGKILL and wait: no chance to flush or say goodbye. Returns what it logged.
    pub fn kill_9(mut self) -> String {
        self.child.kill().expect("SIGKILL is delivered");
        self.child.wait().expect("the killed emulator is reaped");
        self.take_logs()
    }

    /// SIGTERM (a clean stop) and wait; the exit status and what it logged.
    pub fn terminate(mut self) -> (ExitStatus, String) {
        let sent = Command::new("kill")
            .arg(self.child.id().to_string())
            .status()
            .expect("kill(1) runs");
        assert!(sent.success(), "SIGTERM could not be sent");
        let status = self.child.wait().expect("the emulator is reaped");
        (status, self.take_logs())
    }

    fn take_logs(&mut self) -> String {
        self.logs
            .take()
            .and_then(|logs| logs.join().ok())
            .unwrap_or_default()
    }
}

impl Drop for EmulatorProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
