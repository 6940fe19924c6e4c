"""The log line (handlers/platform/log.py): the release that wrote it, one valid JSON line, bounded."""

from __future__ import annotations

import io
import json
from importlib import metadata

from handlers.platform.log import MAX_LINE_CHARS, logs_to, write
from tests.conftest import WEBHOOK_SECRET, Written


def test_every_log_line_names_the_release_that_wrote_it(client, emulator, log_lines):
    client.post("/", json={"lead_id": "4876876000000999999"}, headers={"X-Webhook-Secret": WEBHOOK_SECRET})
    client.post("/", json={"lead_id": "4876876000000999999"}, headers={"X-Webhook-Secret": "wrong" * 4})

    lines = log_lines()

    assert [line["outcome"] for line in lines] == ["not_found", "rejected"]
    assert {line["version"] for line in lines} == {metadata.version("zoho-lead-converter")}


def test_a_line_separator_or_a_lone_surrogate_in_a_lead_keeps_one_valid_json_line(client, emulator, capsys):
    lead = emulator.crm.add_lead(
        Last_Name="Odd", Company="Acme\u2028Corp\u2029\ud800", Lead_Status="Qualified", Lead_Source="Web"
    )

    response = client.post(
        "/", json={"lead_id": lead, "dry_run": True}, headers={"X-Webhook-Secret": WEBHOOK_SECRET}
    )

    assert response.status_code == 200
    out = capsys.readouterr().out
    Written.text.append(out)
    (line,) = out.splitlines()  # splitlines() also splits on U+2028 and U+2029
    assert json.loads(line)["outcome"] == "dry_run"  # the log line names the payload's fields only
    assert response.get_json()["payload"]["data"][0]["Deals"]["Deal_Name"] == "Acme\u2028Corp\u2029\ud800"
    stream = io.StringIO()
    with logs_to(stream):
        write("INFO", "odd", {"value": "Acme\u2028Corp\u2029\ud800"})
    (written,) = stream.getvalue().splitlines()
    assert json.loads(written)["value"] == "Acme\u2028Corp\u2029\ud800"


def test_a_line_past_the_limit_keeps_its_small_fields_and_names_the_dropped_ones():
    """Cloud Logging refuses an entry past 256 KB; a line that would be longer loses its largest
    fields, never the whole entry."""
    stream = io.StringIO()
    with logs_to(stream):
        write("ERROR", "m" * 5000, {"outcome": "failed", "lead_id": "1", "huge": ["x" * 1000] * 300})
    line = stream.getvalue()

    assert len(line) < MAX_LINE_CHARS
    entry = json.loads(line)
    assert entry["outcome"] == "failed"
    assert entry["severity"] == "ERROR"
    assert len(entry["message"]) == 1000
    assert entry["truncated"]["dropped"] == ["huge"]
    assert entry["truncated"]["chars"] > 300_000
