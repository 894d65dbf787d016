"""`make bench`: every benchmark, each printed as a ratio against its floor."""

import tempfile

from bench.harness import compare, server


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            "FRONTOFFICE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp}/bench.db",
            "FRONTOFFICE_LOG_LEVEL": "WARNING",
        }
        with server("api.app:app_from_env", env) as subject, server("bench.floors:healthz_floor") as floor:
            compare("GET /healthz", f"{subject}/healthz", f"{floor}/healthz", connections=64)


if __name__ == "__main__":
    main()
