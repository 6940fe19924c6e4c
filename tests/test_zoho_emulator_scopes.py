"""OAuth scopes (scopes.py, tokens.py, router.py): which scope each endpoint needs, and the 401
OAUTH_SCOPE_MISMATCH a token without it gets (zoho-crm-api.md §13.7)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.zoho_emulator.scopes import DEFAULT_GRANT
from tests.zoho_emulator.testing import ADMIN, DEAL, Zoho, add_lead, lead_parent, token_form
from tests.zoho_emulator.testing import emulator as emulator
from tests.zoho_emulator.testing import zoho as zoho

MISMATCH = {
    "code": "OAUTH_SCOPE_MISMATCH",
    "details": {},
    "message": "Invalid oauth scope to access this URL",
    "status": "error",
}
DEALS_LAYOUT = "4876876000000091023"
REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True, eq=False)
class Call:
    method: str
    path: str  # {lead} is replaced with a lead's id
    params: dict[str, str] | None = None
    body: Any = None

    def send(self, client: Zoho, lead_id: str) -> requests.Response:
        path = self.path.format(lead=lead_id)
        body = _with_lead(self.body, lead_id)
        if self.method == "GET":
            return client.get(path, params=self.params)
        return client.post(path, json=body)


def _with_lead(body: Any, lead_id: str) -> Any:
    if isinstance(body, dict):
        return {key: _with_lead(value, lead_id) for key, value in body.items()}
    if isinstance(body, list):
        return [_with_lead(value, lead_id) for value in body]
    return lead_id if body == "{lead}" else body


NOTE = {"data": [{"Note_Content": "x", "Parent_Id": {"module": {"api_name": "Leads"}, "id": "{lead}"}}]}
GET_LEAD = Call("GET", "Leads/{lead}")
CONVERT = Call("POST", "Leads/{lead}/actions/convert", body={"data": [{"Deals": DEAL}]})
OPTIONS = Call("GET", "Leads/{lead}/__conversion_options")
MASS_CONVERT = Call(
    "POST", "Leads/actions/mass_convert", body={"ids": ["{lead}"], "assign_to": {"id": ADMIN}}
)
MASS_STATUS = Call("GET", "Leads/actions/mass_convert", params={"job_id": "1"})
COQL = Call("POST", "coql", body={"select_query": "select id from Leads where Last_Name = 'Doe'"})
COQL_CONTACTS = Call("POST", "coql", body={"select_query": "select id from Contacts where Last_Name = 'Doe'"})
COQL_DEALS = Call("POST", "coql", body={"select_query": "select id from Deals where Stage = 'Qualification'"})
LIST_NOTES = Call("GET", "Leads/{lead}/Notes", params={"fields": "Note_Title"})
ADD_NOTE = Call("POST", "Notes", body=NOTE)
ADD_NOTE_UNDER = Call("POST", "Leads/{lead}/Notes", body=NOTE)
FIELDS = Call("GET", "settings/fields", params={"module": "Leads", "type": "all"})
LAYOUTS = Call("GET", "settings/layouts", params={"module": "Deals"})
PIPELINES = Call("GET", "settings/pipeline", params={"layout_id": DEALS_LAYOUT})
USERS = Call("GET", "users", params={"type": "AllUsers", "page": "1", "per_page": "200"})
TAGS = Call("GET", "settings/tags", params={"module": "Leads"})
MODULES = Call("GET", "settings/modules")
CHECKED = [
    GET_LEAD,
    Call("GET", "Leads", params={"fields": "Last_Name"}),
    CONVERT,
    OPTIONS,
    MASS_CONVERT,
    MASS_STATUS,
    COQL,
    COQL_CONTACTS,
    COQL_DEALS,
    LIST_NOTES,
    ADD_NOTE,
    ADD_NOTE_UNDER,
    FIELDS,
    LAYOUTS,
    PIPELINES,
    USERS,
    TAGS,
    MODULES,
]

M = "ZohoCRM.modules."
S = "ZohoCRM.settings."
# (call, a grant that is enough, a grant that is not): the .ALL and broader forms the reference
# notes are accepted, other spellings and neighbouring scopes are not.
CASES = [
    (GET_LEAD, [f"{M}leads.READ"], [f"{M}Leads.READ"]),
    (GET_LEAD, [f"{M}leads.ALL"], [f"{M}leads.CREATE"]),
    (GET_LEAD, [f"{M}ALL"], [f"{M}READ"]),
    (CONVERT, [f"{M}ALL"], [f"{M}leads.CREATE"]),
    (CONVERT, [f"{M}CREATE"], [f"{M}leads.ALL", f"{M}contacts.ALL", f"{M}accounts.ALL"]),
    (CONVERT, [f"{M}leads.CREATE", f"{M}contacts.CREATE", f"{M}accounts.CREATE", f"{M}deals.CREATE"], []),
    (OPTIONS, [f"{M}leads.READ"], [f"{M}contacts.READ"]),
    (OPTIONS, [f"{M}Leads.READ"], [f"{M}LEADS.READ"]),
    (MASS_CONVERT, ["ZohoCRM.mass_convert.leads.CREATE"], [f"{M}ALL", "ZohoCRM.mass_convert.leads.ALL"]),
    (MASS_STATUS, ["ZohoCRM.mass_convert.leads.READ"], ["ZohoCRM.mass_convert.leads.CREATE"]),
    (COQL, ["ZohoCRM.coql.READ", f"{M}Leads.READ"], ["ZohoCRM.coql.READ", f"{M}leads.READ"]),
    (COQL, ["ZohoCRM.coql.READ", f"{M}ALL"], [f"{M}ALL"]),
    # §13.7: COQL needs the read scope of the module it queries, spelt as for Leads.
    (COQL_CONTACTS, ["ZohoCRM.coql.READ", f"{M}Contacts.READ"], ["ZohoCRM.coql.READ", f"{M}Leads.READ"]),
    (COQL_CONTACTS, ["ZohoCRM.coql.READ", f"{M}Contacts.ALL"], ["ZohoCRM.coql.READ", f"{M}contacts.READ"]),
    (COQL_DEALS, ["ZohoCRM.coql.READ", f"{M}ALL"], ["ZohoCRM.coql.READ", f"{M}Contacts.READ"]),
    (LIST_NOTES, [f"{M}notes.READ", f"{M}leads.READ"], [f"{M}notes.READ"]),
    (LIST_NOTES, [f"{M}ALL"], [f"{M}leads.READ"]),
    (ADD_NOTE, [f"{M}notes.CREATE", f"{M}leads.CREATE"], [f"{M}notes.CREATE"]),
    (ADD_NOTE_UNDER, [f"{M}notes.ALL", f"{M}leads.ALL"], [f"{M}notes.CREATE", f"{M}leads.READ"]),
    (FIELDS, [f"{S}fields.READ"], [f"{S}fields.read"]),
    (FIELDS, [f"{S}ALL"], [f"{S}layouts.READ"]),
    (LAYOUTS, [f"{S}layouts.ALL"], [f"{S}fields.ALL"]),
    (PIPELINES, [f"{S}pipeline.READ"], [f"{S}pipelines.READ"]),
    (USERS, ["ZohoCRM.users.READ"], [f"{S}ALL"]),
    (USERS, ["ZohoCRM.users.ALL"], ["ZohoCRM.users.CREATE"]),
    (TAGS, [f"{S}tags.READ"], [f"{M}ALL"]),
    (MODULES, [f"{S}modules.READ"], [f"{M}ALL"]),
]


def test_a_token_without_the_endpoints_scope_is_refused_and_nothing_happens(emulator, zoho):
    lead_id = add_lead(emulator)
    emulator.grant_scopes([])

    answers = [call.send(zoho, lead_id) for call in CHECKED]

    assert [(answer.status_code, answer.json()) for answer in answers] == [(401, MISMATCH)] * len(CHECKED)
    assert emulator.crm.conversions(lead_id) == 0
    assert emulator.crm.counts()["notes"] == 0


def test_the_default_grant_allows_every_call_the_product_makes(emulator, zoho):
    lead_id = add_lead(emulator)

    statuses = {f"{call.method} {call.path}": call.send(zoho, lead_id).status_code for call in CHECKED}

    assert emulator.granted_scopes() == DEFAULT_GRANT
    assert 401 not in statuses.values(), statuses


@pytest.mark.parametrize(("call", "enough", "not_enough"), CASES)
def test_an_endpoint_takes_its_scope_in_the_forms_the_reference_names(
    emulator, zoho, call, enough, not_enough
):
    lead_id = add_lead(emulator)

    emulator.grant_scopes(enough)
    allowed = call.send(zoho, add_lead(emulator) if call is CONVERT else lead_id)
    emulator.grant_scopes(not_enough)
    refused = call.send(zoho, lead_id)

    assert allowed.status_code != 401, allowed.text
    assert (refused.status_code, refused.json()) == (401, MISMATCH)


def test_a_note_on_a_lead_needs_the_leads_create_scope_too_and_none_is_added_without_it(emulator, zoho):
    lead_id = add_lead(emulator)
    emulator.grant_scopes([f"{M}notes.CREATE"])

    refused = zoho.post(
        "Notes", json={"data": [{"Note_Content": "x", "Parent_Id": lead_parent(lead_id)}] * 2}
    )

    assert (refused.status_code, refused.json()["code"]) == (401, "OAUTH_SCOPE_MISMATCH")
    assert emulator.crm.notes_of("Leads", lead_id) == []


def test_the_scope_is_checked_after_the_token_and_before_the_request(emulator, zoho):
    emulator.grant_scopes([])

    without_module = zoho.get("settings/fields")
    no_token = requests.get(f"{emulator.url}/crm/v8/settings/fields", timeout=5)
    unknown_url = zoho.get("settings/gadgets")

    assert (without_module.status_code, without_module.json()["code"]) == (401, "OAUTH_SCOPE_MISMATCH")
    assert no_token.json()["code"] == "AUTHENTICATION_FAILURE"
    assert unknown_url.status_code == 404


def test_org_and_related_lists_need_no_scope_the_reference_names(emulator, zoho):
    emulator.grant_scopes([])

    assert zoho.get("org").status_code == 200
    assert zoho.get("settings/related_lists", params={"module": "Leads"}).status_code == 200


def test_a_change_of_grant_applies_to_access_tokens_already_issued(emulator, zoho):
    before = zoho.get("users")
    emulator.grant_scopes(DEFAULT_GRANT - {"ZohoCRM.users.READ"})

    after = zoho.get("users")

    assert before.status_code == 200
    assert after.status_code == 401


def test_another_refresh_token_of_the_client_has_its_own_grant(emulator, zoho):
    emulator.grant_scopes(["ZohoCRM.users.READ"], refresh_token="1000.narrow-refresh")
    form = token_form(emulator.credentials, refresh_token="1000.narrow-refresh")
    token = requests.post(f"{emulator.url}/oauth/v2/token", data=form, timeout=5).json()["access_token"]
    narrow = Zoho(emulator, token=token)

    assert narrow.get("users").status_code == 200
    assert narrow.get("settings/fields", params={"module": "Leads"}).status_code == 401
    assert zoho.get("settings/fields", params={"module": "Leads"}).status_code == 200
    assert emulator.granted_scopes("1000.narrow-refresh") == {"ZohoCRM.users.READ"}


def test_each_refresh_token_has_its_own_throttle_and_reset_empties_them(emulator):
    emulator.grant_scopes(DEFAULT_GRANT, refresh_token="1000.second-refresh")
    url = f"{emulator.url}/oauth/v2/token"
    first = [requests.post(url, data=token_form(emulator.credentials), timeout=5).json() for _ in range(11)]
    second = requests.post(
        url, data=token_form(emulator.credentials, refresh_token="1000.second-refresh"), timeout=5
    ).json()

    emulator.reset()
    after_reset = requests.post(url, data=token_form(emulator.credentials), timeout=5).json()
    forgotten = requests.post(
        url, data=token_form(emulator.credentials, refresh_token="1000.second-refresh"), timeout=5
    ).json()

    assert [answer.get("error") for answer in first] == [None] * 10 + ["Access Denied"]
    assert "access_token" in second
    assert "access_token" in after_reset
    assert forgotten == {"error": "invalid_code"}
    assert emulator.granted_scopes() == DEFAULT_GRANT


def test_the_default_grant_is_the_self_client_scopes_the_readme_asks_for():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    (line,) = [line for line in text.splitlines() if line.strip().startswith("`ZohoCRM.modules.ALL,")]

    assert set(line.strip().strip("`").split(",")) == DEFAULT_GRANT
