"""A real LRS on loopback for the xAPI tests: ralph (the `ralph-malph` package) on its filesystem
backend, in a venv of its own made once per test session (ralph's pins would move the app's
httpx and uvicorn back, so it is not in uv.lock's dev group), from the exact versions and hashes
of tests/xapi/ralph.txt: with uv (from the uv cache, in a second or two) when there is one, else
with `python -m venv` and pip. Under CI=true an LRS that cannot be installed or started fails
the run instead of skipping."""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import msgspec
import pytest

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
KEY, SECRET = "frontoffice", "lrs-secret-for-tests"
VERSION_HEADER = {"X-Experience-API-Version": "1.0.3"}


class Lrs(msgspec.Struct, frozen=True):
    """The running LRS: its xAPI endpoint and the credential it takes."""

    endpoint: str
    key: str
    secret: str
    python: str
    """ralph's venv's Python, to check statements with ralph's own strict xAPI models."""

    def strict_errors(self, statements: list[dict[str, object]]) -> str:
        """What ralph's strict xAPI 1.0 statement model finds wrong with each statement ("" if
        nothing): stricter than what its LRS accepts (interaction definitions, durations, ...)."""
        check = (
            "import json, sys\n"
            "from ralph.models.xapi.base.statements import BaseXapiStatement\n"
            "for s in json.load(sys.stdin):\n"
            "    try:\n"
            "        BaseXapiStatement(**s)\n"
            "    except Exception as exc:\n"
            "        print(s['id'], exc)\n"
        )
        done = subprocess.run(
            [self.python, "-c", check],
            input=json.dumps(statements),
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout

    def statements(self, **params: str) -> list[dict[str, object]]:
        """GET /statements with these query parameters, every page."""
        found: list[dict[str, object]] = []
        url: str | None = self.endpoint + "statements"
        query: dict[str, str] | None = {"limit": "100", **params}
        while url:
            response = httpx.get(url, params=query, auth=(self.key, self.secret), headers=VERSION_HEADER)
            assert response.status_code == 200, response.text
            body = response.json()
            if "statements" not in body:  # one statement, asked for by statementId
                return [body]
            found.extend(body["statements"])
            more = body.get("more")
            url, query = (self.endpoint.split("/xAPI/")[0] + more, None) if more else (None, None)
        return found


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"The LRS (ralph) is required under CI=true: {reason}")
    pytest.skip(f"no LRS: {reason}")


def _uv() -> str | None:
    tool = ROOT / ".venv-uv" / "bin" / "uv"  # the Makefile's
    return str(tool) if tool.exists() else shutil.which("uv")


def _install(venv: Path) -> Path:
    """Ralph's venv, from tests/xapi/ralph.txt (pinned, hashed); returns its Python."""
    python = venv / "bin" / "python"
    requirements = str(HERE / "ralph.txt")
    uv = _uv()
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    if uv:
        commands = [
            [uv, "venv", "--quiet", "--python", sys.executable, str(venv)],
            [
                uv,
                "pip",
                "install",
                "--quiet",
                "--python",
                str(python),
                "--require-hashes",
                "-r",
                requirements,
            ],
        ]
    else:
        commands = [
            [sys.executable, "-m", "venv", str(venv)],
            [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", "--require-hashes",
             "-r", requirements],
        ]  # fmt: skip
    for command in commands:
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600, check=False)
        if done.returncode != 0:
            _unavailable(f"installing ralph failed: {' '.join(command)}: {done.stderr[-2000:]}")
    return python


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def lrs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lrs]:
    base = tmp_path_factory.mktemp("ralph")
    python = _install(base / "venv")
    data = base / "statements"
    data.mkdir()
    port = _free_port()
    env = {
        **os.environ,
        "RALPH_RUNSERVER_BACKEND": "fs",
        "RALPH_AUTH_FILE": str(base / "auth.json"),
        "RALPH_APP_DIR": str(base / "app"),
        "RALPH_BACKENDS__LRS__FS__DEFAULT_DIRECTORY_PATH": str(data),
        "LRS_KEY": KEY,
        "LRS_SECRET": SECRET,
    }
    log = (base / "ralph.log").open("w")
    process = subprocess.Popen(
        [str(python), str(HERE / "ralph_lrs.py"), str(port)], cwd=data, env=env, stdout=log, stderr=log
    )
    lrs = Lrs(endpoint=f"http://127.0.0.1:{port}/xAPI/", key=KEY, secret=SECRET, python=str(python))
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/__heartbeat__", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                _unavailable(f"ralph did not start: {(base / 'ralph.log').read_text()[-2000:]}")
            time.sleep(0.1)
        yield lrs
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
