"""Running a server and a load tool on loopback, and reporting a ratio against a floor.

Subject and floor run under the same server (uvicorn, uvloop, httptools, one worker) and are
measured in alternating rounds, so drift on a noisy machine hits both alike.
"""

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx
import msgspec


class WrkResult(msgspec.Struct, frozen=True):
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (Linux), e.g. a server's."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server(factory: str, env: Mapping[str, str] | None = None) -> Iterator[str]:
    """Serve `module:factory` on a free loopback port; yields the base URL."""
    with server_process(factory, env) as (base, _):
        yield base


@contextmanager
def server_process(
    factory: str, env: Mapping[str, str] | None = None
) -> Iterator[tuple[str, "subprocess.Popen[bytes]"]]:
    """As `server`, and the server's process too (benchmarks that read its memory need it)."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        factory,
        "--port",
        str(port),
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--workers",
        "1",
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    process = subprocess.Popen(command, env={**os.environ, **(env or {})})
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120  # importing the app alone takes half a minute on a busy machine
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(f"{factory} did not start")
            time.sleep(0.1)
        yield base, process
    finally:
        process.terminate()
        process.wait(10)


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if match is None:
        raise ValueError(f"wrk printed a latency this harness cannot read: {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def wrk(url: str, *, connections: int, seconds: int, headers: Mapping[str, str] | None = None) -> WrkResult:
    """Load `url` with wrk (one thread: the other core is the server's)."""
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    # Anchored: "50%" also ends columns such as "62.50%" in wrk's thread stats.
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)$", out, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)$", out, re.M).group(1))  # type: ignore[union-attr]
    errors_match = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = int(errors_match.group(1)) if errors_match else 0
    if socket_errors:
        errors += sum(int(g) for g in socket_errors.groups())
    return WrkResult(requests_per_second=rps, p50_ms=p50, p99_ms=p99, errors=errors)


def rates(count: int, seconds: list[float]) -> str:
    """Each round's rate, for a benchmark's report: `count` operations in each of `seconds`."""
    return ", ".join(f"{count / t:,.0f}" for t in seconds)


def compare(
    name: str,
    subject_url: str,
    floor_url: str,
    *,
    connections: int,
    seconds: int = 5,
    rounds: int = 3,
    headers: Mapping[str, str] | None = None,
    target: float | None = None,
    p99_limit_ms: float | None = None,
) -> float:
    """Alternate subject and floor rounds; print and return the ratio of their best rates."""
    wrk(subject_url, connections=connections, seconds=2, headers=headers)  # warm-up
    wrk(floor_url, connections=connections, seconds=2, headers=headers)
    subject: list[WrkResult] = []
    floor: list[WrkResult] = []
    for _ in range(rounds):
        subject.append(wrk(subject_url, connections=connections, seconds=seconds, headers=headers))
        floor.append(wrk(floor_url, connections=connections, seconds=seconds, headers=headers))
    best_s = max(subject, key=lambda r: r.requests_per_second)
    best_f = max(floor, key=lambda r: r.requests_per_second)
    ratio = best_s.requests_per_second / best_f.requests_per_second
    verdict = ""
    if target is not None:
        verdict = f" (target >= {target:.2f}: {'met' if ratio >= target else 'MISSED'})"
    if p99_limit_ms is not None:
        verdict += f" (p99 < {p99_limit_ms:g} ms: {'met' if best_s.p99_ms < p99_limit_ms else 'MISSED'})"
    print(
        f"{name}: ratio {ratio:.2f}{verdict}\n"
        f"  subject {best_s.requests_per_second:,.0f} req/s, p50 {best_s.p50_ms:.2f} ms, "
        f"p99 {best_s.p99_ms:.2f} ms, errors {sum(r.errors for r in subject)}\n"
        f"  floor   {best_f.requests_per_second:,.0f} req/s, p50 {best_f.p50_ms:.2f} ms, "
        f"p99 {best_f.p99_ms:.2f} ms, errors {sum(r.errors for r in floor)}\n"
        f"  ({rounds} alternating rounds of {seconds} s at {connections} connections; best of each)",
        flush=True,
    )
    return ratio
