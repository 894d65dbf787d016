"""The `frontoffice` command as a user runs it: `serve` on the port it is given, its links, its
JSON log, `--workers`, `--version`, and one line for a bad setting, whatever the command."""

import asyncio
import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from api.admin.services import DistrictService
from api.cli import main
from api.db import create_engine, create_sessions
from tests.hr.seed import add_completion, add_learner, current_modules

CLI = [sys.executable, "-m", "api.cli"]
START_SECONDS = 90  # a fresh SQLite database is migrated and the course published first
STOP_SECONDS = 10


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def environment(database: Path, **settings: str) -> dict[str, str]:
    """This process's environment without its FRONTOFFICE_* variables, plus `settings`."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("FRONTOFFICE_")},
        "FRONTOFFICE_DATABASE_URL": f"sqlite+aiosqlite:///{database}",
        "PYTHONUNBUFFERED": "1",
        **settings,
    }


def json_lines(text: str) -> list[dict[str, Any]]:
    """Every line of `text` as JSON: a line that is not fails the test, quoted."""
    entries = []
    for line in text.splitlines():
        try:
            entries.append(json.loads(line))
        except ValueError:
            pytest.fail(f"a stderr line is not JSON: {line!r}\n--- all of stderr:\n{text}")
    return entries


@dataclass
class Served:
    process: "subprocess.Popen[bytes]"
    port: int
    out: Path
    err: Path

    def stdout(self) -> str:
        return self.out.read_text()

    def stderr(self) -> str:
        return self.err.read_text()


@contextmanager
def serving(tmp_path: Path, *args: str, port: int, **settings: str) -> Iterator[Served]:
    """`frontoffice serve *args` in a process of its own, answering on `port`; stopped after."""
    out, err = tmp_path / "stdout", tmp_path / "stderr"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen(
            [*CLI, "serve", *args],
            cwd=tmp_path,
            env=environment(tmp_path / "frontoffice.db", **settings),
            stdout=stdout,
            stderr=stderr,
            start_new_session=True,  # its own process group: the workers are stopped with it
        )
    served = Served(process, port, out, err)
    try:
        deadline = time.monotonic() + START_SECONDS
        while not _ready(port):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"serve did not start (exit {process.poll()}):\n{served.stderr()}")
            time.sleep(0.1)
        yield served
    finally:
        _stop(process)


def _ready(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def _stop(process: "subprocess.Popen[bytes]") -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=STOP_SECONDS)


def test_serve_demo_links_carry_the_port_and_answer(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with serving(tmp_path, "--demo", port=port, FRONTOFFICE_PORT=str(port)) as served:
        text = served.stdout()
        urls = re.findall(r"https?://[^\s'\"\\]+", text)
        assert len(urls) >= 5 and all(url.startswith(f"{base}/") for url in urls), urls
        key = re.search(r"Bearer (fo_\S+)'", text)
        assert key, text
        with httpx.Client(timeout=10) as http:
            keys = next(url for url in urls if url.endswith("/api/v1/keys"))
            assert http.get(keys, headers={"Authorization": f"Bearer {key[1]}"}).status_code == 200
            assert http.get(f"{base}/docs").status_code == 200
            player = next(url for url in urls if "/player/" in url)
            assert http.get(player.split("#")[0]).status_code == 200
            # The certificate prints the verification URL at this port, and fpdf2's font
            # subsetting (fontTools) writes nothing but JSON to the log.
            completion = asyncio.run(_demo_completion(tmp_path / "frontoffice.db"))
            pdf = http.get(
                f"{base}/api/v1/completions/{completion}/certificate",
                headers={"Authorization": f"Bearer {key[1]}"},
            )
            assert pdf.status_code == 200, pdf.text
            printed = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
            assert f"{base}/verify/" in printed.replace("\n", "")
    log = json_lines(served.stderr())
    listening = [e for e in log if "listening on" in e["message"]]
    assert [e["message"] for e in listening] == [
        f"Front Office {version('frontoffice')} listening on {base} "
        f"(SQLite {tmp_path / 'frontoffice.db'}, 1 worker)"
    ]
    assert any(e["logger"] == "frontoffice.access" and e["path"].endswith("/certificate") for e in log)


async def _demo_completion(database: Path) -> uuid.UUID:
    """A completion for a learner of the demo district, written as the progress API would."""
    engine = create_engine(f"sqlite+aiosqlite:///{database}")
    try:
        sessions = create_sessions(engine)
        district = await DistrictService(sessions).by_slug("demo")
        learner = await add_learner(sessions, district.id, "cli-1", name="Sam Okafor")
        module_id, module_version = next(iter((await current_modules(sessions)).items()))
        return await add_completion(sessions, district.id, learner, module_id, module_version)
    finally:
        await engine.dispose()


def test_flags_override_settings_and_workers_serve(tmp_path: Path, sqlite_template: Path) -> None:
    shutil.copy(sqlite_template, tmp_path / "frontoffice.db")  # migrated already: a quicker start
    port, unused = free_port(), free_port()
    flags = ["--port", str(port), "--workers", "2"]
    environ = {"FRONTOFFICE_PORT": str(unused), "FRONTOFFICE_PUBLISH_ON_START": "false"}
    with serving(tmp_path, *flags, port=port, **environ) as served:
        for _ in range(4):
            assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10).status_code == 200
    listening = [e["message"] for e in json_lines(served.stderr()) if "listening on" in e["message"]]
    assert len(listening) == 1 and listening[0].endswith(", 2 workers)"), listening
    assert f"http://127.0.0.1:{port} " in listening[0]


def test_a_taken_port_is_one_json_line_and_a_failed_start(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run(tmp_path, "serve", FRONTOFFICE_PORT=str(port))
    assert result.returncode == 1 and result.stdout == ""
    [line] = json_lines(result.stderr)
    assert line["level"] == "ERROR"
    assert line["message"].startswith(f"cannot listen on 127.0.0.1:{port}: Address already in use")


def test_uvicorns_own_errors_are_json_too(tmp_path: Path) -> None:
    # The app cannot start (no database there): uvicorn logs the failure and gives up.
    result = run(
        tmp_path,
        "serve",
        FRONTOFFICE_PORT=str(free_port()),
        FRONTOFFICE_DATABASE_URL="postgresql+asyncpg://nobody@127.0.0.1:1/none",
        FRONTOFFICE_MIGRATE_ON_START="true",
    )
    assert result.returncode != 0
    log = json_lines(result.stderr)
    assert any(e["logger"].startswith("uvicorn") and e["level"] == "ERROR" for e in log), log


def run(tmp_path: Path, *args: str, **settings: str) -> "subprocess.CompletedProcess[str]":
    return subprocess.run(
        [*CLI, *args],
        cwd=tmp_path,
        env=environment(tmp_path / "frontoffice.db", **settings),
        capture_output=True,
        text=True,
        timeout=START_SECONDS,
    )


def test_a_bad_setting_stops_serve_with_one_json_line(tmp_path: Path) -> None:
    result = run(tmp_path, "serve", "--demo", FRONTOFFICE_PROT="9000")
    assert result.returncode == 1 and result.stdout == ""
    [line] = json_lines(result.stderr)
    assert line["level"] == "ERROR"
    assert line["message"] == "FRONTOFFICE_PROT is not a setting; did you mean FRONTOFFICE_PORT?"


@pytest.mark.parametrize(
    "args", [["migrate"], ["districts", "list"], ["content", "publish"], ["lti"], ["--help"]]
)
def test_a_bad_setting_is_one_line_for_every_command(args: list[str]) -> None:
    result = CliRunner().invoke(main, args, env={"FRONTOFFICE_PORT": "eighty"})
    assert isinstance(result.exception, SystemExit) and result.exit_code == 1
    assert result.output == "Error: FRONTOFFICE_PORT must be a whole number from 1 to 65535, not 'eighty'.\n"


def test_version_comes_from_the_package() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0 and result.output == f"Front Office {version('frontoffice')}\n"


def test_serve_help_names_each_variable_and_default() -> None:
    result = CliRunner().invoke(main, ["serve", "--help"])
    text = " ".join(result.output.split())
    for flag, variable, default in (
        ("--host", "FRONTOFFICE_HOST", "127.0.0.1"),
        ("--port", "FRONTOFFICE_PORT", "8000"),
        ("--workers", "FRONTOFFICE_WORKERS", "1"),
    ):
        assert flag in text and f"[env var: {variable}; default: {default}]" in text
