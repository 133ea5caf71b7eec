"""Finding, starting and stopping the ``iothub-twin-emulator`` binary (standard library only).

The emulator prints exactly one JSON "ready" line on stdout and logs to stderr (DESIGN.md, "The
emulator contract"). Its stderr goes to a file, so the pipe can never fill; stdout is drained
after the ready line for the same reason.

No orphans: on Linux the emulator asks the kernel for SIGTERM when its parent dies
(``PR_SET_PDEATHSIG``, through ``setpriv`` or ``prctl``), so a test runner killed with SIGKILL takes its emulators with it; an
``atexit`` hook stops hubs a program forgot to stop; Ctrl-C runs the fixtures' teardown.
"""

from __future__ import annotations

import atexit
import ctypes
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
import weakref
from pathlib import Path
from typing import Callable, List, Optional, Sequence, Tuple

ENV_VAR = "IOTHUB_TWIN_EMULATOR"
BINARY = "iothub-twin-emulator"
FIXED_PORTS_LOCK = "/tmp/iothub-fixed-ports.lock"
STOP_TIMEOUT_S = 10


class EmulatorNotFound(RuntimeError):
    """No ``iothub-twin-emulator`` binary: the message names every place that was looked at."""


class EmulatorFailed(RuntimeError):
    """The emulator exited, or printed no valid ready line, before it was ready."""


def find_emulator(binary: Optional[str] = None) -> str:
    """The emulator binary: ``binary`` if given, else ``$IOTHUB_TWIN_EMULATOR``, else the one the
    ``iothub-twin-emulator`` wheel installed next to this Python, else the first on ``PATH``."""
    if binary is not None:
        return _checked(binary, "the binary= argument")
    override = os.environ.get(ENV_VAR)
    if override:
        return _checked(override, f"${ENV_VAR}")
    scripts = Path(sysconfig.get_path("scripts")) / BINARY
    if os.access(scripts, os.X_OK):
        return str(scripts)
    on_path = shutil.which(BINARY)
    if on_path:
        return on_path
    raise EmulatorNotFound(
        f"{BINARY} not found: looked for the wheel's binary at {scripts} "
        f"(`pip install iothub-twin-emulator`, or `pip install ./emulator` from a clone), "
        f"${ENV_VAR} (unset; set it to the binary's path), and PATH (none there; e.g. "
        f"`cargo install --path emulator`)"
    )


def _checked(path: str, source: str) -> str:
    if not os.access(path, os.X_OK) or not os.path.isfile(path):
        raise EmulatorNotFound(f"{BINARY} from {source} is not an executable file: {path}")
    return path


def _with_pdeathsig(args: List[str]) -> Tuple[List[str], Optional[Callable[[], None]]]:
    """The command and a ``preexec_fn`` that make the emulator get SIGTERM when its parent dies
    (Linux): ``setpriv --pdeathsig`` when util-linux has it (it execs into the emulator, so the
    pid stays the emulator's), else ``prctl`` between fork and exec, resolved before the fork so
    the child only makes the call."""
    if not sys.platform.startswith("linux"):
        return args, None
    setpriv = shutil.which("setpriv")
    if setpriv:
        return [setpriv, "--pdeathsig", "SIGTERM", "--", *args], None
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    parent = os.getpid()
    pr_set_pdeathsig = 1

    def die_with_parent() -> None:
        prctl(pr_set_pdeathsig, int(signal.SIGTERM), 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return args, die_with_parent


class FixedPortsLock:
    """``flock`` on the fixed-ports lock file, held while a hub uses 8883/443."""

    def __init__(self, path: str = FIXED_PORTS_LOCK, timeout: float = 600.0) -> None:
        import fcntl

        self._file = open(path, "a+")
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() > deadline:
                    self._file.close()
                    raise TimeoutError(f"another process held {path} (the fixed ports 8883/443) for {timeout}s")
                time.sleep(0.1)  # bounded wait for another process's hub to stop

    def release(self) -> None:
        self._file.close()  # closing the file drops the flock


_running: "weakref.WeakSet[EmulatorProcess]" = weakref.WeakSet()


class EmulatorProcess:
    """A started emulator: its process, parsed ready line and stderr log."""

    def __init__(self, args: Sequence[str], ready_timeout: float, log_path: Optional[str]) -> None:
        if log_path is None:
            handle, log_path = tempfile.mkstemp(prefix="iothub-twin-emulator-", suffix=".log")
            os.close(handle)
        self.log_path = log_path
        command, preexec = _with_pdeathsig(list(args))
        with open(log_path, "wb") as log:
            self.proc = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log, preexec_fn=preexec
            )
        _running.add(self)
        self.ready = self._read_ready_line(ready_timeout)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def _read_ready_line(self, timeout: float) -> dict:
        lines: "queue.Queue[bytes]" = queue.Queue()

        def pump() -> None:
            assert self.proc.stdout is not None
            first = True
            for raw in self.proc.stdout:
                if first:
                    lines.put(raw)
                    first = False
            if first:
                lines.put(b"")

        threading.Thread(target=pump, name="iothub-twin-emulator-stdout", daemon=True).start()
        try:
            raw = lines.get(timeout=timeout)
        except queue.Empty:
            self.stop()
            raise EmulatorFailed(f"no ready line within {timeout}s; log:\n{self.log_tail()}") from None
        if not raw:
            code = self.proc.wait(timeout=STOP_TIMEOUT_S)
            raise EmulatorFailed(f"the emulator exited (code {code}) before it was ready; log:\n{self.log_tail()}")
        try:
            ready = json.loads(raw)
        except ValueError:
            self.stop()
            raise EmulatorFailed(f"the emulator's first stdout line is not JSON: {raw!r}") from None
        if not isinstance(ready, dict) or ready.get("event") != "ready":
            self.stop()
            raise EmulatorFailed(f"the emulator's first stdout line is not a ready event: {raw!r}")
        return ready

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = Path(self.log_path).read_text(errors="replace")
        except OSError:
            return "(no log file)"
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after a grace period; waits for the exit."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=STOP_TIMEOUT_S)
        _running.discard(self)


def emulator_args(
    binary: str, hostname: str, https_port: int, mqtt_port: int, entra_token: str, devices: List[str]
) -> List[str]:
    args = [
        binary, "--in-memory", "--bind", "127.0.0.1", "--hostname", hostname,
        "--https-port", str(https_port), "--mqtt-port", str(mqtt_port), "--entra-token", entra_token,
    ]
    for device_id in devices:
        args += ["--device", device_id]
    return args


@atexit.register
def _stop_forgotten() -> None:
    for emulator in list(_running):
        emulator.stop()
