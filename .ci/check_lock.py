#!/usr/bin/env python3
"""Check that constraints.txt (the lock CI installs with) agrees with pyproject.toml.

    python3 .ci/check_lock.py               # every declared dependency is locked, at a version it allows
    python3 .ci/check_lock.py --installed   # ... and this environment holds exactly the locked versions

Exit 0 when they agree; 1 with one line per problem, each naming the fix. Refresh the lock with `bash .ci/lock`.
"""

from __future__ import annotations

import re
import sys
from importlib import metadata
from pathlib import Path

import tomllib
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
REFRESH = "refresh the lock with `bash .ci/lock`"


def declared(pyproject: Path) -> list[Requirement]:
    """Every requirement of the project and of all its extras, with self-references (`rag[scale]`) expanded."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    name = canonicalize_name(project["name"])
    found = [Requirement(r) for r in project.get("dependencies", [])]
    for group in project.get("optional-dependencies", {}).values():
        found += [Requirement(r) for r in group]
    return [r for r in found if canonicalize_name(r.name) != name and (r.marker is None or r.marker.evaluate())]


def locked(constraints: Path) -> tuple[dict[str, Version], list[str]]:
    """The pins of a constraints file, by canonical name, and the lines that are not exact pins."""
    pins: dict[str, Version] = {}
    problems = []
    for n, raw in enumerate(constraints.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        m = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;]+)", line)
        if not m:
            problems.append(f"{constraints.name}:{n}: {line!r} is not an exact pin (name==version): {REFRESH}")
            continue
        key = canonicalize_name(m.group(1))
        if key in pins:
            problems.append(f"{constraints.name}:{n}: {m.group(1)} is pinned twice: {REFRESH}")
        pins[key] = Version(m.group(2))
    return pins, problems


def check(pyproject: Path, constraints: Path) -> list[str]:
    """Problems between the declared dependencies and the lock; [] when they agree."""
    pins, problems = locked(constraints)
    for req in declared(pyproject):
        version = pins.get(canonicalize_name(req.name))
        if version is None:
            problems.append(f"{req} is declared in {pyproject.name} but not locked in {constraints.name}: {REFRESH}")
        elif req.specifier and not req.specifier.contains(version, prereleases=True):
            problems.append(f"{req} is declared in {pyproject.name} but {constraints.name} locks {version}: {REFRESH}")
    return problems


def check_installed(constraints: Path) -> list[str]:
    """Problems between the lock and this environment: a locked package missing or at another version."""
    pins, problems = locked(constraints)
    have = {canonicalize_name(d.metadata["Name"]): Version(d.version) for d in metadata.distributions()}
    for name, version in pins.items():
        if name not in have:
            fix = f"install with `pip install -c {constraints.name} ...`"
            problems.append(f"{name}=={version} is locked but not installed: {fix}")
        elif have[name] != version:
            problems.append(f"{name} {have[name]} is installed but {constraints.name} locks {version}")
    return problems


def main(argv: list[str]) -> int:
    pyproject, constraints = ROOT / "pyproject.toml", ROOT / "constraints.txt"
    problems = check(pyproject, constraints)
    if "--installed" in argv:
        problems += check_installed(constraints)
    for p in problems:
        print(p)
    if not problems:
        pins, _ = locked(constraints)
        print(f"lock ok: {len(pins)} pins in {constraints.name} cover every dependency of {pyproject.name}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
