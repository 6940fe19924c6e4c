"""The sweep decides every lead exactly as the webhook does (a differential test).

Hypothesis writes rules files (every operator, lookups by id and by name, dotted lookup fields,
tags, a multi-select field, numbers written as text, dates, `exists`, skip rules, deal
placeholders) and leads, and each lead is decided twice against the emulator: through the
webhook's path (the lead read, then planned) and through the sweep (COQL rows, the lead read only
where a row cannot tell). Both must name the same rule for every lead; then the sweep converts, and
each converted lead's deal must be the one the webhook's plan describes. `DIFFERENTIAL_EXAMPLES`
runs more examples (make test runs a fixed, bounded set).
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from handlers.engine.rules import parse_rules
from handlers.errors import Kind
from handlers.runtime import Runtime
from handlers.sweep.options import SweepOptions
from tests.conftest import AN_HOUR_AGO, DEPLOYED, RIYA, SAM, post_webhook

NUMBERED = "4876876000000002009"  # a user whose name is digits: a lookup by name or by id?
USERS = {SAM: "Sam Seller", RIYA: "Riya Rep", NUMBERED: "12345"}
LEAD_READ = r"^/crm/v8/Leads/\d+$"
EXAMPLES = int(os.environ.get("DIFFERENTIAL_EXAMPLES", "100"))

# What leads hold: few values per field, so that rules match some leads and not others.
LEAD_VALUES: dict[str, list[Any]] = {
    "Lead_Status": ["Qualified", "Contacted", "Junk Lead", None],
    "Lead_Source": ["Partner", "Web", "Trade Show", None],
    "Company": ["Acme", "acme", "007", "7", "O'Brien", "Back\\slash", None],
    "Industry": ["Retail", "7.0", "", None],
    "Annual_Revenue": [None, 0, 7, 7.5, 2500000, 10**20, 10**400],
    "Email": ["a@test.invalid", "b@example.com", None],
    "Owner": list(USERS),
    "Tag": [[], ["VIP"], ["Imported"], ["VIP", "Imported"]],
    "Product_Interest": [[], ["CRM"], ["CRM", "Support"], ["Training"]],  # a multi-select picklist
}
# What rules compare them with: the leads' values, and the same values written otherwise.
RULE_VALUES: dict[str, list[Any]] = {
    "Lead_Status": ["Qualified", "Contacted", "qualified"],
    "Lead_Source": ["Partner", "Web", "Trade Show"],
    "Company": ["Acme", "acme", "007", "7", 7, "7.0", "O'Brien", "Back\\slash"],
    "Industry": ["Retail", 7, "7", ""],
    "Annual_Revenue": [0, 7, "7", 7.5, "7.50", 2500000, "2500000", "2.5e6", 10**20, "1e400"],
    "Email": ["a@test.invalid", "b@example.com"],
    "Owner": [SAM, int(SAM), RIYA, NUMBERED, "Sam Seller", "12345", "Riya Rep"],
    "Owner.id": [SAM, RIYA, int(NUMBERED)],
    "Owner.name": ["Sam Seller", "12345"],
    "Tag": ["VIP", "Imported", "vip"],
    "Product_Interest": ["CRM", "Support", "crm"],
}
ORDERED: dict[str, list[Any]] = {
    "Annual_Revenue": [0, 7, "7.5", 2500000, "1e21"],
    "Created_Time": ["2020-01-01", "2999-01-01", "2020-01-01T00:00:00+00:00"],
    "Company": ["2026-01-01"],
}
PATTERNS = ["^A", "7", "@test\\.invalid$", "(?i)acme", "Sam"]
PLACEHOLDERS = [None, "{Company}", "{Owner.name}", "{Owner.id}", "{Annual_Revenue}", "{Tag}"]


def condition(field: str) -> st.SearchStrategy[Any]:
    values = st.sampled_from(RULE_VALUES[field])
    choices = [
        values,
        st.fixed_dictionaries({"in": st.lists(values, min_size=1, max_size=3)}),
        st.fixed_dictionaries({"not": values}),
        st.fixed_dictionaries({"not_in": st.lists(values, min_size=1, max_size=2)}),
        st.fixed_dictionaries({"exists": st.booleans()}),
        st.fixed_dictionaries({"matches": st.sampled_from(PATTERNS)}),
    ]
    if field in ORDERED:
        operators = st.sampled_from(["gt", "gte", "lt", "lte"])
        choices.append(st.dictionaries(operators, st.sampled_from(ORDERED[field]), min_size=1, max_size=2))
    return st.one_of(choices)


def when() -> st.SearchStrategy[dict[str, Any]]:
    fields = st.sampled_from([*RULE_VALUES, "Created_Time"])
    return st.lists(fields, min_size=1, max_size=3, unique=True).flatmap(
        lambda chosen: st.fixed_dictionaries(
            {name: condition(name) if name in RULE_VALUES else _dates() for name in chosen}
        )
    )


def _dates() -> st.SearchStrategy[Any]:
    return st.dictionaries(
        st.sampled_from(["gt", "gte", "lt", "lte"]), st.sampled_from(ORDERED["Created_Time"]), min_size=1
    )


@st.composite
def rules_files(draw: st.DrawFn) -> dict[str, Any]:
    rules = []
    for number in range(draw(st.integers(1, 3))):
        rule: dict[str, Any] = {"name": f"r{number}", "when": draw(when())}
        if draw(st.booleans()) and draw(st.booleans()):
            rule["skip"] = True
        else:
            deal = {"Deal_Name": f"deal of r{number}", "Stage": "Qualification"}
            deal |= {"Pipeline": "Standard (Standard)", "Closing_Date": "+30d"}
            description = draw(st.sampled_from(PLACEHOLDERS))
            if description is not None:
                deal["Description"] = description
            rule["deal"] = deal
            rule["assign_to"] = draw(st.sampled_from(["lead_owner", SAM]))
            if draw(st.booleans()):
                rule["carry_over_tags"] = {"Contacts": "all"}
        rules.append(rule)
    return {"rules": rules}


leads_strategy = st.lists(
    st.fixed_dictionaries({k: st.sampled_from(v) for k, v in LEAD_VALUES.items()}), min_size=1, max_size=8
)


@pytest.fixture
def org(emulator, function_env):
    """The emulator back to an empty org with three users, for each example."""

    def fresh() -> None:
        emulator.reset()
        for user_id, name in USERS.items():
            emulator.crm.add_user(name, f"{user_id}@example.com", id=user_id)

    return fresh


# Found by hypothesis: leads sharing an email and a company with leads converted earlier in the
# same run, so one is held between the contact's own account and another matching by name.
SHARED_KEYS_DOCUMENT = {
    "rules": [
        {
            "name": "r0",
            "when": {"Company": {"not": "acme"}},
            "deal": {
                "Deal_Name": "deal of r0",
                "Stage": "Qualification",
                "Pipeline": "Standard (Standard)",
                "Closing_Date": "+30d",
                "Description": "{Owner.name}",
            },
            "assign_to": "lead_owner",
        },
    ]
}
SHARED_KEYS_LEADS = [
    {"Owner": "4876876000000002002", "Email": None, "Company": "007", "Lead_Status": "Qualified", "Tag": []},
    {
        "Owner": "4876876000000002003",
        "Email": "b@example.com",
        "Company": "O'Brien",
        "Lead_Status": "Qualified",
        "Tag": [],
    },
    {
        "Owner": "4876876000000002002",
        "Email": "b@example.com",
        "Company": "7",
        "Lead_Status": None,
        "Tag": [],
    },
    {
        "Owner": "4876876000000002003",
        "Email": "b@example.com",
        "Company": "007",
        "Lead_Status": "Contacted",
        "Tag": ["VIP"],
    },
    {
        "Owner": "4876876000000002002",
        "Email": None,
        "Company": "007",
        "Lead_Status": None,
        "Tag": ["Imported"],
    },
    {
        "Owner": "4876876000000002003",
        "Email": "b@example.com",
        "Company": "O'Brien",
        "Lead_Status": "Qualified",
        "Tag": [],
    },
    {
        "Owner": "4876876000000002003",
        "Email": "a@test.invalid",
        "Company": "7",
        "Lead_Status": "Contacted",
        "Tag": ["VIP"],
    },
    {"Owner": "4876876000000002002", "Email": None, "Company": "Acme", "Lead_Status": "Qualified", "Tag": []},
]


def shares_a_key(lead: dict[str, Any], others: list[dict[str, Any]]) -> bool:
    """Whether the lead's Email or Company is one of the others' (as the lookup compares them)."""

    def keys(values: dict[str, Any]) -> set[str]:
        return {f"{k}:{str(values[k]).casefold()}" for k in ("Email", "Company") if values.get(k)}

    return bool(keys(lead) & set().union(*(keys(other) for other in others)))


def add(emulator, leads: list[dict[str, Any]]) -> list[str]:
    return [
        emulator.crm.add_lead(Last_Name=f"Lead {n}", Modified_Time=AN_HOUR_AGO, **values)
        for n, values in enumerate(leads)
    ]


@settings(
    max_examples=EXAMPLES,
    derandomize="DIFFERENTIAL_EXAMPLES" not in os.environ,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(document=rules_files(), leads=leads_strategy)
@example(document=SHARED_KEYS_DOCUMENT, leads=SHARED_KEYS_LEADS)
def test_the_sweep_decides_and_converts_every_lead_as_the_webhook_does(emulator, org, document, leads):
    org()
    rules = parse_rules(json.dumps(document), "rules.yaml")
    ids = add(emulator, leads)
    runtime = Runtime(rules)
    converter = runtime.converter()

    webhook = {lead: converter.convert(lead, dry_run=True) for lead in ids}
    expected = {lead: o.rule for lead, o in webhook.items() if o.kind is Kind.DRY_RUN}
    assert all(o.kind in (Kind.DRY_RUN, Kind.SKIPPED) for o in webhook.values()), webhook

    options = SweepOptions(since=DEPLOYED, dry_run=True, max_seconds=60)
    planned = runtime.sweep(options)
    assert (planned.complete, planned.failed) == (True, []), planned.as_dict()
    assert {entry.lead_id: entry.rule for entry in planned.plan} == expected

    emulator.clear_journal()
    done = runtime.sweep(SweepOptions(since=DEPLOYED, max_seconds=60))
    event(f"leads converted: {'none' if not expected else 'some' if len(expected) < len(ids) else 'all'}")
    event(f"leads read in full by the sweep: {'yes' if emulator.requests('GET', LEAD_READ) else 'no'}")
    event(f"Mass Convert used: {'yes' if done.mass_convert_jobs else 'no'}")
    assert (done.complete, done.failed) == (True, []), done.as_dict()
    # A lead may find the contact or account an earlier lead of the run created and be held
    # between them (as a webhook delivered after that lead's would be): only such a lead.
    held = {lead for lead in expected if not emulator.crm.lead(lead)["Converted__s"]}
    assert (done.converted, done.held) == (len(expected) - len(held), len(held)), done.as_dict()
    for lead in held:
        earlier = [other for other in ids[: ids.index(lead)] if other in expected]
        assert shares_a_key(leads[ids.index(lead)], [leads[ids.index(other)] for other in earlier]), lead
    for lead in ids:
        record = emulator.crm.lead(lead)
        assert record["Converted__s"] is (lead in expected and lead not in held)
        if lead in held:
            continue
        if lead in expected:
            deal = emulator.crm.deals[record["Converted_Deal"]["id"]]
            wanted = webhook[lead].payload["data"][0]["Deals"]
            assert deal["Deal_Name"] == wanted["Deal_Name"] == f"deal of {expected[lead]}"
            assert deal.get("Description") == wanted.get("Description")
            assert deal["Owner"]["id"] == webhook[lead].payload["data"][0]["assign_to"]["id"]


# --- existing records: the webhook and the sweep pick the same ones -------------------------------

MATCHING_RULES = f"""
rules:
  - name: all
    when: {{Lead_Status: Qualified}}
    deal: {{Deal_Name: Deal, Stage: Qualification, Pipeline: Standard (Standard), Closing_Date: +14d}}
    assign_to: "{SAM}"
