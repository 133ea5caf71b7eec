//! The emulator binary as users run it: started with its flags, its typed ready line read from
//! stdout, its stderr drained (or inherited), killed with SIGKILL or stopped with SIGTERM.

use std::ffi::OsStr;
use std::io::{BufRead as _, BufReader, Read as _};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread::JoinHandle;

pub use iothub_twin_emulator::ReadyLine;

use crate::rest::Service;

/// The emulator binary to run: `IOTHUB_TWIN_EMULATOR`, else the build in the profile directory
/// of the running test or benchmark (`target/<profile>/`, next to its `deps/`).
///
/// # Panics
/// When the binary does not exist.
pub fn built_binary() -> PathBuf {
    let path = match std::env::var_os("IOTHUB_TWIN_EMULATOR") {
        Some(path) => PathBuf::from(path),
        None => {
            let exe = std::env::current_exe().expect("the test knows its path");
            let dir = exe.parent().expect("an executable has a directory");
            let profile_dir = if dir.ends_with("deps") {
                dir.parent().unwrap_or(dir)
            } else {
                dir
            };
            profile_dir.join("iothub-twin-emulator")
        }
    };
    assert!(
        path.is_file(),
        "{} is missing: run `cargo build -p iothub-twin-emulator` first, or set \
         IOTHUB_TWIN_EMULATOR",
        path.display()
    );
    path
}

/// How to start the binary; [`Launch::start`] runs it.
#[derive(Debug)]
pub struct Launch {
    command: Command,
    inherit_stderr: bool,
}

impl Launch {
    /// `binary` with stdin closed and `IOTHUB_TWIN_LOG=warn`.
    pub fn new(binary: impl AsRef<OsStr>) -> Self {
        let mut command = Command::new(binary);
        command.env("IOTHUB_TWIN_LOG", "warn").stdin(Stdio::null());
        Self {
            command,
            inherit_stderr: false,
        }
    }

    /// More command-line arguments.
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.command.args(args);
        self
    }

    /// `--data-dir dir`.
    pub fn data_dir(self, dir: &Path) -> Self {
        self.args([OsStr::new("--data-dir"), dir.as_os_str()])
    }

    /// Free ports for MQTT and HTTPS (`--mqtt-port 0 --https-port 0`).
    pub fn free_ports(self) -> Self {
        self.args(["--https-port", "0", "--mqtt-port", "0"])
    }

    /// `--device id` for each of `devices`.
    pub fn devices(mut self, devices: &[String]) -> Self {
        for device in devices {
            self.command.args(["--device", device]);
        }
        self
    }

    /// The `IOTHUB_TWIN_LOG` filter.
    pub fn log(mut self, filter: &str) -> Self {
        self.command.env("IOTHUB_TWIN_LOG", filter);
        self
    }

    /// Let the emulator log to this process's stderr instead of collecting it.
    pub fn inherit_stderr(mut self) -> Self {
        self.inherit_stderr = true;
        self
    }

    /// Starts it and waits for the ready line; on failure, what it printed.
    pub fn try_start(mut self) -> Result<EmulatorProcess, String> {
        let stderr = if self.inherit_stderr {
            Stdio::inherit()
        } else {
            Stdio::piped()
        };
        let mut child = self
            .command
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .map_err(|e| format!("the emulator binary does not run: {e}"))?;
        let mut line = String::new();
        let read = match child.stdout.take() {
            Some(stdout) => BufReader::new(stdout).read_line(&mut line).ok(),
            None => None,
        };
        let stderr = child.stderr.take();
        match read.and_then(|_| ReadyLine::parse(&line).ok()) {
            Some(ready) => Ok(EmulatorProcess {
                child,
                ready,
                // Drained on a thread so the pipe never fills and blocks the emulator.
                logs: stderr.map(drain),
            }),
            None => {
                let _ = child.kill();
                let _ = child.wait();
                let logs = stderr.map(|s| drain(s).join().unwrap_or_default());
                Err(format!(
                    "the emulator did not become ready (stdout {line:?}):\n{}",
                    logs.unwrap_or_default()
                ))
            }
        }
    }

    /// Starts it and waits for the ready line.
    ///
    /// # Panics
    /// When it does not become ready (its stderr is in the message).
    pub fn start(self) -> EmulatorProcess {
        self.try_start()
            .unwrap_or_else(|failure| panic!("{failure}"))
    }

    /// Runs it expecting it to fail at start: its exit status and stderr.
    ///
    /// # Panics
    /// When it cannot run, or prints a ready line.
    pub fn fail(mut self) -> (ExitStatus, String) {
        let output = self.command.output().expect("the emulator binary runs");
        assert!(output.stdout.is_empty(), "no ready line on failure");
        (
            output.status,
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }
}

/// A running emulator process; killed when dropped.
#[derive(Debug)]
pub struct EmulatorProcess {
    child: Child,
    /// The ready line.
    pub ready: ReadyLine,
    logs: Option<JoinHandle<String>>,
}

impl EmulatorProcess {
    /// [`built_binary`] on `data_dir` with free ports, making sure `devices` exist.
    ///
    /// # Panics
    /// When it does not become ready.
    pub fn start(data_dir: &Path, devices: &[String]) -> Self {
        Launch::new(built_binary())
            .data_dir(data_dir)
            .free_ports()
            .devices(devices)
            .start()
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The MQTT (TLS) listen address.
    pub fn mqtt_addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.ready.mqtt_port))
    }

    /// The HTTPS (REST) listen address.
    pub fn https_addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.ready.https_port))
    }

    /// The CA certificate (PEM) the clients must trust.
    ///
    /// # Panics
    /// When the file named by the ready line cannot be read.
    pub fn ca_pem(&self) -> String {
        std::fs::read_to_string(&self.ready.ca_cert).expect("the CA file is readable")
    }

    /// The owner policy's connection string.
    pub fn service_connection_string(&self) -> String {
        self.ready.service_connection_string.clone()
    }

    /// The connection string of a device given with `--device`.
    ///
    /// # Panics
    /// When the ready line does not list it.
    pub fn device_connection_string(&self, device_id: &str) -> String {
        self.ready
            .devices
            .get(device_id)
            .unwrap_or_else(|| panic!("{device_id} is not in the ready line"))
            .clone()
    }

    /// A REST client signed with the owner policy.
    pub fn service(&self) -> Service {
        Service::new(&self.ready.service_connection_string, &self.ca_pem())
    }

    /// Whether the process has exited by itself (a crash, unless we stopped it).
    ///
    /// # Panics
    /// When waiting fails.
    pub fn has_exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().expect("waitpid works")
    }

    /// SIGKILL and wait: no chance to flush or say goodbye. Returns what it logged.
    ///
    /// # Panics
    /// When the signal cannot be sent.
    pub fn kill_9(mut self) -> String {
        self.child.kill().expect("SIGKILL is delivered");
        self.child.wait().expect("the killed emulator is reaped");
        self.take_logs()
    }

    /// SIGTERM (a clean stop) and wait; the exit status and what it logged.
    ///
    /// # Panics
    /// When the signal cannot be sent.
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

fn drain(mut stderr: std::process::ChildStderr) -> JoinHandle<String> {
    std::thread::spawn(move || {
        let mut logs = String::new();
        let _ = stderr.read_to_string(&mut logs);
        logs
    })
}
