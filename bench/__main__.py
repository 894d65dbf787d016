"""`make bench`: every benchmark, each printed as a ratio against its floor."""

import asyncio
import sys
import tempfile
from pathlib import Path

import httpx

from api.admin.services import DistrictService, KeyService
from api.identity.auth import ALL_KEY_SCOPES
from api.runtime import open_runtime
from api.settings import Settings
from bench import deliveries, export, feedback, impact, lti, room, submit
from bench.harness import compare, server


async def make_key(url: str) -> str:
    async with open_runtime(
        Settings(database_url=url, log_level="WARNING"), migrate=True, publish=False
    ) as runtime:
        district = await DistrictService(runtime.sessions).create("bench", "Bench District")
        return (await KeyService(runtime.sessions, district.id).create("bench", ALL_KEY_SCOPES)).key


def largest_module(base: str, headers: dict[str, str]) -> tuple[str, bytes]:
    modules = httpx.get(f"{base}/api/v1/modules", headers=headers).json()
    bodies = {
        m["id"]: httpx.get(f"{base}/api/v1/modules/{m['id']}", headers=headers).content for m in modules
    }
    module_id = max(bodies, key=lambda m: len(bodies[m]))
    return module_id, bodies[module_id]


def healthz_benchmark(subject: str) -> None:
    with server("bench.floors:healthz_floor") as floor:
        compare("GET /healthz", f"{subject}/healthz", f"{floor}/healthz", connections=64)


def content_benchmark(tmp: str, subject: str, headers: dict[str, str]) -> None:
    module_id, body = largest_module(subject, headers)
    body_file = Path(tmp) / "body.json"
    body_file.write_bytes(body)
    with server("bench.floors:body_floor", {"BENCH_BODY_FILE": str(body_file)}) as floor:
        compare(
            f"GET /api/v1/modules/{module_id} (largest module, {len(body):,} bytes, learner view, en)",
            f"{subject}/api/v1/modules/{module_id}",
            f"{floor}/body",
            connections=64,
            headers=headers,
            target=0.8,
            p99_limit_ms=25,
        )


def main() -> None:
    only = set(sys.argv[1:])  # `python -m bench content` runs just that one
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/bench.db"
        key = asyncio.run(make_key(url))
        headers = {"Authorization": f"Bearer {key}"}
        env = {"FRONTOFFICE_DATABASE_URL": url, "FRONTOFFICE_LOG_LEVEL": "WARNING"}
        with server("api.app:app_from_env", env) as subject:
            if not only or "healthz" in only:
                healthz_benchmark(subject)
            if not only or "content" in only:
                content_benchmark(tmp, subject, headers)
    if not only or "submit" in only:
        submit.run()
    if not only or "deliveries" in only:
        deliveries.run()
    if not only or "export" in only:
        export.run()
    if not only or "lti" in only:
        lti.run()
    if not only or "impact" in only:
        impact.run()
    if not only or "feedback" in only:
        feedback.run()
    if not only or "room" in only:
        room.run()


if __name__ == "__main__":
    main()
