"""COQL (coql.py, bulk_endpoints.py): the grammar and limits of zoho-crm-api.md §10."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from tests.zoho_emulator import ZohoEmulator
from tests.zoho_emulator.testing import ADMIN, Zoho, add_deal, add_lead
from tests.zoho_emulator.testing import emulator as emulator
from tests.zoho_emulator.testing import zoho as zoho


@pytest.fixture
def prospects(emulator: ZohoEmulator) -> dict[str, str]:
    def lead(name: str, **fields: Any) -> str:
        return add_lead(emulator, Last_Name=name, Email=f"{name.lower()}@example.com", **fields)

    return {
        "partner": lead(
            "Partner",
            Lead_Source="Partner",
            Annual_Revenue=2_000_000,
            Modified_Time="2026-11-20T09:00:00+00:00",
        ),
        "show": lead(
            "Show",
            Lead_Source="Trade Show",
            Annual_Revenue=900_000,
            Modified_Time="2026-11-20T11:00:00+00:00",
        ),
        "late": lead("Late", Lead_Source="Partner", Modified_Time="2026-11-21T12:00:00+00:00"),
        "web": lead(
            "Web", Lead_Source="Web", Lead_Status="Contacted", Modified_Time="2026-11-19T09:00:00+00:00"
        ),
    }


def coql(zoho: Zoho, query: str) -> requests.Response:
    return zoho.post("coql", json={"select_query": query})


def selected_ids(answer: requests.Response) -> list[str]:
    assert answer.status_code == 200, answer.text
    return [row["id"] for row in answer.json()["data"]]


def test_coql_selects_the_fields_of_the_leads_matching_the_where_clause(zoho, prospects):
    answer = coql(
        zoho,
        "select id, Last_Name, Lead_Status, Owner from Leads "
        "where (Lead_Status = 'Qualified' and Lead_Source in ('Partner','Trade Show')) "
        "and Modified_Time < '2026-11-21T10:00:00+00:00' limit 0, 200",
    )

    assert answer.json() == {
        "data": [
            {
                "id": prospects["partner"],
                "Last_Name": "Partner",
                "Lead_Status": "Qualified",
                "Owner": {"id": ADMIN},
            },
            {
                "id": prospects["show"],
                "Last_Name": "Show",
                "Lead_Status": "Qualified",
                "Owner": {"id": ADMIN},
            },
        ],
        "info": {"count": 2, "more_records": False},
    }


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("Lead_Status != 'Qualified'", ["web"]),
        ("Lead_Source not in ('Partner', 'Web')", ["show"]),
        ("Annual_Revenue >= 1000000", ["partner"]),
        ("Annual_Revenue < 1000000", ["show"]),
        ("Annual_Revenue is null", ["late", "web"]),
        ("Annual_Revenue is not null", ["partner", "show"]),
        ("Lead_Source = 'partner' or Last_Name = 'Web'", ["partner", "late", "web"]),
        ("Modified_Time >= '2026-11-20T11:00:00+00:00'", ["show", "late"]),
        ("Owner.id = '4876876000000002001' and Email = 'SHOW@example.com'", ["show"]),
    ],
)
def test_coql_where_operators(zoho, prospects, where, expected):
    answer = coql(zoho, f"select Last_Name from Leads where {where}")  # noqa: S608 (COQL)

    assert selected_ids(answer) == [prospects[name] for name in expected]


def test_coql_pages_with_both_limit_forms(zoho, prospects):
    first = coql(zoho, "select Last_Name from Leads where id is not null order by Last_Name limit 0, 3")
    rest = coql(zoho, "select Last_Name from Leads where id is not null order by Last_Name limit 3 offset 3")

    assert [row["Last_Name"] for row in first.json()["data"]] == ["Late", "Partner", "Show"]
    assert first.json()["info"] == {"count": 3, "more_records": True}
    assert [row["Last_Name"] for row in rest.json()["data"]] == ["Web"]
    assert rest.json()["info"] == {"count": 1, "more_records": False}


def test_coql_never_returns_converted_leads(zoho, prospects):
    zoho.convert(prospects["partner"])

    answer = coql(zoho, "select Last_Name from Leads where Lead_Source = 'Partner'")

    assert selected_ids(answer) == [prospects["late"]]


def test_coql_answers_no_content_when_nothing_matches(zoho, prospects):
    answer = coql(zoho, "select Last_Name from Leads where Lead_Status = 'Junk Lead'")

    assert answer.status_code == 204


@pytest.mark.parametrize(
    ("query", "code", "details"),
    [
        ("select Last_Name form Leads", "SYNTAX_ERROR", {"near": "form"}),
        ("select Last_Name from Leads where", "SYNTAX_ERROR", {}),
        ("select Last_Name from Leads where Lead_Status = 'Qualified' and", "SYNTAX_ERROR", {}),
        ("select Shoe_Size from Leads where id is not null", "INVALID_QUERY", {"column_name": "Shoe_Size"}),
        ("select id from Leads where Shoe_Size = 1", "INVALID_QUERY", {"column_name": "Shoe_Size"}),
        ("select id from Leads where Email > 'a'", "INVALID_QUERY", {"column_name": "Email"}),
        ("select id from Leads where Modified_Time < 'soon'", "INVALID_QUERY", {}),
        ("select id from Foo where id is not null", "INVALID_QUERY", {"module": "Foo"}),
        ("select Shoe_Size from Foo where id is not null", "INVALID_QUERY", {"module": "Foo"}),
        ("select id from leads where id is not null", "INVALID_QUERY", {"module": "leads"}),
        ("select id from 'Leads' where id is not null", "INVALID_QUERY", {"module": "'Leads'"}),
        ("select id from Leads where id is not null limit 2001", "LIMIT_EXCEEDED", {"limit": 2000}),
    ],
)
def test_coql_refuses_bad_queries(zoho, prospects, query, code, details):
    answer = coql(zoho, query)

    assert answer.status_code == 400
    assert answer.json()["code"] == code
    assert details.items() <= answer.json()["details"].items()


def test_coql_needs_a_select_query(zoho):
    assert zoho.post("coql", json={}).json()["details"]["api_name"] == "select_query"


def coql_error(answer: requests.Response, code: str) -> dict[str, Any]:
    """A COQL refusal: HTTP 400 and one unwrapped error object (zoho-crm-api.md §10)."""
    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert set(body) == {"code", "details", "message", "status"}
    assert (body["code"], body["status"]) == (code, "error")
    return body


def paired(criteria: list[str]) -> str:
    """Criteria joined by `and`, bracketed in pairs from the left: ((A and B) and C) ..."""
    where = criteria[0]
    for criterion in criteria[1:]:
        where = f"({where} and {criterion})"
    return where


def quoted(values: list[str]) -> str:
    return ", ".join(f"'{value}'" for value in values)


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("Lead_Status = 'Qualified'", ["partner", "show", "late"]),
        ("(Lead_Status = 'Qualified')", ["partner", "show", "late"]),
        ("((Lead_Status = 'Qualified'))", ["partner", "show", "late"]),
        ("Lead_Status = 'Qualified' and Lead_Source = 'Partner'", ["partner", "late"]),
        ("(Lead_Status = 'Qualified' and Lead_Source = 'Partner')", ["partner", "late"]),
        ("(Lead_Status = 'Qualified' and Lead_Source = 'Partner') and Annual_Revenue is null", ["late"]),
        ("Lead_Status = 'Qualified' and (Lead_Source = 'Partner' and Annual_Revenue is null)", ["late"]),
        ("((Lead_Status = 'Qualified' and Lead_Source = 'Partner') and Annual_Revenue is null)", ["late"]),
        ("(Lead_Source = 'Web' or Lead_Source = 'Trade Show') and Lead_Status = 'Contacted'", ["web"]),
    ],
)
def test_coql_takes_criteria_bracketed_in_pairs(zoho, prospects, where, expected):
    answer = coql(zoho, f"select Last_Name from Leads where {where}")  # noqa: S608 (COQL)

    assert selected_ids(answer) == [prospects[name] for name in expected]


@pytest.mark.parametrize(
    ("where", "near"),
    [
        ("Lead_Status = 'Qualified' and Lead_Source = 'Partner' and Annual_Revenue is null", "and"),
        ("Lead_Source = 'Web' or Lead_Source = 'Partner' or Lead_Source = 'Trade Show'", "or"),
        ("Lead_Status = 'Qualified' and Lead_Source = 'Partner' or Last_Name = 'Web'", "or"),
        ("(Lead_Status = 'Qualified' and Lead_Source = 'Partner' and Annual_Revenue is null)", "and"),
        (
            "Last_Name = 'Web' and (Lead_Source = 'Web' or Lead_Source = 'Partner' or Last_Name = 'Show')",
            "or",
        ),
    ],
)
def test_coql_refuses_three_criteria_in_one_bracket_as_zoho_does(zoho, prospects, where, near):
    answer = coql(zoho, f"select Last_Name from Leads where {where}")  # noqa: S608 (COQL)

    error = coql_error(answer, "SYNTAX_ERROR")
    assert error["details"]["near"] == near
    assert error["details"]["column"] == len("select Last_Name from Leads where ") + where.rindex(near) + 1


@pytest.mark.parametrize(
    "query",
    [
        "select Last_Name from Leads",
        "select Last_Name from Leads order by Last_Name",
        "select Last_Name from Leads limit 10",
    ],
)
def test_coql_refuses_a_query_without_where_clause(zoho, prospects, query):
    error = coql_error(coql(zoho, query), "SYNTAX_ERROR")

    assert error["message"] == "the query does not contain the where clause"
    assert error["details"]["clause"] == "where"


def test_coql_takes_at_most_25_criteria(zoho, prospects):
    criteria = [f"Last_Name != 'nobody {n}'" for n in range(26)]

    at_limit = coql(zoho, f"select Last_Name from Leads where {paired(criteria[:25])}")  # noqa: S608
    over = coql(zoho, f"select Last_Name from Leads where {paired(criteria)}")  # noqa: S608

    assert len(selected_ids(at_limit)) == 4
    error = coql_error(over, "LIMIT_EXCEEDED")
    assert error["details"] == {"clause": "where", "limit": 25}


def test_coql_counts_each_value_of_an_in_list_as_one_criterion(zoho, prospects):
    names = [f"nobody {n}" for n in range(13)]
    twenty_five = f"Last_Name in ({quoted([*names[:11], 'Web'])}) and Email not in ({quoted(names)})"
    twenty_six = f"Last_Name in ({quoted([*names[:12], 'Web'])}) and Email not in ({quoted(names)})"

    at_limit = coql(zoho, f"select Last_Name from Leads where {twenty_five}")  # noqa: S608
    over = coql(zoho, f"select Last_Name from Leads where {twenty_six}")  # noqa: S608

    assert selected_ids(at_limit) == [prospects["web"]]
    assert coql_error(over, "LIMIT_EXCEEDED")["details"] == {"clause": "where", "limit": 25}


def test_coql_can_play_the_reading_where_an_in_list_counts_once(emulator, zoho, prospects):
    values = quoted([*(f"nobody {n}" for n in range(49)), "Web"])
    query = f"select Last_Name from Leads where Last_Name in ({values})"  # noqa: S608

    refused = coql(zoho, query)
    emulator.faults.coql_in_counts_once = True
    answered = coql(zoho, query)

    assert coql_error(refused, "LIMIT_EXCEEDED")["details"] == {"clause": "where", "limit": 25}
    assert selected_ids(answered) == [prospects["web"]]


def test_coql_takes_at_most_50_values_in_one_in_list(zoho, prospects):
    values = quoted([f"nobody {n}" for n in range(51)])

    over = coql(zoho, f"select Last_Name from Leads where Last_Name not in ({values})")  # noqa: S608

    error = coql_error(over, "LIMIT_EXCEEDED")
    assert error["message"] == "more than 50 values for the in"
    assert error["details"]["limit"] == 50
    assert error["details"]["column_name"] == "Last_Name"


def test_coql_takes_at_most_50_selected_fields_counting_id(zoho, prospects):
    fifty = ", ".join(["id"] + ["Last_Name"] * 49)
    fifty_one = ", ".join(["Last_Name"] * 50 + ["id"])

    at_limit = coql(zoho, f"select {fifty} from Leads where Last_Name = 'Web'")  # noqa: S608
    over = coql(zoho, f"select {fifty_one} from Leads where Last_Name = 'Web'")  # noqa: S608

    assert at_limit.json()["data"] == [{"id": prospects["web"], "Last_Name": "Web"}]
    assert coql_error(over, "LIMIT_EXCEEDED")["details"] == {"clause": "select", "limit": 50}


@pytest.mark.parametrize(
    ("version", "largest"),
    [
        ("v2", 200),
        ("v2.1", 200),
        ("v3", 200),
        ("v4", 200),
        ("v5", 200),
        ("v6", 200),
        ("v7", 2000),
        ("v8", 2000),
    ],
)
def test_coql_page_size_depends_on_the_version(emulator, zoho, prospects, version, largest):
    client = Zoho(emulator, version=version, token=zoho.token)
    query = "select Last_Name from Leads where Last_Name is not null limit {}"

    at_limit = client.post("coql", json={"select_query": query.format(largest)})
    over = client.post("coql", json={"select_query": query.format(largest + 1)})

    assert len(selected_ids(at_limit)) == 4
    assert coql_error(over, "LIMIT_EXCEEDED")["details"] == {"clause": "limit", "limit": largest}


def test_coql_answers_200_rows_without_limit(emulator, zoho):
    for n in range(201):
        add_lead(emulator, Last_Name=f"L{n:03}")

    answer = coql(zoho, "select Last_Name from Leads where Last_Name is not null")

    assert answer.json()["info"] == {"count": 200, "more_records": True}


@pytest.mark.parametrize(
    ("version", "allowed", "refused"),
    [
        ("v8", "limit 98000, 2000", "limit 98001, 2000"),
        ("v8", "limit 2000 offset 98000", "limit 2000 offset 98001"),
        ("v7", "limit 99999, 1", "limit 100000, 1"),
        ("v6", "limit 9800, 200", "limit 9801, 200"),
        ("v2", "limit 200 offset 9800", "limit 200 offset 9801"),
    ],
)
def test_coql_offset_and_limit_stay_under_the_version_ceiling(
    emulator, zoho, prospects, version, allowed, refused
):
    client = Zoho(emulator, version=version, token=zoho.token)
    query = "select Last_Name from Leads where Last_Name is not null {}"

    within = client.post("coql", json={"select_query": query.format(allowed)})
    beyond = client.post("coql", json={"select_query": query.format(refused)})

    assert within.status_code == 204
    error = coql_error(beyond, "LIMIT_EXCEEDED")
    assert error["message"] == "Max records limit exceeded"
    assert error["details"]["clause"] == "offset"


def test_coql_offset_ceiling_can_be_lowered_for_tests_and_reset(emulator, zoho, prospects):
    control = f"{emulator.url}/__emulator"
    set_ceiling = requests.post(f"{control}/faults", json={"coql_offset_ceiling": 3}, timeout=5)

    within = coql(zoho, "select Last_Name from Leads where Last_Name is not null limit 2, 1")
    beyond = coql(zoho, "select Last_Name from Leads where Last_Name is not null limit 2, 2")
    keyset = coql(
        zoho,
        f"select Last_Name from Leads where id > '{prospects['partner']}' order by id limit 3",  # noqa: S608
    )
    requests.post(f"{control}/reset", timeout=5)
    after_reset = coql(zoho, "select Last_Name from Leads where Last_Name is not null limit 2, 2")

    assert set_ceiling.status_code == 200
    assert selected_ids(within) == [prospects["late"]]
    assert coql_error(beyond, "LIMIT_EXCEEDED")["details"] == {"clause": "offset", "limit": 3}
    assert selected_ids(keyset) == [prospects["show"], prospects["late"], prospects["web"]]
    assert emulator.faults.coql_offset_ceiling is None
    assert after_reset.status_code == 204


def test_coql_reads_a_doubled_quote_as_one_quote(emulator, zoho, prospects):
    lead_id = add_lead(emulator, Last_Name="O'Brien")

    equal = coql(zoho, "select Last_Name from Leads where Last_Name = 'o''brien'")
    listed = coql(zoho, "select Last_Name from Leads where Last_Name in ('O''Brien', 'Web')")

    assert equal.json()["data"] == [{"id": lead_id, "Last_Name": "O'Brien"}]
    assert selected_ids(listed) == [prospects["web"], lead_id]


@pytest.mark.parametrize("literal", [r"'O\'Brien'", r"'a\\b'", r"'C:\temp'"])
def test_coql_refuses_any_backslash_in_a_string_literal(emulator, zoho, prospects, literal):
    add_lead(emulator, Last_Name="O'Brien")

    answer = coql(zoho, f"select Last_Name from Leads where Last_Name = {literal}")  # noqa: S608

    error = coql_error(answer, "SYNTAX_ERROR")
    assert "\\" in error["details"]["near"]


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("id > '{partner}'", ["show", "late", "web"]),
        ("id > {partner}", ["show", "late", "web"]),
        ("id >= '{show}'", ["show", "late", "web"]),
        ("id < '{show}'", ["partner"]),
        ("id > '999'", ["partner", "show", "late", "web"]),
        ("id = '{late}'", ["late"]),
        ("id in ('{late}', {web})", ["late", "web"]),
        ("id not in ('{late}')", ["partner", "show", "web"]),
        ("(Lead_Status = 'Qualified' and id > '{partner}') and id >= '{partner}'", ["show", "late"]),
    ],
)
def test_coql_compares_ids_as_numbers(zoho, prospects, where, expected):
    query = f"select Last_Name from Leads where {where.format(**prospects)} order by id asc"  # noqa: S608

    assert selected_ids(coql(zoho, query)) == [prospects[name] for name in expected]


def test_coql_refuses_an_id_that_is_not_digits(zoho, prospects):
    error = coql_error(coql(zoho, "select Last_Name from Leads where id > 'abc'"), "INVALID_QUERY")

    assert error["details"]["column_name"] == "id"


def test_coql_orders_by_id_either_way(zoho, prospects):
    ascending = coql(zoho, "select Last_Name from Leads where id is not null order by id")
    descending = coql(zoho, "select Last_Name from Leads where id is not null order by id desc")

    assert selected_ids(ascending) == list(prospects.values())
    assert selected_ids(descending) == list(reversed(prospects.values()))


def test_coql_pages_by_id_until_no_records_follow(emulator, zoho):
    lead_ids = [add_lead(emulator, Lead_Status="Qualified" if n % 3 else "Contacted") for n in range(30)]
    qualified = [lead_id for n, lead_id in enumerate(lead_ids) if n % 3]
    emulator.crm.convert(qualified[4])
    pages, cursor, more = [], "0", True

    while more:
        answer = coql(
            zoho,
            f"select Last_Name from Leads where (Lead_Status = 'Qualified' and id > '{cursor}') "  # noqa: S608
            "order by id asc limit 5",
        )
        pages.append(selected_ids(answer))
        cursor, more = pages[-1][-1], answer.json()["info"]["more_records"]

    assert [len(page) for page in pages] == [5, 5, 5, 4]
    assert [lead_id for page in pages for lead_id in page] == [q for q in qualified if q != qualified[4]]


def test_coql_offset_pages_in_id_order_agree_with_sorted_pages(emulator, zoho):
    for n in range(12):
        add_lead(emulator, Last_Name=f"L{n:02}")
    select = "select Last_Name from Leads where Last_Name is not null"

    by_id = [coql(zoho, f"{select} order by id asc limit {offset}, 5") for offset in (0, 5, 10)]
    unordered = coql(zoho, f"{select} limit 5 offset 10")
    by_name = [coql(zoho, f"{select} order by Last_Name limit {offset}, 5") for offset in (0, 5, 10)]

    assert [selected_ids(page) for page in by_id] == [selected_ids(page) for page in by_name]
    assert [page.json()["info"]["more_records"] for page in by_id] == [True, True, False]
    assert selected_ids(unordered) == selected_ids(by_id[2])


# --- values take their field's type (zoho-crm-api.md §10) ---------------------------------------


@pytest.mark.parametrize(
    ("where", "column", "expected_type"),
    [
        ("Annual_Revenue = '2500000'", "Annual_Revenue", "currency"),
        ("Annual_Revenue in ('2500000', '900000')", "Annual_Revenue", "currency"),
        ("Annual_Revenue > '1'", "Annual_Revenue", "currency"),
        ("Company = 5", "Company", "text"),  # unverified: the riskier reading refuses it
        ("Lead_Status = 5", "Lead_Status", "picklist"),
        ("Lead_Status in ('Qualified', 5)", "Lead_Status", "picklist"),
        ("Email = true", "Email", "email"),
        ("Converted__s = 'false'", "Converted__s", "boolean"),
        ("Modified_Time > 5", "Modified_Time", "datetime"),
        ("Owner = 4876876000000002001", "Owner", "ownerlookup"),
        ("Owner.id = 4876876000000002001", "Owner.id", "text"),
        ("id = true", "id", "bigint"),
    ],
)
def test_coql_refuses_a_value_of_another_type_than_its_fields(zoho, prospects, where, column, expected_type):
    answer = coql(zoho, f"select Last_Name from Leads where {where}")  # noqa: S608 (COQL)

    assert answer.status_code == 400
    assert answer.json()["code"] == "INVALID_QUERY"
    assert {"column_name": column, "expected_data_type": expected_type}.items() <= answer.json()[
        "details"
    ].items()


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("Annual_Revenue = 2000000", ["partner"]),
        ("Annual_Revenue in (900000, 2000000.0)", ["partner", "show"]),
        ("Company = 'acme'", ["partner", "show", "late", "web"]),
        ("Converted__s = false", ["partner", "show", "late", "web"]),
    ],
)
def test_coql_takes_a_value_of_its_fields_type(zoho, prospects, where, expected):
    answer = coql(zoho, f"select Last_Name from Leads where {where}")  # noqa: S608 (COQL)

    assert selected_ids(answer) == [prospects[name] for name in expected]


def test_coql_compares_a_lookup_by_id_not_by_name_and_answers_it_as_id_only(emulator, zoho):
    seller = emulator.crm.add_user("Sam Seller", "sam@example.com")
    sams = add_lead(emulator, Owner=seller)
    add_lead(emulator, Email="admin@acme.example")

    by_id = coql(zoho, f"select Owner, Last_Name from Leads where Owner = '{seller}'")  # noqa: S608
    by_name = coql(zoho, "select Owner from Leads where Owner = 'Sam Seller'")
    in_ids = coql(zoho, f"select Owner from Leads where Owner in ('{seller}', 'Sam Seller')")  # noqa: S608

    assert by_id.json()["data"] == [{"id": sams, "Owner": {"id": seller}, "Last_Name": "Doe"}]
    assert (by_name.status_code, by_name.content) == (204, b"")
    assert selected_ids(in_ids) == [sams]


@pytest.mark.parametrize(
    "query",
    [
        "select id, Tag from Leads where id is not null",
        "select id from Leads where Tag = 'VIP'",
        "select id from Leads where Tag is not null",
        "select id from Leads where Tag.name = 'VIP'",
        "select id from Leads where id is not null order by Tag",
    ],
)
def test_coql_has_no_tag_column(zoho, prospects, query):
    """Whether COQL can select or filter tags is unverified (§10): Tag is refused like an unknown column."""
    answer = coql(zoho, query)

    assert answer.status_code == 400
    assert answer.json()["code"] == "INVALID_QUERY"
    assert answer.json()["message"] == "column given seems to be invalid"
    assert answer.json()["details"]["column_name"] in ("Tag", "Tag.name")


# --- a multi-select picklist --------------------------------------------------------------------


@pytest.fixture
def interests(emulator: ZohoEmulator) -> dict[str, str]:
    return {
        "both": add_lead(emulator, Product_Interest=["CRM", "Analytics"]),
        "none": add_lead(emulator, Email="none@acme.example"),
        "empty": add_lead(emulator, Email="empty@acme.example", Product_Interest=[]),
    }


def test_coql_answers_a_multi_select_as_a_list_and_takes_null_checks_on_it(zoho, interests):
    chosen = coql(zoho, "select Product_Interest from Leads where Product_Interest is not null")
    unset = coql(zoho, "select id from Leads where Product_Interest is null")

    assert chosen.json()["data"] == [{"id": interests["both"], "Product_Interest": ["CRM", "Analytics"]}]
    assert selected_ids(unset) == [interests["none"], interests["empty"]]


@pytest.mark.parametrize(
    ("where", "operator"),
    [
        ("Product_Interest = 'CRM'", "="),
        ("Product_Interest != 'CRM'", "!="),
        ("Product_Interest in ('CRM')", "in"),
        ("Product_Interest not in ('CRM')", "not in"),
        ("Product_Interest > 'CRM'", ">"),
    ],
)
def test_coql_refuses_comparisons_on_a_multi_select(zoho, interests, where, operator):
    """Unverified which operators a multi-select takes (§10 documents picklists): only null checks."""
    answer = coql(zoho, f"select id from Leads where {where}")  # noqa: S608 (COQL)

    assert answer.status_code == 400
    assert answer.json()["code"] == "INVALID_QUERY"
    assert answer.json()["message"] == "invalid operator found"
    assert {"column_name": "Product_Interest", "operator": operator}.items() <= answer.json()[
        "details"
    ].items()


# --- numbers of any size ------------------------------------------------------------------------


def test_coql_selects_and_compares_integers_of_any_size(emulator, zoho):
    huge = add_lead(emulator, Annual_Revenue=10**400)
    vast = add_lead(emulator, Email="vast@acme.example", Annual_Revenue=10**5000)
    add_lead(emulator, Email="small@acme.example", Annual_Revenue=5)

    above = coql(zoho, f"select Annual_Revenue from Leads where Annual_Revenue > {10**399}")  # noqa: S608
    exact = coql(zoho, f"select id from Leads where Annual_Revenue = {'1' + '0' * 5000}")  # noqa: S608

    rows = json.loads(above.content, parse_int=str)["data"]
    assert [row["id"] for row in rows] == [huge, vast]
    assert rows[0]["Annual_Revenue"] == "1" + "0" * 400
    assert rows[1]["Annual_Revenue"] == "1" + "0" * 5000
    assert selected_ids(exact) == [vast]


# --- Contacts, Accounts and Deals ---------------------------------------------------------------


@pytest.fixture
def org(emulator: ZohoEmulator) -> dict[str, str]:
    """Two accounts with contacts and deals, a contact without an account, an account alone."""
    crm = emulator.crm
    acme = crm.add_account(Account_Name="Acme", Modified_Time="2026-11-20T09:00:00+00:00")
    globex = crm.add_account(Account_Name="Globex", Modified_Time="2026-11-19T09:00:00+00:00")
    initech = crm.add_account(Account_Name="Initech")
    return {
        "acme": acme,
        "globex": globex,
        "initech": initech,
        "ann": crm.add_contact(
            First_Name="Ann",
            Last_Name="Lee",
            Email="Ann@Acme.example",
            Account_Name=acme,
            Modified_Time="2026-11-20T10:00:00+00:00",
        ),
        "bob": crm.add_contact(
            Last_Name="Bo",
            Email="bob@globex.example",
            Account_Name=globex,
            Modified_Time="2026-11-20T11:00:00+00:00",
        ),
        "cy": crm.add_contact(
            Last_Name="Cy", Email="cy@nowhere.example", Modified_Time="2026-11-20T12:00:00+00:00"
        ),
        "open": add_deal(emulator, Deal_Name="Acme renewal", Account_Name=acme, Amount=5000),
        "won": add_deal(
            emulator, Deal_Name="Acme first order", Stage="Closed Won", Account_Name=acme, Amount=900
        ),
        "partner": add_deal(
            emulator,
            Deal_Name="Globex pilot",
            Pipeline="Partner Pipeline",
            Stage="Joint Proposal",
            Closing_Date="2026-06-30",
            Account_Name=globex,
        ),
    }


def test_coql_selects_contacts_by_email_case_insensitively_with_their_account_as_an_id(zoho, org):
    answer = coql(
        zoho,
        "select id, Email, Account_Name, Modified_Time from Contacts "
        "where Email in ('ann@acme.example', 'CY@nowhere.example', 'nobody@acme.example')",
    )

    assert answer.json() == {
        "data": [
            {
                "id": org["ann"],
                "Email": "Ann@Acme.example",
                "Account_Name": {"id": org["acme"]},
                "Modified_Time": "2026-11-20T10:00:00+00:00",
            },
            {
                "id": org["cy"],
                "Email": "cy@nowhere.example",
                "Account_Name": None,
                "Modified_Time": "2026-11-20T12:00:00+00:00",
            },
        ],
        "info": {"count": 2, "more_records": False},
    }


def test_coql_selects_accounts_by_name(zoho, org):
    answer = coql(
        zoho,
        "select Account_Name, Modified_Time from Accounts where Account_Name in ('acme', 'GLOBEX', 'Hooli')",
    )

    assert answer.json()["data"] == [
        {"id": org["acme"], "Account_Name": "Acme", "Modified_Time": "2026-11-20T09:00:00+00:00"},
        {"id": org["globex"], "Account_Name": "Globex", "Modified_Time": "2026-11-19T09:00:00+00:00"},
    ]


@pytest.mark.parametrize(
    "where",
    [
        "Account_Name in ('{acme}', '{globex}')",
        "Account_Name.id in ('{acme}', '{globex}')",
        "Account_Name = '{acme}' or Account_Name.id = '{globex}'",
    ],
)
def test_coql_selects_deals_by_account_id_with_stage_and_pipeline(zoho, org, where):
    query = f"select Deal_Name, Stage, Pipeline, Account_Name from Deals where {where.format(**org)}"  # noqa: S608

    answer = coql(zoho, query)

    assert answer.json()["data"] == [
        {
            "id": org["open"],
            "Deal_Name": "Acme renewal",
            "Stage": "Qualification",
            "Pipeline": "Standard (Standard)",
            "Account_Name": {"id": org["acme"]},
        },
        {
            "id": org["won"],
            "Deal_Name": "Acme first order",
            "Stage": "Closed Won",
            "Pipeline": "Standard (Standard)",
            "Account_Name": {"id": org["acme"]},
        },
        {
            "id": org["partner"],
            "Deal_Name": "Globex pilot",
            "Stage": "Joint Proposal",
            "Pipeline": "Partner Pipeline",
            "Account_Name": {"id": org["globex"]},
        },
    ]


@pytest.mark.parametrize(
    ("module", "where", "expected"),
    [
        ("Deals", "Account_Name = '{acme}' and Stage not in ('Closed Won', 'Closed Lost')", ["open"]),
        ("Deals", "Amount >= 1000", ["open"]),
        ("Deals", "Closing_Date < '2026-12-31'", ["partner"]),
        ("Deals", "Pipeline = 'partner pipeline'", ["partner"]),
        ("Deals", "Account_Name.name = 'Globex'", ["partner"]),
        ("Contacts", "Account_Name is null", ["cy"]),
        ("Contacts", "Account_Name = '{globex}'", ["bob"]),
        ("Contacts", "Full_Name = 'ann lee'", ["ann"]),
        ("Accounts", "id > '{acme}'", ["globex", "initech"]),
    ],
)
def test_coql_where_clauses_on_the_other_modules(zoho, org, module, where, expected):
    answer = coql(zoho, f"select id from {module} where {where.format(**org)}")  # noqa: S608 (COQL)

    assert selected_ids(answer) == [org[name] for name in expected]


def test_coql_compares_a_lookup_of_another_module_by_id_not_by_name(zoho, org):
    by_name = coql(zoho, "select id from Contacts where Account_Name = 'Acme'")
    bare = coql(zoho, f"select id from Contacts where Account_Name = {org['acme']}")  # noqa: S608

    assert (by_name.status_code, by_name.content) == (204, b"")
    assert coql_error(bare, "INVALID_QUERY")["details"]["expected_data_type"] == "lookup"


def test_coql_answers_no_content_when_no_contact_matches(zoho, org):
    answer = coql(zoho, "select id from Contacts where Email in ('nobody@acme.example')")

    assert (answer.status_code, answer.content) == (204, b"")


@pytest.mark.parametrize(
    ("module", "field"), [("Contacts", "Email"), ("Accounts", "Account_Name"), ("Deals", "Account_Name")]
)
def test_coql_takes_at_most_50_values_in_an_in_list_on_every_module(zoho, org, module, field):
    values = quoted([f"nobody{n}@acme.example" for n in range(51)])

    answer = coql(zoho, f"select id from {module} where {field} in ({values})")  # noqa: S608 (COQL)

    error = coql_error(answer, "LIMIT_EXCEEDED")
    assert (error["message"], error["details"]["column_name"]) == ("more than 50 values for the in", field)


@pytest.mark.parametrize(
    ("query", "column"),
    [
        ("select Company from Contacts where id is not null", "Company"),
        ("select id from Contacts where Converted__s = false", "Converted__s"),
        ("select id from Accounts where Email = 'a@acme.example'", "Email"),
        ("select Deal_Name from Leads where id is not null", "Deal_Name"),
        ("select id from Deals where Email is null", "Email"),
        ("select id, Tag from Deals where id is not null", "Tag"),
    ],
)
def test_coql_checks_columns_against_the_queried_modules_fields(zoho, org, query, column):
    error = coql_error(coql(zoho, query), "INVALID_QUERY")

    assert (error["message"], error["details"]["column_name"]) == ("column given seems to be invalid", column)


def contact_pages(zoho, condition: str) -> list[list[str]]:
    """The ids of `select Email from Contacts where (condition and id > cursor)`, two a page,
    page by page."""
    pages, cursor, more = [], "0", True
    while more:
        answer = coql(
            zoho,
            f"select Email from Contacts where ({condition} and id > '{cursor}') order by id limit 2",  # noqa: S608
        )
        pages.append(selected_ids(answer))
        cursor, more = pages[-1][-1], answer.json()["info"]["more_records"]
    return pages


def test_coql_pages_contacts_by_id(emulator, zoho):
    contact_ids = [emulator.crm.add_contact(Last_Name=f"C{n}", Email=f"c{n}@acme.example") for n in range(5)]

    pages = contact_pages(zoho, "Email is not null")

    assert pages == [contact_ids[0:2], contact_ids[2:4], contact_ids[4:]]


def test_coql_pages_contacts_chosen_by_an_in_list_of_emails_by_id(emulator, zoho):
    """Answered from the store's index of the field: the same rows, in the same id order, as a
    read of every contact gives."""
    ids = [emulator.crm.add_contact(Last_Name=f"C{n}", Email=f"c{n % 3}@acme.example") for n in range(7)]

    pages = contact_pages(zoho, "Email in ('C0@ACME.example', 'c2@acme.example', 'nobody@acme.example')")

    wanted = [contact for n, contact in enumerate(ids) if n % 3 in (0, 2)]
    assert pages == [wanted[0:2], wanted[2:4], wanted[4:]]


def test_coql_reads_the_contacts_a_conversion_created_though_it_leaves_the_lead_out(emulator, zoho):
    lead_id = add_lead(emulator)
    details = zoho.convert(lead_id).json()["data"][0]["details"]

    contacts = coql(zoho, "select Email from Contacts where Email = 'jane@acme.example'")
    accounts = coql(zoho, "select Account_Name from Accounts where Account_Name = 'Acme'")
    leads = coql(zoho, "select Email from Leads where Email = 'jane@acme.example'")

    assert selected_ids(contacts) == [details["Contacts"]["id"]]
    assert selected_ids(accounts) == [details["Accounts"]["id"]]
    assert leads.status_code == 204
