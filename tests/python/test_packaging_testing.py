"""The README's "Testing your twin app" examples, run as a user would: fresh venvs, the emulator
and the package installed once from the source trees (``pip install ./emulator
./bindings-python``) and once from the sdists ``maturin sdist`` packs, the official SDKs from
the index, the example files in a fresh project, plain ``pytest`` there.

Also `cargo install --path emulator` from a fresh copy of the repository.

The emulator must come from its wheel: ``IOTHUB_TWIN_EMULATOR`` is removed and the venv is not
activated (its bin/ is not on PATH). Builds share the repo's target dir and use the dev
profile (``test_packaging.build_env``), so only what changed is compiled."""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import pytest

from conftest import REPO_ROOT
from iothub_twin.testing import find_emulator, start_hub
from test_packaging import build_env, fresh_venv, run

EXAMPLE = re.compile(r"<!-- example: (\S+) -->\n```python\n(.*?)```", re.S)
REQUIREMENTS = REPO_ROOT / "tests" / "compat" / "requirements.txt"


def readme_examples() -> dict:
    examples = dict(EXAMPLE.findall((REPO_ROOT / "bindings-python" / "README.md").read_text()))
    assert set(examples) == {"test_thermostat.py", "test_thermostat_official_sdks.py"}, examples
    return examples


def run_examples(python: Path, project: Path, env: dict) -> str:
    project.mkdir()
    for name, code in readme_examples().items():
        (project / name).write_text(code)
    user_env = {k: v for k, v in env.items() if k not in ("IOTHUB_TWIN_EMULATOR", "PYTHONPATH")}
    out = run([str(python), "-m", "pytest", "-v", "-p", "no:cacheprovider", str(project)],
              cwd=project, env=user_env)
    assert "test_the_thermostat_reports_its_target PASSED" in out, out
    assert "test_with_the_official_sdks PASSED" in out, out
    return out


def pip_install(python: Path, *targets: str, env: dict) -> None:
    run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "-r", str(REQUIREMENTS), *targets], env=env)


@pytest.mark.parametrize("source", ["tree", "sdist"])
def test_readme_examples_from_a_fresh_venv(source, tmp_path):
    env = build_env()
    if source == "tree":
        targets = [str(REPO_ROOT / "emulator"), str(REPO_ROOT / "bindings-python")]
    else:
        maturin = Path(sys.executable).parent / "maturin"
        dist = tmp_path / "dist"
        for crate in ("emulator", "bindings-python"):
            run([str(maturin), "sdist", "-m", str(REPO_ROOT / crate / "Cargo.toml"), "-o", str(dist)], env=env)
        targets = sorted(str(p) for p in dist.glob("*.tar.gz"))
        # An sdist's workspace holds only the crates it needs, so cargo prunes the other
        # crates' entries from its Cargo.lock: `--locked` refuses that; `--offline` proves the
        # pruning resolves nothing new (every version stays the one the repo locked).
        env["MATURIN_PEP517_ARGS"] = "--profile dev --offline"
        assert [Path(t).name for t in targets] == ["iothub_twin-0.1.0.tar.gz", "iothub_twin_emulator-0.1.0.tar.gz"]
    python = fresh_venv(tmp_path / "venv")
    pip_install(python, *targets, env=env)
    assert (tmp_path / "venv" / "bin" / "iothub-twin-emulator").is_file()
    run_examples(python, tmp_path / "project", env)


def fresh_copy(dest: Path) -> Path:
    """The repository's tracked and new files, as a clone has them (uncommitted edits included)."""
    files = run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO_ROOT).split("\0")
    for name in filter(None, files):
        source = REPO_ROOT / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    return dest


def test_cargo_install_path_emulator_from_a_fresh_copy_is_found_on_path(tmp_path, monkeypatch):
    """`cargo install --path emulator` (debug, to reuse the target dir's dependencies) puts the
    binary where iothub_twin.testing finds it through PATH. (`--path cli` does not exist yet.)"""
    clone = fresh_copy(tmp_path / "clone")
    env = build_env()
    run(["cargo", "install", "--locked", "--debug", "--quiet", "--path", str(clone / "emulator"),
         "--root", str(tmp_path / "root")], env=env)
    monkeypatch.delenv("IOTHUB_TWIN_EMULATOR", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "root" / "bin"))
    binary = find_emulator()
    assert binary == str(tmp_path / "root" / "bin" / "iothub-twin-emulator")
    with start_hub() as hub:
        assert hub.create_device("installed-d1").startswith("HostName=localhost;DeviceId=installed-d1;")
