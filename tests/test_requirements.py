"""requirements.txt, the function's hash-pinned lock, agrees with its source, requirements.in.

`make requirements` writes requirements.txt from requirements.in with uv (every package of the
dependency closure pinned, each with the sha256 of its files), which needs PyPI; these tests are
offline. They fail when requirements.in was edited and requirements.txt not regenerated (a pin
changed, a package added or removed), when a package of the lock has no hash or no exact pin (pip
would install it unchecked, or refuse the whole file), when a locked package depends on one the
lock lacks, and when the test environment is not what the lock installs. Each check is a function
of texts, so the tests at the bottom plant each mistake in a copy and see it caught.
"""

from __future__ import annotations

import importlib.metadata
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "requirements.in"
LOCK = ROOT / "requirements.txt"
REGENERATE = "make requirements"
HASH = re.compile(r"--hash=sha256:([0-9a-f]{64})$")
PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^\s;\\]+)\s*(?:;(?P<marker>[^\\]*))?$")


@dataclass
class Locked:
    name: str  # canonical
    version: str
    marker: Marker | None
    hashes: list[str] = field(default_factory=list)
    via: list[str] = field(default_factory=list)  # "-r requirements.in" for a direct dependency

    def applies(self) -> bool:
        return self.marker is None or self.marker.evaluate()


def parse_source(text: str) -> dict[str, Requirement]:
    """requirements.in: one requirement a line, comments; no options (pyproject.toml reads it)."""
    requirements: dict[str, Requirement] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("-"):
            raise AssertionError(f"requirements.in:{number}: {line!r}: options do not belong here")
        requirement = Requirement(line)
        requirements[canonicalize_name(requirement.name)] = requirement
    return requirements


def parse_lock(text: str) -> tuple[list[str], dict[str, Locked]]:
    """requirements.txt as uv writes it: problems with its form, and the packages it pins."""
    problems: list[str] = []
    locked: dict[str, Locked] = {}
    current: Locked | None = None
    in_via = False
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip()
        stripped = line.strip()
        if not stripped:
            continue
        if not raw.startswith((" ", "#")):
            match = PIN.match(line.removesuffix("\\").rstrip())
            if not match:
                problems.append(f"requirements.txt:{number}: {line!r} is not name==version [; marker] \\")
                current = None
                continue
            marker = match.group("marker")
            current = Locked(
                canonicalize_name(match.group("name")),
                match.group("version"),
                Marker(marker.strip()) if marker else None,
            )
            locked[current.name] = current
            in_via = False
        elif stripped.startswith("--hash=") and current is not None:
            found = HASH.match(stripped.removesuffix("\\").rstrip())
            if found:
                current.hashes.append(found.group(1))
            else:
                problems.append(f"requirements.txt:{number}: {stripped!r} is not a sha256 hash")
        elif stripped.startswith("# via") and current is not None:
            rest = stripped.removeprefix("# via").strip()
            in_via = not rest
            if rest:
                current.via.append(rest)
        elif stripped.startswith("#   ") and in_via and current is not None:
            current.via.append(stripped.removeprefix("#").strip())
        elif stripped.startswith("-"):
            problems.append(
                f"requirements.txt:{number}: option {stripped!r} (an index, -r, -e) is not expected"
            )
    return problems, locked


def lock_problems(source_text: str, lock_text: str) -> list[str]:
    """What makes requirements.txt not the lock of requirements.in."""
    source = parse_source(source_text)
    problems, locked = parse_lock(lock_text)
    if f"#    {REGENERATE}" not in lock_text.splitlines()[:3]:
        problems.append(f"requirements.txt does not say it was written by `{REGENERATE}`")
    for name, requirement in sorted(source.items()):
        entry = locked.get(name)
        if entry is None:
            problems.append(f"{requirement} is in requirements.in, not in requirements.txt")
        elif not requirement.specifier.contains(entry.version, prereleases=True):
            problems.append(f"requirements.in asks {requirement}, requirements.txt pins {entry.version}")
    for name, entry in sorted(locked.items()):
        direct = "-r requirements.in" in entry.via
        if direct and name not in source:
            problems.append(f"{name} is locked as a dependency of requirements.in, which no longer has it")
        if not entry.via:
            problems.append(f"{name}: no `# via` line says why it is locked")
        if not entry.hashes:
            problems.append(f"{name}=={entry.version} has no --hash")
    return problems


def closure_problems(locked: dict[str, Locked]) -> list[str]:
    """Packages the installed locked packages require (with the extras asked for) but the lock
    lacks, for this interpreter. The metadata read is the installed one (test_the_environment_...
    checks it is the locked version)."""
    problems = []
    wanted: dict[str, set[str]] = {name: set() for name, entry in locked.items() if entry.applies()}
    for requirement in parse_source(SOURCE.read_text()).values():
        wanted.setdefault(canonicalize_name(requirement.name), set()).update(requirement.extras)
    done: set[tuple[str, frozenset[str]]] = set()
    queue = list(wanted)
    while queue:
        name = queue.pop()
        extras = frozenset(wanted[name])
        if (name, extras) in done or name not in locked:
            continue
        done.add((name, extras))
        for line in importlib.metadata.requires(name) or []:
            requirement = Requirement(line)
            marker = requirement.marker
            if marker is not None and not any(
                marker.evaluate({"extra": extra}) for extra in (extras or {""})
            ):
                continue
            dependency = canonicalize_name(requirement.name)
            entry = locked.get(dependency)
            if entry is None or not entry.applies():
                problems.append(f"{name} requires {requirement}, which requirements.txt does not lock")
                continue
            if not requirement.specifier.contains(entry.version, prereleases=True):
                problems.append(f"{name} requires {requirement}, requirements.txt pins {entry.version}")
            if not requirement.extras <= wanted.setdefault(dependency, set()):
                wanted[dependency] |= requirement.extras
            queue.append(dependency)
    return problems


