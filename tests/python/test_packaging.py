"""Packaging: ``pip install ./bindings-python`` builds (PEP 517, maturin) into a fresh venv and
imports; ``maturin build`` makes an abi3 wheel that installs into another fresh venv.

Kept cheap: both builds use the dev profile and the repo's target dir (CARGO_TARGET_DIR,
CARGO_BUILD_TARGET), so the core is not compiled again. pip fetches maturin for its isolated
build environment from the package index (cached after the first run)."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

from conftest import REPO_ROOT

TIMEOUT_S = 900
CHECK = (
    "import iothub_twin, iothub_twin.aio, iothub_twin.models as m, iothub_twin.exceptions as e\n"
    "try:\n"
    "    iothub_twin.IoTHubDeviceClient.create_from_connection_string('HostName=h')\n"
    "except e.InvalidConnectionStringError as error:\n"
    "    print('ok', iothub_twin.__version__, m.Twin(tags={'a': 1}).serialize(), error.__class__.__name__)\n"
)


def build_env() -> dict:
    env = dict(os.environ, CARGO_TARGET_DIR=str(REPO_ROOT / "target"))
    if not env.get("CARGO_BUILD_TARGET"):
        out = subprocess.run(["rustc", "-vV"], check=True, capture_output=True, text=True).stdout
        env["CARGO_BUILD_TARGET"] = next(
            line.split(": ", 1)[1] for line in out.splitlines() if line.startswith("host: ")
        )
    env["MATURIN_PEP517_ARGS"] = "--profile dev --locked"
    env.pop("VIRTUAL_ENV", None)
    return env


def fresh_venv(path: Path) -> Path:
    venv.EnvBuilder(with_pip=True, clear=True).create(path)
    return path / "bin" / "python"


def run(args, **kwargs) -> str:
    result = subprocess.run(args, capture_output=True, text=True, timeout=TIMEOUT_S, **kwargs)
    assert result.returncode == 0, f"{args}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def test_pip_install_from_source_then_wheel_into_another_venv(tmp_path):
    env = build_env()
    python = fresh_venv(tmp_path / "source-venv")
    run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         str(REPO_ROOT / "bindings-python")], env=env)
    # Import from outside the repo, so the installed copy is the one imported.
    assert run([str(python), "-c", CHECK], cwd=tmp_path).startswith("ok 0.1.0")

    maturin = Path(sys.executable).parent / "maturin"
    out_dir = tmp_path / "wheels"
    run([str(maturin), "build", "--profile", "dev", "--locked", "-m",
         str(REPO_ROOT / "bindings-python" / "Cargo.toml"), "-o", str(out_dir)], env=env)
    wheels = list(out_dir.glob("*.whl"))
    assert len(wheels) == 1 and "-cp39-abi3-" in wheels[0].name, wheels
    other = fresh_venv(tmp_path / "wheel-venv")
    run([str(other), "-m", "pip", "install", "--quiet", "--no-index", "--disable-pip-version-check",
         str(wheels[0])], env=env)
    out = run([str(other), "-c", CHECK], cwd=tmp_path)
    assert out.startswith("ok 0.1.0") and "InvalidConnectionStringError" in out
