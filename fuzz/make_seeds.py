#!/usr/bin/env python3
"""Writes the seed corpora of the mqtt, rest and merge_patch fuzz targets (fuzz/README.md).

Sources: the official SDKs' wire captures (spec/transcripts, passed as the first argument: they
live outside the repository, so the seeds they yield are committed), the wire and merge-patch
fixtures in tests/fixtures and the examples in emulator/openapi.json.

    python3 fuzz/make_seeds.py /work/shared/spec/transcripts
"""

import hashlib
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "fuzz" / "seeds"


def write(target, data):
    folder = SEEDS / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / hashlib.sha1(data).hexdigest()[:16]).write_bytes(data)


# --- MQTT 3.1.1 encoding of what clients send -------------------------------------------------

def remaining_length(n):
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def utf8(text):
    data = text.encode()
    return len(data).to_bytes(2, "big") + data


def packet(first, body):
    return bytes([first]) + remaining_length(len(body)) + body


def encode(line):
    """One `>>> PACKET k=v ...` transcript line as MQTT bytes, or None."""
    kind, _, rest = line.partition(" ")
    if kind == "CONNECT":
        head, _, password = rest.partition(" password=")
        head, _, username = head.partition(" username=")
        fields = dict(re.findall(r"(\w+)=(\S+)", head), username=username, password=password)
        flags = 0xC0 | (0x02 if fields.get("clean_session") == "true" else 0)
        body = utf8("MQTT") + bytes([4, flags]) + int(fields.get("keepalive", "60")).to_bytes(2, "big")
        body += utf8(fields["client_id"]) + utf8(fields["username"]) + utf8(fields["password"])
        return packet(0x10, body)
    if kind == "SUBSCRIBE":
        pid = int(re.search(r"pid=(\d+)", rest).group(1))
        topics = json.loads(re.search(r"topics=(\[.*\])", rest).group(1))
        body = pid.to_bytes(2, "big") + b"".join(utf8(t) + bytes([q]) for t, q in topics)
        return packet(0x82, body)
    if kind == "PUBLISH":
        topic = re.search(r"topic=(\S+)", rest).group(1)
        qos = int(re.search(r"qos=(\d)", rest).group(1))
        payload = re.search(r"payload=(.*?)(?: payload_len=\d+)?$", rest).group(1)
        body = utf8(topic)
        if qos:
            body += int(re.search(r"pid=(\d+)", rest).group(1)).to_bytes(2, "big")
        return packet(0x30 | (qos << 1), body + payload.encode())
    if kind == "PUBACK":
        return packet(0x40, int(re.search(r"pid=(\d+)", rest).group(1)).to_bytes(2, "big"))
    if kind == "PINGREQ":
        return packet(0xC0, b"")
    if kind == "DISCONNECT":
        return packet(0xE0, b"")
    return None


def mqtt_seeds(transcripts):
    for path in sorted(transcripts.glob("*.txt")):
        connections = {}
        for line in path.read_text().splitlines():
            match = re.match(r"#(\d+) >>> ([A-Z]+.*)$", line)
            if match and not match.group(2).startswith(("GET ", "PUT ", "POST ", "PATCH ", "DELETE ")):
                connections.setdefault(match.group(1), []).append(match.group(2))
        for number, lines in connections.items():
            connect = [l for l in lines if l.startswith("CONNECT")]
            after = b"".join(filter(None, (encode(l) for l in lines if not l.startswith("CONNECT"))))
            clean = bool(connect) and "clean_session=true" in connect[0]
            chunk = int(number) % 8
            # The harness's own valid CONNECT, then the SDK's packets.
            write("mqtt", bytes([(1 if clean else 2) | chunk << 2]) + after)
            # A module's connection with the same packets.
            write("mqtt", bytes([3 | chunk << 2]) + after.replace(b"devices/dev1/", b"devices/dev1/modules/m1/"))
            # The captured CONNECT itself: its signature is stale, so the hub refuses it.
            if connect:
                write("mqtt", bytes([chunk << 2]) + encode(connect[0]) + after)


# --- REST ------------------------------------------------------------------------------------

def rest_seeds(transcripts):
    requests = []
    for path in sorted(transcripts.glob("*.https.txt")):
        current = None
        for line in path.read_text().splitlines():
            match = re.match(r"#\d+ >>> ([A-Z]+) (\S+) HTTP/1.1$", line)
            if match:
                current = {"method": match.group(1), "target": match.group(2), "headers": [], "body": ""}
                requests.append(current)
                continue
            match = re.match(r"#\d+ >>>   (.*)$", line)
            if match and current is not None:
                text = match.group(1)
                if text.startswith("<body> "):
                    current["body"] = text[len("<body> "):]
                elif ": " in text:
                    current["headers"].append(text)
            elif "<<<" in line:
                current = None
    for request in requests:
        for old, new in [("svcpy", "svcpy"), ("svcpy", "dev1"), ("svcnode", "dev2")]:
            target = request["target"].replace(old, new)
            body = request["body"].replace(old, new)
            plain = [h for h in request["headers"] if not h.lower().startswith(("authorization", "content-length"))]
            head = "\n".join([f"{request['method']} {target}"] + plain)
            write("rest", b"\0" + (head + "\n\n" + body).encode())
        # The captured token is stale: the hub must refuse it.
        head = "\n".join([f"{request['method']} {request['target']}"] + request["headers"])
        write("rest", b"\6" + (head + "\n\n" + request["body"]).encode())

    spec = json.loads((ROOT / "emulator" / "openapi.json").read_text())
    for template, item in spec["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            path = template.replace("{deviceId}", "dev1").replace("{moduleId}", "m1")
            body = ""
            request_body = operation.get("requestBody")
            if request_body:
                content = request_body.get("content", {}).get("application/json", {})
                body = json.dumps(content.get("example", {}))
            head = f"{method.upper()} {path}?api-version=2021-04-12\nContent-Type: application/json"
            for credentials in (0, 1, 4, 5, 7):
                write("rest", bytes([credentials]) + (head + "\n\n" + body).encode())


# --- merge-patch and limits --------------------------------------------------------------------

def merge_patch_seeds():
    fixtures = ROOT / "tests" / "fixtures"
    cases = json.loads((fixtures / "merge_patch.json").read_text())["cases"]
    for i, case in enumerate(cases):
        text = " ".join(json.dumps(case[k]) for k in ("target", "result", "patch"))
        write("merge_patch", bytes([i % 3]) + text.encode())
    diffs = json.loads((fixtures / "diff.json").read_text())
    for i, case in enumerate(diffs["diff"] + diffs["replacement"]):
        text = " ".join(json.dumps(case[k]) for k in ("old", "new", "patch"))
        write("merge_patch", bytes([i % 3]) + text.encode())
    sections = {"tags": 0, "desired": 1, "reported": 2}
    for case in json.loads((fixtures / "limits.json").read_text())["cases"]:
        value = json.dumps(case["value"])
        # As the base document, and as a patch onto a small one.
        write("merge_patch", bytes([sections.get(case.get("section"), 2)]) + f"{value} {{}} {{}}".encode())
        write("merge_patch", bytes([sections.get(case.get("section"), 2)]) + f'{{"a":1}} {{}} {value}'.encode())


if __name__ == "__main__":
    transcripts = Path(sys.argv[1] if len(sys.argv) > 1 else "/work/shared/spec/transcripts")
    mqtt_seeds(transcripts)
    rest_seeds(transcripts)
    merge_patch_seeds()
    for target in ("mqtt", "rest", "merge_patch"):
        print(target, len(list((SEEDS / target).iterdir())), "seeds")
