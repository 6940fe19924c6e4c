"""terraform/ evaluated by the real Terraform against the real provider schema, offline.

`make terraform-check` builds .venv-terraform/schema (tools/tfschema: the google, archive and time
schemas from the cdktn packages, served by schema-only providers) and runs the schema check,
`terraform validate` and `terraform test`. These tests use the same tools to prove more:

- the commands the add_*_command outputs print (`terraform output -raw`, evaluated by Terraform
  on a mock apply) store exactly what was typed, run in bash against a recording `gcloud`;
- every metric and label the dashboard names is defined by Terraform and written by the code;
- every variable validation has a run in terraform/tests that makes it reject a bad value;
- each check fails, naming the mistake, on a copy of terraform/ with one planted.
"""

from __future__ import annotations

import ast
import json
import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import hcl2
import pytest

from handlers.doors.cli import deployed_secrets
from handlers.sweep.run import SweepSummary

ROOT = Path(__file__).resolve().parents[1]
TF_DIR = ROOT / "terraform"
TF_PYTHON = ROOT / ".venv-terraform" / "bin" / "python"
SCHEMA = ROOT / ".venv-terraform" / "schema"
PROJECT = "acme-crm-prod"  # terraform/tests/outputs.tftest.hcl
TYPED_OUTPUTS = {
    "add_zoho_client_id_command": "zoho-lead-zoho-client-id",
    "add_zoho_client_secret_command": "zoho-lead-zoho-client-secret",
    "add_zoho_refresh_token_command": "zoho-lead-zoho-refresh-token",
}
OTHER_OUTPUTS = ("add_webhook_secret_command", "show_webhook_secret_command")
# What operators paste: plain values, and every character a shell or an HCL rendering could mangle.
TYPED_VALUES = (
    "1000.ABCDEFGHIJ0123456789KLMNOP",
    "  leading and trailing spaces  ",
    'a "quoted" word',
    "it's",
    "back\\slash and \\n",
    "$HOME `id` $(id) *",
)
# Labels of the monitored resource the charts filter and group by.
CLOUD_RUN_LABELS = {"project_id", "service_name", "revision_name", "location", "configuration_name"}
# Built-in metrics the dashboard may chart (Cloud Run), with the metric labels they carry.
BUILT_IN_METRICS = {"run.googleapis.com/request_latencies": {"response_code", "response_code_class", "route"}}
DISTRIBUTION_ALIGNERS = {"ALIGN_DELTA", "ALIGN_MEAN", "ALIGN_PERCENTILE_50", "ALIGN_PERCENTILE_95"}
COUNTER_ALIGNERS = {"ALIGN_SUM", "ALIGN_DELTA", "ALIGN_RATE"}
FAKE_GCLOUD = """#!/usr/bin/env bash
# Records its arguments (one per line) and its standard input, byte for byte.
printf '%s\\n' "$@" > "$GCLOUD_RECORD.argv"
cat > "$GCLOUD_RECORD.stdin"
"""

pytestmark = pytest.mark.skipif(
    not (SCHEMA / ".built").is_file(), reason="no .venv-terraform/schema (make terraform-check builds it)"
)


