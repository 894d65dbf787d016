"""The lock: what is installed is what uv.lock says, and the runtime set carries no test toolchain.

`make lint` runs `uv lock --check` (the lock agrees with pyproject.toml's ranges); these tests
check the other two promises from the installed environment and the lock file alone, offline.
"""

import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).parent.parent
LOCK = tomllib.loads((ROOT / "uv.lock").read_text())
PACKAGES = {canonicalize_name(p["name"]): p for p in LOCK["package"]}
# What the test toolchain brings and the service must never need.
TEST_ONLY = {"pytest", "playwright", "schemathesis", "mypy", "lti1p3platform", "frontoffice-example-plugin"}


def test_every_installed_distribution_is_the_locked_version() -> None:
    installed = {canonicalize_name(d.metadata["Name"]): d.version for d in metadata.distributions()}
    assert installed, "no distributions found"
    wrong = {
        name: (version, PACKAGES[name]["version"] if name in PACKAGES else "not in uv.lock")
        for name, version in installed.items()
        if name not in PACKAGES or Version(PACKAGES[name]["version"]) != Version(version)
    }
    assert not wrong, f"installed (version, locked) differ from uv.lock: {wrong}; run `make test` to sync"


def test_the_lock_satisfies_every_range_in_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    ranges = [*project["project"]["dependencies"], *project["dependency-groups"]["dev"]]
    for line in ranges:
        requirement = Requirement(line)
        locked = PACKAGES[canonicalize_name(requirement.name)]["version"]
        assert requirement.specifier.contains(locked, prereleases=True), f"{line} vs locked {locked}"


def test_the_runtime_set_has_no_test_toolchain() -> None:
    """Everything `make run` installs (uv sync --no-dev): the project's dependencies, closed."""
    runtime: set[str] = set()
    todo = list(PACKAGES["frontoffice"]["dependencies"])
    while todo:
        dependency = todo.pop()
        package = PACKAGES[canonicalize_name(dependency["name"])]
        name = canonicalize_name(package["name"])
        if name not in runtime:
            runtime.add(name)
            todo.extend(package.get("dependencies", []))
        for extra in dependency.get("extra", []):
            todo.extend(package["optional-dependencies"][extra])
    assert {"litestar", "msgspec", "uvicorn", "sqlalchemy", "greenlet", "anyio"} <= runtime
    assert not runtime & TEST_ONLY, f"the runtime set pulls in test tools: {runtime & TEST_ONLY}"