def test_requirements_txt_is_the_lock_of_requirements_in() -> None:
    problems = lock_problems(SOURCE.read_text(), LOCK.read_text())
    assert not problems, f"run `{REGENERATE}` (see docs/dependencies.md):\n" + "\n".join(problems)


def test_every_dependency_of_a_locked_package_is_locked() -> None:
    problems, locked = parse_lock(LOCK.read_text())
    assert not problems
    problems = closure_problems(locked)
    assert not problems, f"run `{REGENERATE}`:\n" + "\n".join(problems)


def test_the_environment_is_what_the_lock_installs() -> None:
    """make installs requirements.txt first; the tools after it must not have moved a pin."""
    _, locked = parse_lock(LOCK.read_text())
    wrong = []
    for name, entry in sorted(locked.items()):
        if not entry.applies():
            continue
        try:
            installed = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            wrong.append(f"{name}=={entry.version} is not installed")
            continue
        if installed != entry.version:
            wrong.append(f"{name} {installed} is installed, requirements.txt pins {entry.version}")
    assert not wrong, "run `make` (it installs requirements.txt):\n" + "\n".join(wrong)


def test_pyproject_takes_its_dependencies_from_the_source() -> None:
    """setuptools cannot read --hash lines: the package's dependencies are requirements.in."""
    text = (ROOT / "pyproject.toml").read_text()
    assert re.search(r'^dependencies = \{ file = \["requirements.in"\] \}', text, re.MULTILINE)
    assert "-r requirements.in" in (ROOT / "requirements-dev.txt").read_text().splitlines()


def test_make_requirements_writes_a_universal_hashed_lock() -> None:
    makefile = (ROOT / "Makefile").read_text()
    compile_line = re.search(r"^UV_COMPILE = ((?:[^\n]*\\\n)*[^\n]*)$", makefile, re.MULTILINE)
    assert compile_line
    command = compile_line.group(1)
    for flag in (
        "uv pip compile",
        "--universal",
        "--generate-hashes",
        f'--custom-compile-command "{REGENERATE}"',
    ):
        assert flag in command
    assert re.search(r"^UV_VERSION = \d+\.\d+\.\d+$", makefile, re.MULTILINE)
    assert "--output-file requirements.txt requirements.in" in makefile


# -------------------------------------------------------------------------------------------------
# The checks catch each mistake (planted in the texts)
# -------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def texts() -> tuple[str, str]:
    return SOURCE.read_text(), LOCK.read_text()


def test_a_pin_changed_in_the_source_only_is_caught(texts: tuple[str, str]) -> None:
    source, lock = texts
    old = re.search(r"^requests==(\S+)$", source, re.MULTILINE)
    assert old
    problems = lock_problems(source.replace(old.group(0), "requests==99.0.0"), lock)
    assert problems == [f"requirements.in asks requests==99.0.0, requirements.txt pins {old.group(1)}"]


def test_a_package_added_to_the_source_only_is_caught(texts: tuple[str, str]) -> None:
    source, lock = texts
    problems = lock_problems(source + "jsonschema==4.26.0\n", lock)
    assert problems == ["jsonschema==4.26.0 is in requirements.in, not in requirements.txt"]


def test_a_package_removed_from_the_source_only_is_caught(texts: tuple[str, str]) -> None:
    source, lock = texts
    trimmed = re.sub(r"^tenacity==.*\n", "", source, flags=re.MULTILINE)
    assert trimmed != source
    problems = lock_problems(trimmed, lock)
    assert problems == ["tenacity is locked as a dependency of requirements.in, which no longer has it"]


def test_a_package_without_hashes_is_caught(texts: tuple[str, str]) -> None:
    source, lock = texts
    unhashed = re.sub(r"^(tenacity==\S+) \\\n(    --hash=.*\n)+", r"\1\n", lock, flags=re.MULTILINE)
    assert unhashed != lock
    assert any(
        p.startswith("tenacity==") and p.endswith("has no --hash") for p in lock_problems(source, unhashed)
    )


def test_a_lock_pinned_by_range_or_written_by_hand_is_caught(texts: tuple[str, str]) -> None:
    source, lock = texts
    ranged = lock.replace("\ntenacity==", "\ntenacity>=", 1)
    assert any("is not name==version" in p for p in lock_problems(source, ranged))
    plain = "functions-framework==3.10.2\nrequests==2.34.2\n"
    problems = lock_problems(source, plain)
    assert f"requirements.txt does not say it was written by `{REGENERATE}`" in problems
    assert "requests: no `# via` line says why it is locked" in problems


def test_a_missing_transitive_dependency_is_caught(texts: tuple[str, str]) -> None:
    _, lock = texts
    _, locked = parse_lock(lock)
    assert "werkzeug" in locked
    del locked["werkzeug"]
    assert any("requires werkzeug" in p.lower() for p in closure_problems(locked))
