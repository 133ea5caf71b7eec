"""The emulator binary for the Python test suites (tests/python, and the official-SDK
compatibility tests in tests/compat/python, which import this file): start it, read its ready
line, stop it.

The emulator is `target/$CARGO_BUILD_TARGET/debug/iothub-twin-emulator` (`cargo build -p
iothub-twin-emulator`; `make python` and `make compat` do), or `$IOTHUB_TWIN_EMULATOR` if set. It
prints exactly one JSON "ready" line on stdout (DESIGN.md, "The emulator contract"); its logs go
to stderr, which is written to `target/compat/` so the pipe can never fill. Every emulator is
started under `setpriv --pdeathsig SIGTERM` (when available), so it is stopped even if pytest
itself is killed before its teardown runs.
"""

import json
import os
import queue
import secrets
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT_S = 60
STOP_TIMEOUT_S = 10


def emulator_binary() -> Path:
    override = os.environ.get("IOTHUB_TWIN_EMULATOR")
    if override:
        return Path(override)
    triple = os.environ.get("CARGO_BUILD_TARGET")
    if not triple:
        out = subprocess.run(["rustc", "-vV"], check=True, capture_output=True, text=True).stdout
        triple = next(line[len("host: "):] for line in out.splitlines() if line.startswith("host: "))
    return REPO_ROOT / "target" / triple.strip() / "debug" / "iothub-twin-emulator"


class Emulator:
    """A running emulator process and its parsed ready line."""

    def __init__(self, proc, ready, stderr_path):
        self.proc = proc
        self.ready = ready
        self.stderr_path = stderr_path
        self.entra_token = None

    @property
    def connection_string(self) -> str:
        return self.ready["service_connection_string"]

    @property
    def ca_cert(self) -> str:
        return self.ready["ca_cert"]

    def stderr_tail(self, lines=40) -> str:
        try:
            text = Path(self.stderr_path).read_text(errors="replace")
        except OSError:
            return "(no stderr file)"
        return "\n".join(text.splitlines()[-lines:])


def start_emulator(name: str, https_port: int, mqtt_port: int = 0, extra_args=()) -> Emulator:
    binary = emulator_binary()
    if not binary.is_file():
        pytest.fail(
            f"emulator binary not found at {binary}: build it with "
            "`cargo build --locked -p iothub-twin-emulator` (make compat does) "
            "or set IOTHUB_TWIN_EMULATOR"
        )
    log_dir = REPO_ROOT / "target" / "compat"
    log_dir.mkdir(parents=True, exist_ok=True)
    stderr_path = log_dir / f"emulator-{name}.stderr"
    args = [
        str(binary),
        "--in-memory",
        "--bind", "127.0.0.1",
        "--mqtt-port", str(mqtt_port),
        "--https-port", str(https_port),
        "--hostname", "localhost",
        *extra_args,
    ]
    setpriv = shutil.which("setpriv")
    if setpriv:
        # The emulator gets SIGTERM when pytest dies, whatever the way (setpriv execs into it, so
        # proc.pid is the emulator's pid).
        args = [setpriv, "--pdeathsig", "SIGTERM", "--", *args]
    with open(stderr_path, "wb") as stderr_file:
        proc = subprocess.Popen(
            args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=stderr_file
        )

    # Read exactly one line, with a timeout, on a thread; then keep draining stdout so the
    # emulator can never block on a full pipe.
    lines: "queue.Queue[bytes]" = queue.Queue()

    def pump():
        first = True
        for raw in proc.stdout:
            if first:
                lines.put(raw)
                first = False
        if first:
            lines.put(b"")  # EOF before any line

    threading.Thread(target=pump, name=f"emulator-{name}-stdout", daemon=True).start()
    emu = Emulator(proc, None, stderr_path)
    try:
        raw = lines.get(timeout=READY_TIMEOUT_S)
    except queue.Empty:
        stop_emulator(emu)
        pytest.fail(f"emulator printed no ready line within {READY_TIMEOUT_S}s; stderr:\n{emu.stderr_tail()}")
    if not raw:
        code = proc.wait(timeout=STOP_TIMEOUT_S)
        pytest.fail(f"emulator exited (code {code}) before its ready line; stderr:\n{emu.stderr_tail()}")
    try:
        ready = json.loads(raw)
    except ValueError:
        stop_emulator(emu)
        pytest.fail(f"emulator's first stdout line is not JSON: {raw!r}")
    emu.ready = ready
    for key in ("event", "hostname", "https_port", "ca_cert", "service_connection_string"):
        if key not in ready:
            stop_emulator(emu)
            pytest.fail(f"ready line lacks {key!r}: {raw!r}")
    if ready["event"] != "ready":
        stop_emulator(emu)
        pytest.fail(f"first stdout line is not a ready event: {raw!r}")
    return emu


def stop_emulator(emu: Emulator) -> None:
    proc = emu.proc
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=STOP_TIMEOUT_S)
