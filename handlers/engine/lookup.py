"""Existing contacts, accounts and open deals, looked up with COQL for many leads at once.

The sweep cannot read conversion options for every lead (one call each would cost more than Mass
Convert saves), so it looks a page's leads up here by the criteria Zoho's own matching uses after
unique fields: contacts by Email, accounts by name against the lead's Company, 50 values a query
(or 24: `Lookup`). A lead with a candidate is then converted singly, through the webhook's
path; the others by Mass Convert. The same lookup stands in for conversion options on API
versions that lack them.

Open deals: a deal is closed when its stage is one whose forecast type is Closed Won or Closed
Lost in the Deals pipelines (docs/zoho-api.md, "Metadata"); every other stage is open.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from handlers.engine.existing import Matches, from_records
from handlers.errors import ZohoRefused
from handlers.zoho.coql import MAX_CRITERIA, MAX_IN_VALUES, Criterion, all_of, keyset_pages, quotable, select
from handlers.zoho.lead import zoho_time

if TYPE_CHECKING:
    from handlers.zoho.client import ZohoClient

CONTACT_FIELDS = ("Full_Name", "Email", "Account_Name", "Modified_Time")
ACCOUNT_FIELDS = ("Account_Name", "Modified_Time")
DEAL_FIELDS = ("Deal_Name", "Stage", "Account_Name", "Modified_Time")
CLOSED_FORECAST_TYPES = frozenset({"Closed Won", "Closed Lost"})
# Rows a lookup query asks for: 50 values rarely match more, and a larger LIMIT may cost more
# credits (docs/zoho-api.md, "COQL"). Further rows are read page by page, MAX_PAGES at most: a
# chunk of values matching more is cut there (50 emails with 4,000 contacts is no org's data).
LOOKUP_LIMIT = 200
# When each value of an `in` counts as a criterion (Lookup): 24 values, and the page's `id >`
# criterion makes 25.
VALUES_PER_QUERY = min(MAX_IN_VALUES, MAX_CRITERIA - 1)
MAX_PAGES = 20


@dataclass(frozen=True)
class LeadKeys:
    """What a lead is looked up by: its Email and its Company, as the lead holds them."""

    email: str | None
    company: str | None

    @classmethod
    def of(cls, lead: Mapping[str, Any]) -> LeadKeys:
        return cls(_text(lead.get("Email")), _text(lead.get("Company")))


@dataclass(frozen=True)
class OpenDeal:
    id: str
    name: str | None
    stage: str | None

    def as_json(self) -> dict[str, str | None]:
        return {"id": self.id, "name": self.name, "stage": self.stage}


class Lookup:
    """Looks leads up for one instance, and remembers how many values a query may carry.

    Whether Zoho counts an `in (...)` as one of COQL's 25 criteria or as one per value is not
    documented (docs/zoho-api.md, "COQL"). The lookup first puts 50 values in a query; when Zoho
    refuses that as too many criteria, it asks again with VALUES_PER_QUERY and keeps to that
    number for the rest of the instance's life: one refused query, then the cheaper reading never
    costs a conversion.
    """

    def __init__(self, zoho: ZohoClient):
        self.zoho = zoho
        self.values_per_query = MAX_IN_VALUES

    def look_up(self, leads: Mapping[str, LeadKeys]) -> dict[str, Matches | None]:
        """Each lead's candidates (None: a value that cannot go into a query, so the lead was not
        looked up). One query per 50 distinct emails (or 24), and one per as many companies."""
        emails = {key.email for key in leads.values() if key.email and quotable(key.email)}
        companies = {key.company for key in leads.values() if key.company and quotable(key.company)}
        contacts = self._by_value("Contacts", "Email", CONTACT_FIELDS, emails)
        accounts = self._by_value("Accounts", "Account_Name", ACCOUNT_FIELDS, companies)
        found: dict[str, Matches | None] = {}
        for lead_id, key in leads.items():
            if any(value and not quotable(value) for value in (key.email, key.company)):
                found[lead_id] = None
                continue
            found[lead_id] = Matches(
                from_records("Contacts", contacts.get(_fold(key.email), []), "Email"),
                from_records("Accounts", accounts.get(_fold(key.company), []), "Account_Name"),
            )
        return found

    def _by_value(
        self,
        module: Literal["Contacts", "Accounts"],
        field: str,
        columns: tuple[str, ...],
        values: Iterable[str],
    ) -> dict[str, list[dict[str, Any]]]:
        """The module's records whose `field` is one of `values`, by the value folded for comparing."""
        left = sorted(values)
        found: dict[str, list[dict[str, Any]]] = {}
        while left:
            size = self.values_per_query
            criterion = Criterion(field, "in", tuple(left[:size]))
            try:
                rows = list(query_rows(self.zoho, module, columns, criterion, size > VALUES_PER_QUERY))
            except ZohoRefused as refusal:
                if refusal.code != "LIMIT_EXCEEDED" or size <= VALUES_PER_QUERY:
                    raise
                self.values_per_query = VALUES_PER_QUERY
                continue
            for row in rows:
                found.setdefault(_fold(_text(row.get(field))), []).append(row)
            left = left[size:]
        return found


