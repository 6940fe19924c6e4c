"""The setup commands as an admin runs them (`zoho-lead-converter connect | verify | disconnect`),
against the emulator, and a real workflow in the loop: a lead edited to Qualified makes the
emulator call the function, served by functions-framework, and the lead is converted."""

from __future__ import annotations

import functools
import json

import pytest

from tests.served_function import ServedFunction
from tests.zoho_emulator.scopes import AUTOMATION_GRANT, DEFAULT_GRANT

URL = "https://zoho-lead-webhook.example/"
SETUP_TOKEN = "1000.setup-refresh-token-of-an-admin"


@pytest.fixture
def setup_token(emulator):
    """An admin's refresh token with the setup scopes; the function's own has only its own."""
    emulator.grant_scopes(DEFAULT_GRANT | AUTOMATION_GRANT, refresh_token=SETUP_TOKEN)
    return SETUP_TOKEN


@pytest.fixture
def setup_cli(cli, setup_token):
    """The command line with the admin's setup token, as the README has it."""
    return functools.partial(cli, ZOHO_SETUP_REFRESH_TOKEN=setup_token)


def test_connect_plans_applies_and_then_has_nothing_to_do(emulator, setup_cli):
    plan = setup_cli("connect", "--url", URL)
    applied = setup_cli("connect", "--url", URL, "--apply")
    again = setup_cli("connect", "--url", URL, "--apply")

    assert plan.returncode == 0, plan.stderr
    assert plan.stdout.splitlines() == [
        f"create webhook 'zoho_lead_converter': POST {URL}",
        "create workflow rule 'zoho_lead_converter': on Leads, Lead_Status in (Qualified), the first time",
        "nothing was changed: run again with --apply to make these changes",
    ]
    assert applied.returncode == 0
    assert applied.stdout.splitlines()[-1] == "applied 2 changes"
    assert again.stdout.splitlines() == [
        "nothing to do: the webhook and workflow rule 'zoho_lead_converter' are as connect makes them"
    ]
    assert len(emulator.automation.webhooks()) == len(emulator.automation.rules()) == 1


def test_no_secret_is_ever_printed(emulator, setup_cli, function_env):
    outputs = [setup_cli("connect", "--url", URL, "--apply"), setup_cli("verify", "--url", URL, "--json")]

    for done in outputs:
        for secret in (function_env["WEBHOOK_SECRET"], SETUP_TOKEN, function_env["ZOHO_REFRESH_TOKEN"]):
            assert secret not in done.stdout + done.stderr


def test_verify_exits_0_then_1_naming_a_changed_url_and_connect_repairs_it(emulator, setup_cli):
    setup_cli("connect", "--url", URL, "--apply")
    ok = setup_cli("verify", "--url", URL)
    (webhook,) = emulator.automation.webhooks()
    moved = setup_cli("verify", "--url", "https://after-a-redeploy.example/", "--json")
    repaired = setup_cli("connect", "--url", "https://after-a-redeploy.example/", "--apply")

    assert (ok.returncode, ok.stdout.splitlines()[-1]) == (
        0,
        "ok: the webhook and workflow rule 'zoho_lead_converter' are as connect makes them, and active",
    )
    assert moved.returncode == 1
    assert json.loads(moved.stdout)["differences"] == [
        f"differs: webhook 'zoho_lead_converter' ({webhook['id']}): url"
    ]
    assert repaired.stdout.splitlines()[0] == f"update webhook 'zoho_lead_converter' ({webhook['id']}): url"
    assert setup_cli("verify", "--url", "https://after-a-redeploy.example/").returncode == 0


def test_disconnect_removes_both_and_is_then_a_no_op(emulator, setup_cli):
    setup_cli("connect", "--url", URL, "--apply")

    plan = setup_cli("disconnect")
    done = setup_cli("disconnect", "--apply")
    again = setup_cli("disconnect", "--apply")

    assert [line.split(" (")[0] for line in plan.stdout.splitlines()[:2]] == [
        "delete workflow rule 'zoho_lead_converter'",
        "delete webhook 'zoho_lead_converter'",
    ]
    assert done.returncode == 0
    assert emulator.automation.webhooks() == emulator.automation.rules() == []
    assert (
        again.stdout.strip()
        == "nothing to do: the org has no webhook or workflow rule named 'zoho_lead_converter'"
    )


def test_the_functions_own_token_cannot_set_zoho_up_and_the_error_names_the_scope(setup_cli):
    done = setup_cli("connect", "--url", URL, "--apply", ZOHO_SETUP_REFRESH_TOKEN="")

    assert done.returncode == 2
    assert "the token needs ZohoCRM.settings.workflow_rules.READ" in done.stderr
    assert "The setup commands use ZOHO_SETUP_REFRESH_TOKEN when it is set" in done.stderr


def test_a_version_below_v8_cannot_run(setup_cli):
    done = setup_cli("verify", "--url", URL, ZOHO_API_VERSION="v7")

    assert done.returncode == 2
    assert "v8 only, and ZOHO_API_VERSION is v7" in done.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["connect", "--url", "ftp://f.example/"], "argument --url: an http:// or https:// URL"),
        (["connect", "--url", URL, "--name", "lead-converter"], "argument --name: 1 to 50 letters"),
        (["verify"], "the following arguments are required: --url"),
    ],
)
def test_bad_options_are_refused_naming_them(setup_cli, args, message):
    done = setup_cli(*args)

    assert done.returncode == 2
    assert message in done.stderr


def test_a_rules_file_without_a_status_condition_is_warned_about(setup_cli, tmp_path):
    rules = tmp_path / "rich.yaml"
    rules.write_text("rules: [{name: rich, when: {Annual_Revenue: {gte: 1000000}}}]")

    done = setup_cli("connect", "--url", URL, "--rules", str(rules))

    assert done.stdout.startswith("warning: rule 'rich' has no Lead_Status equals or in condition")
    assert "create workflow rule 'zoho_lead_converter': on Leads, on every create and edit" in done.stdout


def test_a_lead_edited_to_qualified_is_converted_through_the_workflow(
    emulator, setup_cli, function_env, users
):
    lead_id = emulator.crm.add_lead(
        Last_Name="Garcia", Company="Umbrella Corp", Email="maria@umbrella.example", Lead_Status="Contacted"
    )
    with ServedFunction(threads=2, env={**function_env, "CONVERSION_MODE": "live"}) as served:
        connected = setup_cli("connect", "--url", served.url, "--apply")
        assert connected.returncode == 0, connected.stderr

        emulator.crm.update_lead(lead_id, Lead_Status="Qualified")  # a salesperson qualifies the lead
        assert emulator.automation.wait_for_deliveries(30)

        (delivery,) = emulator.automation.deliveries
        assert delivery.as_json()["status"] == 200
        assert emulator.crm.lead(lead_id)["Converted__s"] is True
        (line,) = [line for line in served.log_lines() if line.get("lead_id") == lead_id]
        assert line["outcome"] == "converted"