def tfschema(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(TF_PYTHON), "-m", "tools.tfschema", *args, "--schema", str(SCHEMA)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def evaluated() -> dict[str, Any]:
    """State of the run "outputs" (mock apply) and `terraform output -raw` of the commands."""
    raws = [a for name in (*TYPED_OUTPUTS, *OTHER_OUTPUTS) for a in ("--raw", name)]
    run = tfschema("evaluate", "--test-file", "tests/outputs.tftest.hcl", "--run", "outputs", *raws)
    assert run.returncode == 0, run.stderr
    result: dict[str, Any] = json.loads(run.stdout)
    return result


def run_in_bash(command: str, typed: str, tmp_path: Path) -> tuple[list[str], bytes]:
    """Run an output's command as a user would, with `typed` at its prompt; gcloud's argv and stdin."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    gcloud = bin_dir / "gcloud"
    gcloud.write_text(FAKE_GCLOUD)
    gcloud.chmod(0o755)
    record = tmp_path / "gcloud"
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "GCLOUD_RECORD": str(record), "HOME": str(tmp_path)}
    subprocess.run(
        ["bash", "-c", command], input=typed.encode(), env=env, capture_output=True, timeout=60, check=True
    )
    return record.with_suffix(".argv").read_text().splitlines(), record.with_suffix(".stdin").read_bytes()


# -------------------------------------------------------------------------------------------------
# The commands an operator copies
# -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("output", sorted(TYPED_OUTPUTS))
@pytest.mark.parametrize("value", TYPED_VALUES)
def test_each_add_command_stores_exactly_what_was_typed(
    evaluated: dict[str, Any], output: str, value: str, tmp_path: Path
) -> None:
    argv, stored = run_in_bash(evaluated["raw"][output], value + "\n", tmp_path)
    assert argv == [
        "secrets",
        "versions",
        "add",
        TYPED_OUTPUTS[output],
        "--data-file=-",
        f"--project={PROJECT}",
    ]
    assert stored == value.encode()  # no quotes, no newline, nothing expanded


def test_the_readmes_refresh_token_line_stores_the_exchanged_token_unseen(
    evaluated: dict[str, Any], tmp_path: Path
) -> None:
    """README, Add the secret values: the token the exchange left in $ZOHO_REFRESH_TOKEN is piped
    into the add command, never typed or shown."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    (line,) = [line for line in readme.splitlines() if "add_zoho_refresh_token_command" in line]
    command = line.replace(
        '"$(terraform output -raw add_zoho_refresh_token_command)"',
        shlex.quote(evaluated["raw"]["add_zoho_refresh_token_command"]),
    )

    argv, stored = run_in_bash(f"ZOHO_REFRESH_TOKEN='1000.a9f$x'\n{command}", "", tmp_path)

    assert argv[:4] == ["secrets", "versions", "add", TYPED_OUTPUTS["add_zoho_refresh_token_command"]]
    assert stored == b"1000.a9f$x"


def test_the_raw_output_is_the_value_itself(evaluated: dict[str, Any]) -> None:
    """`terraform output -raw` prints the string, not its HCL rendering with escaped quotes."""
    for output in TYPED_OUTPUTS:
        assert evaluated["raw"][output] == evaluated["outputs"][output]["value"]
        assert '\\"' not in evaluated["raw"][output]


def test_the_webhook_secret_command_stores_a_generated_secret(
    evaluated: dict[str, Any], tmp_path: Path
) -> None:
    argv, stored = run_in_bash(evaluated["raw"]["add_webhook_secret_command"], "", tmp_path)
    assert argv == [
        "secrets",
        "versions",
        "add",
        "zoho-lead-webhook-secret",
        "--data-file=-",
        f"--project={PROJECT}",
    ]
    assert re.fullmatch(rb"[A-Za-z0-9_-]{43}", stored), stored  # 32 random bytes, URL-safe base64


def test_the_show_command_reads_the_latest_webhook_secret(evaluated: dict[str, Any], tmp_path: Path) -> None:
    argv, _ = run_in_bash(evaluated["raw"]["show_webhook_secret_command"], "", tmp_path)
    assert argv == [
        "secrets",
        "versions",
        "access",
        "latest",
        "--secret=zoho-lead-webhook-secret",
        f"--project={PROJECT}",
    ]


# -------------------------------------------------------------------------------------------------
# The dashboard
# -------------------------------------------------------------------------------------------------


def log_metrics(evaluated: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        f"logging.googleapis.com/user/{values['name']}": values
        for address, values in evaluated["resources"].items()
        if address.startswith("google_logging_metric.")
    }


def data_sets(evaluated: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    dashboard = json.loads(evaluated["resources"]["google_monitoring_dashboard.main"]["dashboard_json"])
    return [
        (tile["widget"]["title"], data_set["timeSeriesQuery"]["timeSeriesFilter"])
        for tile in dashboard["mosaicLayout"]["tiles"]
        for data_set in tile["widget"]["xyChart"]["dataSets"]
    ]


def used_labels(series: dict[str, Any], scope: str) -> set[str]:
    """Labels of `scope` (metric or resource) a chart filters or groups by."""
    text = " ".join([series["filter"], *series["aggregation"].get("groupByFields", [])])
    return set(re.findall(rf"\b{scope}\.labels?\.(\w+)", text))


def test_every_dashboard_metric_is_defined_with_the_labels_it_uses(evaluated: dict[str, Any]) -> None:
    metrics = log_metrics(evaluated)
    problems = []
    for title, series in data_sets(evaluated):
        metric_type = re.search(r'metric\.type="([^"]+)"', series["filter"])
        assert metric_type, f"{title}: no metric.type in {series['filter']}"
        name = metric_type[1]
        if name in BUILT_IN_METRICS:
            labels, kind = BUILT_IN_METRICS[name], "DISTRIBUTION"
        elif name in metrics:
            descriptor = metrics[name]["metric_descriptor"][0]
            extracted = set(metrics[name].get("label_extractors") or {})
            declared = {label["key"] for label in descriptor.get("labels", [])}
            labels, kind = extracted & declared, descriptor["value_type"]
        else:
            problems.append(f"{title}: {name} is not a metric terraform/ defines")
            continue
        for label in sorted(used_labels(series, "metric") - labels):
            problems.append(f"{title}: {name} has no label {label!r} (no label extractor for it)")
        for label in sorted(used_labels(series, "resource") - CLOUD_RUN_LABELS):
            problems.append(f"{title}: cloud_run_revision has no label {label!r}")
        aligners = DISTRIBUTION_ALIGNERS if kind == "DISTRIBUTION" else COUNTER_ALIGNERS
        if series["aggregation"]["perSeriesAligner"] not in aligners:
            problems.append(f"{title}: {series['aggregation']['perSeriesAligner']} does not suit a {kind}")
    assert not problems, "\n".join(problems)


def test_the_dashboard_charts_every_figure_asked_for(evaluated: dict[str, Any]) -> None:
    charted = {re.search(r'metric\.type="([^"]+)"', s["filter"])[1] for _, s in data_sets(evaluated)}  # type: ignore[index]
    expected = {f"logging.googleapis.com/user/zoho-lead-{n}" for n in ("outcomes", "webhook-duration")}
    expected |= {
        f"logging.googleapis.com/user/zoho-lead-sweep-{n}" for n in ("converted", "failed", "remaining")
    }
    assert expected | set(BUILT_IN_METRICS) == charted
    by_rule = [s for title, s in data_sets(evaluated) if "per rule" in title]
    assert len(by_rule) == 1
    assert by_rule[0]["aggregation"]["groupByFields"] == ["metric.labels.rule"]
    assert evaluated["outputs"]["dashboard_url"]["value"].startswith(
        "https://console.cloud.google.com/monitoring/"
    )


def test_the_sweep_metrics_read_what_the_summary_line_holds(evaluated: dict[str, Any]) -> None:
    """The value extractors applied to a real summary line."""
    summary = SweepSummary(converted=3, remaining=5, failed=[{"lead_id": "1"}, {"lead_id": "2"}])
    line = {"message": summary.message(), **summary.as_dict()}
    figures = {}
    for values in log_metrics(evaluated).values():
        extractor = values.get("value_extractor") or ""
        if field := re.fullmatch(r"EXTRACT\(jsonPayload\.(\w+)\)", extractor):
            if values["name"].startswith("zoho-lead-sweep-"):
                figures[values["name"]] = line[field[1]]
        elif found := re.fullmatch(r'REGEXP_EXTRACT\(jsonPayload\.(\w+), "(.*)"\)', extractor):
            figures[values["name"]] = int(re.search(found[2], line[found[1]])[1])  # type: ignore[index]
    assert figures == {
        "zoho-lead-sweep-converted": 3,
        "zoho-lead-sweep-failed": 2,
        "zoho-lead-sweep-remaining": 5,
    }


def test_the_cli_names_the_secrets_terraform_gives_the_functions(evaluated: dict[str, Any]) -> None:
    """`zoho-lead-converter --project` reads the deployed credentials (and, for connect, the webhook
    secret) by the names Terraform sets."""
    environments = [env for env in _mappings(evaluated["resources"]) if "ZOHO_CLIENT_ID_SECRET" in env]
    expected = {
        k: v for k, v in deployed_secrets("acme-crm-prod", "zoho-lead").items() if k.endswith("_SECRET")
    }

    assert environments
    for env in environments:  # the sweep has no use for the webhook secret
        shared = {
            name: value for name, value in expected.items() if name in env or name != "WEBHOOK_SECRET_SECRET"
        }
        assert {name: env.get(name) for name in shared} == shared
    assert any(env.get("WEBHOOK_SECRET_SECRET") == expected["WEBHOOK_SECRET_SECRET"] for env in environments)


def _mappings(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        return [value, *(found for item in value.values() for found in _mappings(item))]
    if isinstance(value, list):
        return [found for item in value for found in _mappings(item)]
    return []


def test_the_webhook_log_line_carries_the_duration_the_metric_reads(evaluated: dict[str, Any]) -> None:
    metric = next(v for v in log_metrics(evaluated).values() if v["name"] == "zoho-lead-webhook-duration")
    assert metric["value_extractor"] == "EXTRACT(jsonPayload.duration_ms)"
    tree = ast.parse((ROOT / "handlers" / "doors" / "webhook.py").read_text())
    keys = {
        k.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Dict)
        for k in node.keys
        if isinstance(k, ast.Constant)
    }
    assert "duration_ms" in keys


# -------------------------------------------------------------------------------------------------
# terraform/tests covers every validation
# -------------------------------------------------------------------------------------------------


def test_every_variable_validation_has_a_run_that_makes_it_fail() -> None:
    options = hcl2.SerializationOptions(strip_string_quotes=True, explicit_blocks=False)
    variables = hcl2.loads((TF_DIR / "variables.tf").read_text(), serialization_options=options)
    validated = {
        name for block in variables["variable"] for name, body in block.items() if "validation" in body
    }
    runs = (TF_DIR / "tests" / "variables.tftest.hcl").read_text()
    rejected = set(re.findall(r"expect_failures = \[var\.(\w+)\]", runs))
    assert validated == rejected


# -------------------------------------------------------------------------------------------------
# Each check fails on a planted mistake, naming it
# -------------------------------------------------------------------------------------------------


@pytest.fixture
def planted(tmp_path: Path) -> Path:
    target = tmp_path / "terraform"
    shutil.copytree(TF_DIR, target, ignore=shutil.ignore_patterns(".terraform", ".build", "*.tfstate*"))
    return target


def plant(path: Path, old: str, new: str) -> None:
    source = path.read_text()
    assert source.count(old) == 1, f"{old!r} must occur once in {path.name}"
    path.write_text(source.replace(old, new))


def test_the_copy_passes_every_check_before_a_mistake_is_planted(planted: Path) -> None:
    run = tfschema("check", "--tf-dir", str(planted), "--steps", "schema,validate")
    assert run.returncode == 0, run.stdout + run.stderr


def test_the_schema_check_names_a_misspelt_argument(planted: Path) -> None:
    plant(
        planted / "functions.tf",
        "max_instance_count               = local",
        "max_instances                    = local",
    )
    run = tfschema("check", "--tf-dir", str(planted), "--steps", "schema")
    assert run.returncode == 1
    assert (
        "functions.tf: google_cloudfunctions2_function.webhook.service_config:"
        " unknown argument 'max_instances' (registry.terraform.io/hashicorp/google 8.7.0)"
    ) in run.stdout


def test_the_schema_check_names_a_read_only_argument(planted: Path) -> None:
    plant(
        planted / "functions.tf",
        '    ingress_settings                 = "ALLOW_ALL"\n',
        '    ingress_settings = "ALLOW_ALL"\n    service          = "x"\n',
    )
    run = tfschema("check", "--tf-dir", str(planted), "--steps", "schema")
    assert run.returncode == 1
    assert "service_config: argument 'service' is read-only (set by the provider)" in run.stdout


def test_validate_names_a_broken_reference(planted: Path) -> None:
    plant(
        planted / "outputs.tf",
        "google_cloudfunctions2_function.webhook.service_config[0].uri",
        "google_cloudfunctions2_function.webhok.service_config[0].uri",
    )
    run = tfschema("check", "--tf-dir", str(planted), "--steps", "validate")
    assert run.returncode == 1
    assert "outputs.tf:" in run.stdout
    assert "Reference to undeclared resource" in run.stdout
    assert "webhok" in run.stdout


def test_terraform_test_names_an_environment_variable_unknown_at_plan(planted: Path) -> None:
    """The first-apply bug: a secret's `id` is unknown until the secret exists."""
    secret = 'google_secret_manager_secret.value["webhook_secret"]'
    plant(
        planted / "locals.tf",
        f'"projects/${{var.project_id}}/secrets/${{{secret}.secret_id}}/versions/latest"',
        f'"${{{secret}.id}}/versions/latest"',
    )
    run = tfschema(
        "check", "--tf-dir", str(planted), "--steps", "test", "--test-file", "tests/plan.tftest.hcl"
    )
    assert run.returncode == 1
    assert 'run "every_environment_variable_is_known_at_plan_time"... fail' in run.stdout
    assert "Unknown condition value" in run.stdout


def test_terraform_refuses_to_pack_requirements_without_hashes(planted: Path) -> None:
    """source.tf's precondition, evaluated by Terraform: a requirements.txt pinned by version only
    (here requirements.in, which is that) fails the plan, naming the command that fixes it."""
    shutil.copy(ROOT / "requirements.in", planted / "unhashed.txt")
    plant(
        planted / "source.tf",
        '"requirements.txt" = "requirements.txt"',
        '"requirements.txt" = "terraform/unhashed.txt"',
    )
    run = tfschema(
        "check", "--tf-dir", str(planted), "--steps", "test", "--test-file", "tests/plan.tftest.hcl"
    )
    assert run.returncode == 1
    assert "Resource precondition failed" in run.stdout
    assert "make requirements" in run.stdout


def test_terraform_test_names_alerts_that_would_notify_nobody(planted: Path) -> None:
    """The refusal of a deployment without an alert channel, loosened to the old warning."""
    plant(
        planted / "outputs.tf",
        "condition     = !local.no_alert_channel || var.alerts_notify_nobody",
        "condition     = length(var.alert_emails) >= 0",
    )
    run = tfschema(
        "check", "--tf-dir", str(planted), "--steps", "test", "--test-file", "tests/alerts.tftest.hcl"
    )
    assert run.returncode == 1
    assert 'run "no_alert_channel_fails_the_plan"... fail' in run.stdout


def test_terraform_test_names_a_permission_added_to_the_token_cache_role(planted: Path) -> None:
    """Re-enabling old versions is no call the code makes: the role's exact list catches it."""
    plant(
        planted / "iam.tf",
        '    "secretmanager.versions.list",\n',
        '    "secretmanager.versions.list",\n    "secretmanager.versions.enable",\n',
    )
    run = tfschema(
        "check", "--tf-dir", str(planted), "--steps", "test", "--test-file", "tests/token_cache.tftest.hcl"
    )
    assert run.returncode == 1
    assert 'run "the_custom_role_only_lists_and_destroys_versions"... fail' in run.stdout


def test_the_readmes_remote_state_line_writes_a_gcs_backend(tmp_path: Path) -> None:
    """README, A second admin: the printf line writes a backend block Terraform reads."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("printf '%s\\n' 'terraform {'")
    command = readme[start : readme.index("> backend.tf", start) + len("> backend.tf")]

    subprocess.run(["bash", "-c", command], cwd=tmp_path, check=True, timeout=10)

    parsed = hcl2.loads((tmp_path / "backend.tf").read_text(encoding="utf-8"))
    (block,) = parsed["terraform"]
    (backend,) = block["backend"]
    assert backend == {
        '"gcs"': {"bucket": '"PROJECT_ID-tfstate"', "prefix": '"zoho-lead-converter"', "__is_block__": True}
    }