def modified_times(zoho: ZohoClient, module: str, ids: list[str]) -> dict[str, dt.datetime | None]:
    """The Modified_Time of records by id (for `when_ambiguous: newest`), one query."""
    rows = query_rows(zoho, module, ("Modified_Time",), Criterion("id", "in", tuple(ids[:VALUES_PER_QUERY])))
    return {str(row["id"]): zoho_time(row.get("Modified_Time")) for row in rows}


def open_deal(zoho: ZohoClient, account_id: str, closed: frozenset[str]) -> OpenDeal | None:
    """An open deal of the account (the most recently modified), or None."""
    rows = query_rows(zoho, "Deals", DEAL_FIELDS, Criterion("Account_Name", "=", (account_id,)))
    open_rows = [row for row in rows if str(row.get("Stage")) not in closed]
    if not open_rows:
        return None
    oldest = dt.datetime.min.replace(tzinfo=dt.UTC)
    newest = max(open_rows, key=lambda row: (zoho_time(row.get("Modified_Time")) or oldest, int(row["id"])))
    name, stage = newest.get("Deal_Name"), newest.get("Stage")
    return OpenDeal(str(newest["id"]), str(name) if name else None, str(stage) if stage else None)


def closed_stages(zoho: ZohoClient) -> frozenset[str] | None:
    """Every name (display and actual) of the stages that close a deal, over the Deals layouts'
    pipelines; None when the org has no pipeline to tell (the stages are then unknown)."""
    layouts = zoho.read_metadata("/settings/layouts", {"module": "Deals"})
    closed: set[str] = set()
    told = False
    for layout in (layouts or {}).get("layouts") or []:
        if not isinstance(layout, dict) or not layout.get("id"):
            continue
        body = zoho.read_metadata("/settings/pipeline", {"layout_id": str(layout["id"])})
        for pipeline in (body or {}).get("pipeline") or []:
            for stage in pipeline.get("maps") or [] if isinstance(pipeline, dict) else []:
                if not isinstance(stage, dict):
                    continue
                told = True
                if stage.get("forecast_type") in CLOSED_FORECAST_TYPES:
                    names = (stage.get("display_value"), stage.get("actual_value"))
                    closed.update(str(name) for name in names if name)
    return frozenset(closed) if told else None


def query_rows(
    zoho: ZohoClient,
    module: str,
    columns: tuple[str, ...],
    criterion: Criterion,
    in_counts_once: bool = False,
) -> Iterator[dict[str, Any]]:
    """Every row of the query, page by page in id order (MAX_PAGES at most)."""

    def read(after: str | None) -> tuple[list[dict[str, Any]], bool]:
        where = all_of(criterion, Criterion("id", ">", (after,)) if after else None)
        assert where is not None
        text = select(
            columns, where, order_by="id", limit=LOOKUP_LIMIT, module=module, in_counts_once=in_counts_once
        )
        return zoho.query(text)

    for page in itertools.islice(keyset_pages(read), MAX_PAGES):
        yield from page


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _fold(value: str | None) -> str:
    return value.casefold() if value else ""
