#!/usr/bin/env python3
"""schemathesis against the running emulator binary's OpenAPI description (emulator/openapi.json).

Starts the emulator (`--in-memory`, free ports), signs a SAS token for the owner policy from
the ready line's service connection string, runs `schemathesis run` with the checks
`not_a_server_error` (no 5xx) and `response_schema_conformance` (every documented response
matches its schema) over every operation, then prints one TAP line per operation and the
`# pass N` / `# fail N` totals that `make test` adds up. Exit status 0 only when every
operation passed and schemathesis itself succeeded.

    python3 tests/schemathesis/run.py EMULATOR_BINARY [--max-examples N] [--max-time S]
"""

import argparse
import base64
import hashlib
import hmac
import json
import re
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SPEC = REPO / "emulator" / "openapi.json"
CHECKS = "not_a_server_error,response_schema_conformance"


def sas_token(connection_string: str, hostname: str, ttl: int) -> str:
    """`SharedAccessSignature sr=…&sig=…&se=…&skn=…` for the policy in the connection string."""
    fields = dict(part.split("=", 1) for part in connection_string.split(";"))
    resource = urllib.parse.quote(hostname, safe="")
    expiry = int(time.time()) + ttl
    key = base64.b64decode(fields["SharedAccessKey"])
    signature = base64.b64encode(
        hmac.new(key, f"{resource}\n{expiry}".encode(), hashlib.sha256).digest()
    ).decode()
    return (
        f"SharedAccessSignature sr={resource}&sig={urllib.parse.quote(signature, safe='')}"
        f"&se={expiry}&skn={fields['SharedAccessKeyName']}"
    )


def start_emulator(binary: str, stderr):
    proc = subprocess.Popen(
        [binary, "--in-memory", "--mqtt-port", "0", "--https-port", "0", "--device", "dev1"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=stderr,
    )
    line = proc.stdout.readline()  # the ready line (DESIGN.md's emulator contract)
    if not line:
        sys.exit(f"schemathesis: the emulator exited ({proc.wait()}) before its ready line")
    return proc, json.loads(line)


def registered_devices(ready, token: str) -> int:
    """How many devices the hub holds, read with the same token: proves the token is accepted
    (a run where every call got 401 would check nothing)."""
    context = ssl.create_default_context(cafile=ready["ca_cert"])
    request = urllib.request.Request(
        f"https://{ready['hostname']}:{ready['https_port']}/devices?api-version=2021-04-12",
        headers={"Authorization": token},
    )
    with urllib.request.urlopen(request, context=context, timeout=30) as response:
        return len(json.load(response))


def operations_from_junit(path: Path):
    """(name, passed, message) per operation; schemathesis writes one testcase for each."""
    results = []
    for case in ET.parse(path).getroot().iter("testcase"):
        problems = [c for c in case if c.tag in ("failure", "error")]
        message = " | ".join((p.get("message") or p.text or "").strip().splitlines()[0] for p in problems if (p.get("message") or p.text))
        skipped = any(c.tag == "skipped" for c in case)
        results.append((case.get("name"), not problems, message, skipped))
    return results


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("emulator")
    parser.add_argument("--max-examples", type=int, default=20)
    parser.add_argument("--max-time", type=int, default=None)
    parser.add_argument("--schemathesis", default=str(REPO / ".venv-schemathesis" / "bin" / "schemathesis"))
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="schemathesis-") as tmp:
        tmp = Path(tmp)
        with open(tmp / "emulator.stderr", "wb") as stderr:
            proc, ready = start_emulator(args.emulator, stderr)
            try:
                token = sas_token(ready["service_connection_string"], ready["hostname"], 3600)
                junit = tmp / "junit.xml"
                command = [
                    args.schemathesis, "run", str(SPEC),
                    "--url", f"https://{ready['hostname']}:{ready['https_port']}",
                    "--tls-verify", ready["ca_cert"],
                    "--header", f"Authorization: {token}",
                    "--checks", CHECKS,
                    "--max-examples", str(args.max_examples),
                    "--seed", "1",
                    "--workers", "1",
                    "--request-timeout", "30",
                    "--report", "junit", "--report-junit-path", str(junit),
                    "--output-sanitize", "true",
                    "--no-color",
                ]
                if args.max_time:
                    command += ["--max-time", str(args.max_time)]
                started = time.monotonic()
                # In the temporary folder, so schemathesis's cache stays out of the work tree.
                run = subprocess.run(command, capture_output=True, text=True, cwd=tmp)
                elapsed = time.monotonic() - started
                devices = registered_devices(ready, token)
            finally:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        output = run.stdout + run.stderr
        # Indented, so no line of it reads as a pytest summary to the `make test` tally.
        print("\n".join("  " + line for line in output.splitlines()))
        if not junit.exists():
            print(f"not ok 1 - schemathesis wrote no report (exit {run.returncode})")
            print("# pass 0\n# fail 1")
            return 1
        results = operations_from_junit(junit)
        if (tmp / "emulator.stderr").stat().st_size:
            tail = (tmp / "emulator.stderr").read_text(errors="replace").splitlines()[-5:]
            print("emulator stderr (tail):", *tail, sep="\n  ")

    print(f"TAP version 13\n1..{len(results)}")
    for number, (name, passed, message, skipped) in enumerate(results, 1):
        note = " # SKIP" if skipped else ""
        print(f"{'ok' if passed else 'not ok'} {number} - {name}{note}" + ("" if passed else f": {message}"))
    failed = sum(1 for r in results if not r[1])
    cases = re.search(r"Test cases:\s*\n?\s*(.*)", output)
    print(f"# schemathesis: {len(results)} operations, test cases: {cases.group(1).strip() if cases else '?'}, "
          f"{elapsed:.0f} s, exit {run.returncode}; the owner token was accepted and {devices} "
          "devices were left registered")
    print(f"# pass {len(results) - failed}\n# fail {failed}")
    return 0 if failed == 0 and run.returncode == 0 and results else 1


if __name__ == "__main__":
    sys.exit(main())