"""


def returning_customers(emulator) -> dict[str, str]:
    """An org with customers, and one lead for each way a lead can meet them, by name."""
    crm = emulator.crm
    crm.unique_fields["Contacts"] = ["Phone"]
    acme = crm.add_account(Account_Name="Acme")
    crm.add_contact(First_Name="Jane", Last_Name="Doe", Email="jane@acme.example", Account_Name=acme)
    crm.add_account(Account_Name="Globex")
    crm.add_account(Account_Name="GLOBEX")
    initech = crm.add_account(Account_Name="Initech")
    crm.add_contact(First_Name="Bob", Last_Name="Moved", Email="bob@initech.example", Account_Name=initech)
    crm.add_contact(Last_Name="Roe", Email="roe@old.example", Phone="555-0100")
    crm.add_contact(First_Name="Sam", Last_Name="Twin", Email="sam.twin@elsewhere.example")
    leads = {
        "her contact and its account": {"Email": "JANE@acme.example", "Company": "Acme"},
        "an account by name only": {"Email": "new.hire@acme.example", "Company": "ACME"},
        "two accounts of one name": {"Email": "buyer@globex.example", "Company": "Globex"},
        "a contact of another company": {"Email": "bob@initech.example", "Company": "Acme"},
        "a unique field": {"Email": "roe@new.example", "Company": "Roe Ltd", "Phone": "555-0100"},
        "a name alone": {
            "First_Name": "Sam",
            "Last_Name": "Twin",
            "Email": "sam@new.example",
            "Company": "Twin Co",
        },
        "nobody known": {"Email": "first@new.example", "Company": "Brand New One"},
        "nobody known either": {"Email": "second@new.example", "Company": "Brand New Two"},
    }
    defaults = {"Last_Name": "Lead", "Lead_Status": "Qualified", "Owner": SAM, "Modified_Time": AN_HOUR_AGO}
    return {name: crm.add_lead(**{**defaults, **fields}) for name, fields in leads.items()}


def what_became_of(emulator, leads: dict[str, str], existing: set[str]) -> dict[str, tuple[str, str, str]]:
    """Per lead: converted or held, and its contact and account: an existing record's id, or "new"."""
    outcome: dict[str, tuple[str, str, str]] = {}
    for name, lead_id in leads.items():
        lead = emulator.crm.lead(lead_id)
        if not lead["Converted__s"]:
            notes = [note["Note_Title"] for note in emulator.crm.notes_of("Leads", lead_id)]
            outcome[name] = ("not converted", ", ".join(notes), "")
            continue
        contact, account = lead["Converted_Contact"]["id"], lead["Converted_Account"]["id"]
        outcome[name] = (
            "converted",
            contact if contact in existing else "new",
            account if account in existing else "new",
        )
    return outcome


def test_the_webhook_and_the_sweep_convert_each_lead_into_the_same_existing_records(
    emulator, sweep_with, serve, users
):
    leads = returning_customers(emulator)
    existing = {*emulator.crm.contacts, *emulator.crm.accounts}
    summary = sweep_with(MATCHING_RULES)
    by_sweep = what_became_of(emulator, leads, existing)

    emulator.reset()
    emulator.crm.add_user("Sam Seller", "sam@example.com", id=SAM)
    assert returning_customers(emulator) == leads
    client = serve()
    for lead_id in leads.values():
        assert post_webhook(client, lead_id).status_code == 200
    by_webhook = what_became_of(emulator, leads, existing)

    assert by_sweep == by_webhook
    assert summary["mass_convert_jobs"] == 1  # the leads nobody knows (and the name twin's)
    held = ("not converted", "Automatic conversion held", "")
    assert by_sweep["two accounts of one name"] == held
    assert by_sweep["a contact of another company"] == held
    assert by_sweep["her contact and its account"][1:] != ("new", "new")
    assert by_sweep["a unique field"][1] != "new"
    assert by_sweep["a name alone"][1] == "new"
