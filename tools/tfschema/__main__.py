"""Offline Terraform checks against the real provider schema (run with .venv-terraform's python).

python -m tools.tfschema build --wheels DIR --out DIR
    Rebuild the schema from the cdktn wheels in DIR and make the provider mirror (make does this
    once, in the install step).
python -m tools.tfschema check --schema DIR [--tf-dir terraform] [--steps schema,validate,test]
    The schema check of every block and argument, then `terraform init -backend=false`,
    `terraform validate` and `terraform test` (mock providers) on a copy. Exit 1 on any failure.
python -m tools.tfschema evaluate --schema DIR --test-file tests/F.tftest.hcl --run NAME [--raw OUT]
    Print, as JSON, the state one apply run of a test file leaves (outputs and resources), and
    the text `terraform output -raw OUT` prints for each --raw output.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
STEPS = ("schema", "validate", "test")


def _build(args: argparse.Namespace) -> int:
    from tools.tfschema.mirror import build

    wheels = sorted(Path(args.wheels).glob("cdktn_provider_*.whl"))
    if not wheels:
        print(f"no cdktn_provider_*.whl in {args.wheels}", file=sys.stderr)
        return 1
    for address, version in build(wheels, Path(args.out)).items():
        print(f"schema of {address} {version} -> {args.out}")
    return 0


def _schema_step(tf_dir: Path, schema_dir: Path) -> tuple[bool, str]:
    from tools.tfschema.check import check_directory

    document = json.loads((schema_dir / "schema.json").read_text())
    problems = check_directory(tf_dir, document)
    versions = ", ".join(
        f"{a.rsplit('/', 2)[-2]}/{a.rsplit('/', 1)[1]} {v}" for a, v in document["provider_versions"].items()
    )
    if problems:
        return False, "\n".join(map(str, problems))
    return True, f"every block and argument of {tf_dir.name}/*.tf is in the schema of {versions}"


def _check(args: argparse.Namespace) -> int:
    from tools.tfschema import run

    schema_dir, tf_dir = Path(args.schema), Path(args.tf_dir).resolve()
    steps = args.steps.split(",")
    run.use_mirror(schema_dir)
    failed = False
    with tempfile.TemporaryDirectory(prefix="tfschema-") as work:
        copy = run.stage(tf_dir, REPO, Path(work))
        initialised = None
        for step in steps:
            started = time.monotonic()
            if step == "schema":
                ok, text = _schema_step(tf_dir, schema_dir)
            else:
                initialised = initialised or run.init(copy)
                if not initialised.ok:
                    ok, text = False, initialised.output
                elif step == "validate":
                    validated = run.validate(copy)
                    ok, text = validated.ok, validated.output or "the configuration is valid"
                else:
                    tested = run.run_tests(copy, args.test_file)
                    ok, text = tested.ok, tested.output
                    if ok and " 0 passed" in text:
                        ok, text = False, f"terraform test ran no run block:\n{text}"
            verdict = "ok" if ok else "FAILED"
            print(f"terraform {step} check: {verdict} ({time.monotonic() - started:.1f} s)")
            print("  " + text.strip().replace("\n", "\n  "))
            failed |= not ok
    return 1 if failed else 0


def _evaluate(args: argparse.Namespace) -> int:
    from tools.tfschema import run

    run.use_mirror(Path(args.schema))
    with tempfile.TemporaryDirectory(prefix="tfschema-") as work:
        copy = run.stage(Path(args.tf_dir).resolve(), REPO, Path(work))
        initialised = run.init(copy)
        tested = run.run_tests(copy, args.test_file, verbose=True) if initialised.ok else initialised
        states = [
            m["test_state"]
            for m in tested.value or []
            if m.get("type") == "test_state" and m.get("@testrun") == args.run
        ]
        if not tested.ok or not states:
            print(tested.output, file=sys.stderr)
            return 1
        state = states[-1]
        raw = _raw_outputs(Path(work), state["outputs"], args.raw or [])
    resources = {r["address"]: r["values"] for r in state["root_module"].get("resources", [])}
    print(json.dumps({"outputs": state["outputs"], "raw": raw, "resources": resources}))
    return 0


def _raw_outputs(work: Path, outputs: dict[str, Any], names: list[str]) -> dict[str, str]:
    """`terraform output -raw` on a state file holding the run's outputs."""
    from tools.tfschema import run

    state_file = work / "outputs.tfstate"
    state = {
        "version": 4,
        "terraform_version": "1.15.5",
        "serial": 1,
        "lineage": "tfschema-evaluate",
        "outputs": {k: {"value": v["value"], "type": v["type"]} for k, v in outputs.items()},
        "resources": [],
    }
    state_file.write_text(json.dumps(state))
    return {name: run.output_raw(state_file, name) for name in names}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.tfschema", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build")
    build.add_argument("--wheels", required=True)
    build.add_argument("--out", required=True)
    check = commands.add_parser("check")
    evaluate = commands.add_parser("evaluate")
    for sub in (check, evaluate):
        sub.add_argument("--schema", required=True)
        sub.add_argument("--tf-dir", default=str(REPO / "terraform"))
    check.add_argument("--steps", default=",".join(STEPS))
    check.add_argument("--test-file", help="only this file of tests/ (e.g. tests/plan.tftest.hcl)")
    evaluate.add_argument("--test-file", required=True)
    evaluate.add_argument("--run", required=True)
    evaluate.add_argument("--raw", action="append")
    args = parser.parse_args(argv)
    handlers = {"build": _build, "check": _check, "evaluate": _evaluate}
    return handlers[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
