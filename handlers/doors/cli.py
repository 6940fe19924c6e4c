"""Running the function by hand: `zoho-lead-converter check-rules | explain | convert | reconcile |
backtest`, and setting up the Zoho side: `connect | verify | disconnect`.

It uses the same settings (environment variables), rules file and engine as the deployed function.
`python -m handlers` is the same command without the installed script.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import json
import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from handlers import __version__, redaction
from handlers.checks import rules_check
from handlers.doors.webhook import LEAD_ID
from handlers.engine import outcome
from handlers.engine.contact_roles import named_role
from handlers.engine.existing import Held
from handlers.engine.plan import plan_lead
from handlers.engine.rules import Distribute, LeadOwner, RelativeDate, Rule, RuleSet, load_rules
from handlers.engine.templates import JsonObject, Template
from handlers.errors import DeadlineExceeded, Misconfigured, Rejected, RulesError, ZohoError, ZohoRefused
from handlers.platform import deadline, log
from handlers.platform.api_version import ApiVersion
from handlers.platform.settings import DEFAULT_WEBHOOK_NAME, RULES_FILE, Settings
from handlers.platform.settings import WEBHOOK_NAME as SETUP_NAME
from handlers.runtime import Runtime
from handlers.sweep.options import parse_limit, parse_since, sweep_options
from handlers.sweep.query import Window, queries_for
from handlers.sweep.run import PlannedLead, SweepSummary

if TYPE_CHECKING:
    from handlers.checks.preflight import Problem
    from handlers.setup.connection import Connection
    from handlers.zoho.metadata import OrgMetadata

DEFAULT_RULES = Path(__file__).resolve().parents[2] / "rules.yaml"
DEFAULT_NAME_PREFIX = "zoho-lead"  # Terraform's default name_prefix
PROG = "zoho-lead-converter"
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: what a shell reports for a writer whose reader went away
# check-rules --org's deadline: its dozen calls take seconds; this leaves room for a few retried
# ones (ZOHO_RETRY_SECONDS, 20 s each) and fifty pages of users, and still ends a stuck CI job.
ORG_CHECK_SECONDS = 120.0


def main(argv: Sequence[str] | None = None) -> int:
    """The command's exit status. Everything it prints is scrubbed of every secret it knows, as the
    function's answers and log lines are; its log lines go to stderr. Output into a pipe its reader
    closed early (`| head -1`) ends the command quietly with status 141, as SIGPIPE would, instead
    of a traceback. SIGPIPE itself stays ignored, as Python sets it: a Zoho connection that breaks
    must be an error, not a kill.
    """
    try:
        with redaction.scrubbed_output(), log.logs_to(sys.stderr):
            try:
                return _run(argv)
            finally:
                sys.stdout.flush()  # inside the try: buffered output meets a closed pipe here
    except BrokenPipeError:
        # Whatever is still buffered goes nowhere, so the flush at exit cannot fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE


def _run(argv: Sequence[str] | None) -> int:
    args = _parser().parse_args(argv)
    try:
        return int(args.command(args))
    except RulesError as error:
        for problem in error.problems:
            print(f"error: {problem}", file=sys.stderr)
        return 1
    except Rejected as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        raise
    except Exception as error:  # one line naming what happened, never a traceback
        failed = outcome.from_error(error, getattr(args, "lead_id", None))
        print(f"{failed.kind.value}: {failed.reason}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__)
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    parser.add_argument(
        "--project",
        metavar="PROJECT_ID",
        help="use the credentials deployed by Terraform in this Google Cloud project (Secret Manager,"
        " with your gcloud application-default login) instead of local ZOHO_* variables",
    )
    parser.add_argument(
        "--name-prefix",
        default=DEFAULT_NAME_PREFIX,
        metavar="PREFIX",
        help=f"with --project: Terraform's name_prefix (default {DEFAULT_NAME_PREFIX})",
    )
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    check = commands.add_parser(
        "check-rules",
        help="validate a rules file and print it as understood (errors exit 1; warnings 0, 1 with --strict)",
    )
    check.add_argument("file", nargs="?", type=Path, help="rules file (default: RULES_FILE or rules.yaml)")
    check.add_argument("--strict", action="store_true", help="treat warnings as errors")
    check.add_argument(
        "--org",
        action="store_true",
        help="also hold the rules against the live org's metadata (fields, picklists, pipelines, users,"
        " tags, scopes) with the configured credentials; any problem exits 1",
    )
    check.add_argument("--json", action="store_true", help="with --org: print the result as JSON")
    check.add_argument(
        "--max-seconds",
        type=_seconds,
        default=ORG_CHECK_SECONDS,
        metavar="SECONDS",
        help=f"with --org: the deadline of the whole check (default {ORG_CHECK_SECONDS:g}); a Zoho that"
        " has not answered by then ends it with an error (exit 1)",
    )
    check.set_defaults(command=check_rules)

    explain_ = commands.add_parser("explain", help="show which rule a lead matches, why, and the payload")
    explain_.add_argument("lead_id", type=_lead_id)
    _rules_option(explain_)
    explain_.set_defaults(command=explain)

    convert_ = commands.add_parser("convert", help="convert a lead exactly as the webhook would")
    convert_.add_argument("lead_id", type=_lead_id)
    convert_.add_argument("--dry-run", action="store_true", help="build the payload but do not convert")
    _rules_option(convert_)
    convert_.set_defaults(command=convert)

    reconcile_ = commands.add_parser("reconcile", help="convert every qualifying lead still unconverted")
    reconcile_.add_argument("--dry-run", action="store_true", help="list the leads it would convert, and how")
    reconcile_.add_argument(
        "--retry-failed",
        action="store_true",
        help="try the leads that failed before now, without waiting for their backoff (1 h, 4 h, then daily)",
    )
    reconcile_.add_argument("--limit", type=int, help="convert at most this many leads")
    reconcile_.add_argument(
        "--since",
        help="only leads modified at or after this ISO 8601 time (default: RECONCILE_SINCE);"
        " an older time converts a backlog",
    )
    reconcile_.add_argument(
        "--csv", type=Path, help="with --dry-run: write every planned lead to this CSV file"
    )
    reconcile_.set_defaults(command=reconcile)

    backtest_ = commands.add_parser(
        "backtest",
        help="decide the leads modified lately with a rules file, and list what changes from another;"
        " nothing is converted",
    )
    backtest_.add_argument(
        "file", nargs="?", type=Path, help="rules file (default: RULES_FILE or rules.yaml)"
    )
    backtest_.add_argument(
        "--against",
        type=Path,
        metavar="OLD_FILE",
        help="list every lead whose decision differs under this file",
    )
    backtest_.add_argument(
        "--since",
        type=_since,
        default=DEFAULT_BACKTEST_DAYS,
        metavar="TIME_OR_DAYS",
        help="leads modified at or after this ISO 8601 time, or this many days ago"
        f" (default {DEFAULT_BACKTEST_DAYS:g})",
    )
    backtest_.add_argument("--limit", type=_leads, help="decide at most this many leads")
    shown = backtest_.add_mutually_exclusive_group()
    shown.add_argument("--json", action="store_true", help="print the result as JSON")
    shown.add_argument(
        "--csv", type=Path, metavar="PATH", help="also write every lead decided to this CSV file"
    )
    backtest_.add_argument(
        "--fail-on-change",
        action="store_true",
        help="with --against: exit 1 when any lead's decision changes (for CI)",
    )
    backtest_.set_defaults(command=backtest)

    connect_ = commands.add_parser(
        "connect",
        help="plan (or with --apply make) the Zoho webhook and workflow rule that call the function",
    )
    connect_.add_argument(
        "--url",
        required=True,
        type=_webhook_url,
        help="the function's URL (terraform output -raw webhook_url)",
    )
    connect_.add_argument("--apply", action="store_true", help="make the changes the plan lists")
    _setup_options(connect_)
    connect_.set_defaults(command=connect)

    verify_ = commands.add_parser(
        "verify",
        help="check the Zoho webhook and workflow rule against what connect makes; list failed deliveries",
    )
    verify_.add_argument("--url", required=True, type=_webhook_url, help="the function's URL")
    verify_.add_argument("--json", action="store_true", help="print the result as JSON")
    _setup_options(verify_)
    verify_.set_defaults(command=verify)

    disconnect_ = commands.add_parser(
        "disconnect",
        help="plan (or with --apply make) the removal of the workflow rule, then the webhook, from Zoho",
    )
    disconnect_.add_argument("--apply", action="store_true", help="delete them")
    _setup_options(disconnect_, rules=False)
    disconnect_.set_defaults(command=disconnect)
    return parser


def check_rules(args: argparse.Namespace) -> int:
    if args.org:
        return check_rules_against_org(args)
    rules = load_rules(args.file) if args.file else _runtime(args).rules
    print(f"{rules.source}: {len(rules.rules)} rules, valid")
    for number, rule in enumerate(rules.rules, start=1):
        print(f"\n{number}. {rule.name}")
        for line in describe_rule(rule):
            print(f"   {line}")
    version = ApiVersion(Settings.from_env().api_version)
    print(f"\nWith ZOHO_API_VERSION {version.name}:")
    for line in describe_version_use(rules, version):
        print(f"   {line}")
    findings = rules_check.check(rules)
    if findings:
        print()
    for finding in findings:
        print(finding)
    warnings = sum(1 for finding in findings if finding.level == "warning")
    print(f"\n{len(rules.rules)} rules, {warnings} warning{'s' if warnings != 1 else ''}")
    return 1 if args.strict and warnings else 0


def check_rules_against_org(args: argparse.Namespace) -> int:
    """One line per finding of the file itself (as check-rules without --org prints them), per
    problem or warning of the org, and a summary line (or JSON); exit 1 when there is any problem,
    with --strict also on any warning (the file's or the org's), or when Zoho has not answered
    within --max-seconds (one line on stderr saying so)."""
    try:
        with deadline.within(args.max_seconds):
            rules, org, problems = _org_problems(args)
    except DeadlineExceeded:
        print(
            f"error: check-rules --org did not finish within its deadline of {args.max_seconds:g} s"
            " (--max-seconds): Zoho answered too slowly or not at all; nothing was checked",
            file=sys.stderr,
        )
        return 1
    plan = queries_for(rules, org.lead_fields)
    offline = [finding for finding in rules_check.check(rules, org.lead_fields) if finding.level == "warning"]
    if args.json:
        print(
            json.dumps(
                {
                    "source": rules.source,
                    "api_domain": org.api_domain,
                    "problems": [problem.as_dict() for problem in problems],
                    "warnings": [str(finding) for finding in offline],
                    "sweep": {"queries": len(plan.queries), "notes": list(plan.notes)},
                    "token_user": asdict(org.token_user) if org.token_user else None,
                    "calls": org.calls,
                    "credits": org.credits,
                },
                indent=2,
            )
        )
    else:
        for finding in offline:
            print(finding)
        for problem in problems:
            print(problem)
        if org.token_user is not None:
            print(f"note: {rules.source}: the calls run as {org.token_user.describe()}")
        queries = "1 COQL query" if len(plan.queries) == 1 else f"{len(plan.queries)} COQL queries"
        print(f"note: {rules.source}: the sweep reads qualifying leads with {queries} per run")
        for note in plan.notes:
            print(f"note: {rules.source}: the sweep: {note}")
        print(
            f"{rules.source}: {len(rules.rules)} rules against the org at {org.api_domain}:"
            f" {_verdict(problems, len(offline))}; {org.calls} API calls, {org.credits} API credits"
        )
    if any(problem.level == "problem" for problem in problems):
        return 1
    return 1 if args.strict and (offline or problems) else 0


def _verdict(found: list[Problem], offline_warnings: int = 0) -> str:
    """`3 problems (2 rules affected), 1 warning`, or `no problem`."""
    problems = [problem for problem in found if problem.level == "problem"]
    warnings = len(found) - len(problems) + offline_warnings
    affected = len({problem.rule for problem in problems if problem.rule is not None})
    verdict = (
        f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        f" ({affected} rule{'s' if affected != 1 else ''} affected)"
        if problems
        else "no problem"
    )
    return verdict + (f", {warnings} warning{'s' if warnings != 1 else ''}" if warnings else "")


def _org_problems(args: argparse.Namespace) -> tuple[RuleSet, OrgMetadata, list[Problem]]:
    """The rules, the org as read, and the preflight's problems (the parts of the org that could
    not be read completely first: the users past their page limit)."""
    from handlers.checks.preflight import check_against_org
    from handlers.zoho.metadata import read_org

    runtime = _runtime(args)
    rules = load_rules(args.file) if args.file else runtime.rules
    roles = any(named_role(rule) is not None for rule in rules.rules)
    org = read_org(runtime.converter().zoho, probe_scopes=True, contact_roles=roles)
    return rules, org, check_against_org(rules, org, runtime.settings().trusted_api_domains)


def describe_version_use(rules: RuleSet, version: ApiVersion) -> list[str]:
    """What the rules get from the configured API version, and how the sweep will query."""
    lines = []
    for rule in rules.rules:
        if rule.existing_records == "link" and not version.conversion_options:
            lines.append(
                f"warning: rule {rule.name!r}: existing_records: link {version.needs('conversion_options')};"
                " a duplicate fails instead of linking"
            )
        if rule.existing_records == "match" and not rule.skip and not version.conversion_options:
            lines.append(
                f"note: rule {rule.name!r}: conversion options {version.needs('conversion_options')}:"
                " existing records are looked up with COQL by Email and Company, without unique fields"
            )
    for rule in rules.rules:
        if rule.portal_user_type is not None and not version.mass_convert:
            lines.append(
                f"warning: rule {rule.name!r}: portal_user_type: Mass Convert"
                f" {version.needs('mass_convert')}, and only Mass Convert takes a portal user type:"
                " its leads are never converted"
            )
        if named_role(rule) is not None and version.number < 5:
            lines.append(
                f"warning: rule {rule.name!r}: deal.Contact_Role needs v5 or later: its leads are"
                " not converted (failed) until ZOHO_API_VERSION is v5 or later"
            )
    if not version.mass_convert:
        lines.append(
            f"note: Mass Convert {version.needs('mass_convert')}: the sweep converts one lead per call"
        )
    lines.append(
        f"the sweep reads qualifying leads with COQL, {version.coql_page_size} leads per page; which"
        " conditions its queries carry depends on the org's field types (check-rules --org shows them)"
    )
    return lines


def explain(args: argparse.Namespace) -> int:
    runtime = _runtime(args)
    converter = runtime.converter()
    lead = converter.zoho.get_lead(args.lead_id)
    if lead is None:
        print(f"Zoho has no lead {args.lead_id}")
        return 1
    print(f"Lead {args.lead_id}: {lead.get('Full_Name') or lead.get('Last_Name')} ({lead.get('Company')})")
    plan = plan_lead(runtime.rules, args.lead_id, lead, converter.clock(), legacy=converter.zoho.legacy)
    if plan.decision is None:
        print("It is already converted: a webhook would answer already_converted.")
        return 0
    for evaluation in plan.decision.evaluations:
        verdict = "MATCHES" if evaluation.matches else "does not match"
        print(f"\nrule {evaluation.rule.name!r} {verdict}")
        for check in evaluation.checks:
            print(f"   {'✓' if check.holds else '✗'} {check.describe()}")
    if plan.request is None:
        print(f"\nThe webhook would answer skipped: {plan.reason}.")
        return 0
    try:
        target = converter.target(args.lead_id, plan)
    except ZohoError as error:
        print(f"\nThe existing records could not be read: {redaction.redact(str(error))}")
        return 1
    if isinstance(target, Held):
        print(f"\nThe webhook would answer held: {target.reason}. The candidates:")
        for match in target.candidates:
            print(f"   {match.describe()}")
        return 0
    for module, match in target.matched.items():
        print(f"\nConverts into the existing {module} record {match['id']} (matched on {match['field']})")
    if target.open_deal is not None:
        print(f"No new deal: the account has the open deal {target.open_deal.as_json()}")
    for warning in target.warnings:
        print(f"warning: {warning}")
    version = converter.zoho.version.name
    print(f"\nConvert body (POST /crm/{version}/Leads/{args.lead_id}/actions/convert):")
    print(json.dumps(target.request.body, indent=2))
    if plan.request.missing_fields:
        print(
            f"Placeholders with no value on the lead (sent empty): {', '.join(plan.request.missing_fields)}"
        )
    return 0


def convert(args: argparse.Namespace) -> int:
    runtime = _runtime(args)
    dry_run = args.dry_run or runtime.settings().dry_run
    converter = runtime.converter()
    with converter.zoho.counting_calls() as calls:
        result = converter.convert(args.lead_id, dry_run=dry_run)
    print(json.dumps({**result.response(), "zoho_requests": calls.count}, indent=2))
    return 0 if result.status < 400 else 1


def reconcile(args: argparse.Namespace) -> int:
    """The summary as JSON on stdout; progress and a dry run's plan as text on stderr."""
    runtime = _runtime(args)
    options = sweep_options(
        runtime.settings(),
        dry_run=args.dry_run,
        limit=args.limit,
        since=args.since,
        retry_failed=args.retry_failed,
    )
    progress = ProgressBar(sys.stderr)
    summary = runtime.sweep(options, progress.update)
    progress.close()
    if summary.dry_run:
        print(plan_table(summary.plan), file=sys.stderr)
        if args.csv:
            write_plan_csv(args.csv, summary.plan)
            print(f"wrote {len(summary.plan)} planned leads to {args.csv}", file=sys.stderr)
    print(json.dumps(summary.as_dict(), indent=2))
    return 1 if summary.failed or summary.stopped_by == "error" else 0


def backtest(args: argparse.Namespace) -> int:
    """The report (or JSON) on stdout, progress on stderr. Exit 1 with --fail-on-change when a
    decision changes; 2 when a read failed, so that part of the window was not decided."""
    from handlers.checks.backtest import BacktestRun
    from handlers.doors.backtest_report import report, write_csv

    if args.fail_on_change and args.against is None:
        raise Rejected("bad_request", "--fail-on-change compares with --against OLD_FILE: name the file")
    runtime = _runtime(args)
    rules = load_rules(args.file) if args.file else runtime.rules
    against = load_rules(args.against) if args.against else None
    converter = runtime.converter()
    now = converter.clock()
    since = now - dt.timedelta(days=args.since) if isinstance(args.since, float) else args.since
    # Up to now included: Zoho writes times in whole seconds, so this second's edits are in.
    until = now.replace(microsecond=0) + dt.timedelta(seconds=1)
    progress = ProgressBar(sys.stderr)
    run = BacktestRun(
        converter.zoho,
        converter.lookup,
        rules,
        against,
        Window(since, until),
        limit=args.limit,
        progress=lambda result: progress.show(
            len(result.leads), 0, f"{len(result.leads)} leads decided, {result.calls} API calls"
        ),
    )
    result = run.run()
    progress.close()
    print(json.dumps(result.as_json(), indent=2) if args.json else report(result))
    if args.csv:
        write_csv(args.csv, result)
        print(f"wrote {len(result.leads)} leads to {args.csv}", file=sys.stderr)
    if result.incomplete:
        print(f"error: the backtest is incomplete: {'; '.join(result.incomplete)}", file=sys.stderr)
        return 2
    return 1 if args.fail_on_change and result.changes else 0


def connect(args: argparse.Namespace) -> int:
    """The plan, one line per change (`create …`, `update …`, `delete …`), or that nothing is to
    do; with --apply the changes are made, so a second run does nothing."""
    runtime, connection = _connection(args)
    with _setup_refusals():
        result = connection.connect(args.url, _webhook_secret(runtime), apply=args.apply)
    for note in result.notes:
        print(f"warning: {note}")
    for change in result.changes:
        print(change.line())
    if not result.changes:
        print(f"nothing to do: the webhook and workflow rule {connection.name!r} are as connect makes them")
    elif args.apply:
        print(f"applied {len(result.changes)} change{'s' if len(result.changes) != 1 else ''}")
    else:
        print("nothing was changed: run again with --apply to make these changes")
    return 0


def verify(args: argparse.Namespace) -> int:
    """Exit 0 when the webhook and rule are as connect makes them, active, and Zoho failed no
    delivery in the last day; 1 listing each difference and failure otherwise."""
    runtime, connection = _connection(args)
    with _setup_refusals():
        result = connection.verify(args.url, _webhook_secret(runtime), runtime.clock().date())
    if args.json:
        print(json.dumps(result.as_json(), indent=2))
        return 0 if result.as_json()["ok"] and not result.failures else 1
    for note in result.notes:
        print(f"warning: {note}")
    for change in result.changes:
        print(change.difference())
    for failure in result.failures:
        print(f"failed delivery: lead {failure.lead_id} at {failure.time}: {failure.reason}")
    if result.failures:
        earliest = min((failure.time or "" for failure in result.failures), default="")
        print(
            "replay them: zoho-lead-converter convert LEAD_ID for each lead, or a sweep of that"
            f" time: zoho-lead-converter reconcile --since {earliest}"
        )
    if result.changes:
        print("connect --apply makes them as they should be")
    if result.changes or result.failures:
        return 1
    print(f"ok: the webhook and workflow rule {connection.name!r} are as connect makes them, and active")
    return 0


def disconnect(args: argparse.Namespace) -> int:
    _, connection = _connection(args)
    with _setup_refusals():
        result = connection.disconnect(apply=args.apply)
    for change in result.changes:
        print(change.line())
    if not result.changes:
        print(f"nothing to do: the org has no webhook or workflow rule named {connection.name!r}")
    elif not args.apply:
        print("nothing was changed: run again with --apply to delete them")
    return 0


def _connection(args: argparse.Namespace) -> tuple[Runtime, Connection]:
    from handlers.setup.connection import Connection

    runtime = _runtime(args)
    name = args.name or runtime.settings().webhook_name
    return runtime, Connection(runtime.setup_client(), runtime.rules, name)


@contextlib.contextmanager
def _setup_refusals() -> Iterator[None]:
    """A refusal of the token or its user's profile, told with where the setup token comes from."""
    try:
        yield
    except ZohoRefused as refused:
        if not refused.about_setup:
            raise
        raise Misconfigured(
            f"{refused.reason}. The setup commands use ZOHO_SETUP_REFRESH_TOKEN when it is set (an admin's"
            ' token with the setup scopes and the Manage Workflow permission; README, "Connect Zoho to the'
            " function\"), else the function's own refresh token"
        ) from None


def _webhook_secret(runtime: Runtime) -> str:
    """The secret Zoho is to send: the first of those accepted (the new one, during a rotation)."""
    return runtime.credentials().webhook_secrets()[0]


PLAN_TABLE_ROWS = 50


def plan_table(plan: list[PlannedLead], rows: int = PLAN_TABLE_ROWS) -> str:
    """The leads a dry run would convert, as an aligned table (the first `rows`, then a count)."""
    if not plan:
        return "No lead would be converted."
    lines = [("lead id", "rule", "how", "job")]
    lines += [(entry.lead_id, entry.rule, entry.how, str(entry.job or "")) for entry in plan[:rows]]
    widths = [max(len(line[column]) for line in lines) for column in range(4)]
    text = [
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in lines
    ]
    if len(plan) > rows:
        text.append(f"... and {len(plan) - rows} more ({len(plan)} in all; --csv FILE writes every one)")
    return "\n".join(text)


def write_plan_csv(path: Path, plan: list[PlannedLead]) -> None:
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["lead_id", "rule", "how", "job"])
        writer.writerows([entry.lead_id, entry.rule, entry.how, entry.job or ""] for entry in plan)


class ProgressBar:
    """A bar redrawn in place on a terminal; plain lines (at most one per 10 %) otherwise."""

    WIDTH = 30

    def __init__(self, stream: Any):
        self.stream = stream
        self.terminal = stream.isatty()
        self.last_total = 0
        self.last_tenth = -1

    def update(self, summary: SweepSummary, done: int) -> None:
        """`done` of the `summary.matched` leads found so far (more appear as pages are read)."""
        total = max(summary.matched, done)
        self.show(
            done, total, f"{done}/{total} leads, {summary.converted} converted, {len(summary.failed)} failed"
        )

    def show(self, done: int, total: int, text: str) -> None:
        """`done` of `total` (0: not known, the bar stays empty), and the text beside the bar."""
        fraction = done / total if total else 0.0
        if self.terminal:
            filled = round(fraction * self.WIDTH)
            self.stream.write(f"\r[{'#' * filled}{'.' * (self.WIDTH - filled)}] {text}")
        elif total:
            if total != self.last_total:
                self.last_total, self.last_tenth = total, -1
            if int(fraction * 10) > self.last_tenth:
                self.last_tenth = int(fraction * 10)
                self.stream.write(text + "\n")
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.terminal:
            self.stream.write("\n")


def describe_rule(rule: Rule) -> list[str]:
    lines = ["when " + " and ".join(condition.describe() for condition in rule.when)]
    if rule.skip:
        return [*lines, "skip: never converted"]
    if rule.deal is None:
        lines.append("deal: none (contact and account only)")
    else:
        fields = {name: _shown(value) for name, value in rule.deal.fields}
        fields["Closing_Date"] = _shown(rule.deal.closing_date)
        lines.append("deal: " + ", ".join(f"{name}={value}" for name, value in fields.items()))
        if rule.deal.unless_open_deal:
            lines.append("no deal when the matched account already has an open one")
    lines.append(f"owner: {_owner(rule)}")
    if rule.carry_over_tags:
        tags = (f"{module}: {_shown(names)}" for module, names in rule.carry_over_tags)
        lines.append("tags carried over: " + "; ".join(tags))
    if rule.move_attachments_to:
        lines.append(f"attachments move to {rule.move_attachments_to}")
    if rule.reassign_activities:
        lines.append(f"the lead's {', '.join(rule.reassign_activities)} go to the new owner")
    if rule.portal_user_type is not None:
        lines.append(
            f"portal user type {rule.portal_user_type[1]} ({rule.portal_user_type[0]}): converted by"
            " the sweep's Mass Convert only (a webhook answers deferred)"
        )
    lines.append(
        f"notify lead owner: {rule.notify_lead_owner}, notify new owner: {rule.notify_new_entity_owner},"
        f" overwrite: {rule.overwrite}, time zone: {rule.timezone}, existing records: {_existing(rule)}"
    )
    return lines


def _existing(rule: Rule) -> str:
    if rule.existing_records == "match":
        return f"match (when several match: {rule.when_ambiguous})"
    return rule.existing_records


def _owner(rule: Rule) -> str:
    owner = rule.assign_to
    if isinstance(owner, LeadOwner):
        return "the lead's owner"
    if isinstance(owner, Distribute):
        return "distributed by lead id over " + ", ".join(f"{user} (weight {w})" for user, w in owner.weights)
    return f"user {owner.id}"


def _shown(value: Any) -> str:
    if isinstance(value, Template):
        return "".join(part if isinstance(part, str) else "{" + part.field + "}" for part in value.parts)
    if isinstance(value, RelativeDate):
        return f"+{value.days}d"
    if isinstance(value, JsonObject):
        return "{" + ", ".join(f"{key}: {_shown(item)}" for key, item in value.items) + "}"
    if isinstance(value, tuple):
        return ", ".join(_shown(item) for item in value)
    return str(value)


def _rules_option(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--rules",
        type=Path,
        metavar="FILE",
        help="decide with this rules file instead of RULES_FILE (both relative to the current folder)",
    )


def _setup_options(command: argparse.ArgumentParser, *, rules: bool = True) -> None:
    command.add_argument(
        "--name",
        type=_setup_name,
        help="the webhook's and the workflow rule's name in Zoho (default: ZOHO_WEBHOOK_NAME, or"
        f" {DEFAULT_WEBHOOK_NAME}, the name whose failed deliveries the sweep reports)",
    )
    if rules:
        _rules_option(command)


def _runtime(args: argparse.Namespace) -> Runtime:
    """The function's runtime, its access token kept between runs (handlers.zoho.token_stores)."""
    from handlers.zoho.token_stores import default_directory

    env = dict(os.environ)
    if args.project:
        env = deployed_env(env, args.project, args.name_prefix)
    if getattr(args, "rules", None) is not None:
        env[RULES_FILE] = str(args.rules)
    # A relative RULES_FILE is found from the current folder, as FILE arguments are.
    return Runtime.start(DEFAULT_RULES, env, token_directory=default_directory(env), relative_to=Path())


# With --project the credentials, the token cache and the servers the credentials are sent to
# are the deployment's alone; these, set locally, would replace or join them (a shell still set
# up for the emulator, or for another org). The endpoints pass only while SECRET_MANAGER_ENDPOINT
# points at a local Secret Manager too (the tests' fake): then the whole "project" is local.
NOT_WITH_PROJECT = (
    "ZOHO_CLIENT_ID",
    "ZOHO_CLIENT_SECRET",
    "ZOHO_REFRESH_TOKEN",
    "ZOHO_CLIENT_ID_SECRET",
    "ZOHO_CLIENT_SECRET_SECRET",
    "ZOHO_REFRESH_TOKEN_SECRET",
    "ZOHO_ACCESS_TOKEN_SECRET",
    "WEBHOOK_SECRET",
    "WEBHOOK_SECRET_SECRET",
)
ENDPOINTS_NOT_WITH_PROJECT = ("ZOHO_ACCOUNTS_URL", "ZOHO_API_DOMAIN")


def deployed_env(env: dict[str, str], project: str, prefix: str) -> dict[str, str]:
    """`env` with the deployed secrets' names; refused, naming them, while local credentials or
    endpoints are set, so that nothing but the deployed grant reaches the deployed cache."""
    local = [name for name in NOT_WITH_PROJECT if env.get(name, "").strip()]
    if not env.get("SECRET_MANAGER_ENDPOINT", "").strip():
        local += [name for name in ENDPOINTS_NOT_WITH_PROJECT if env.get(name, "").strip()]
    if local:
        raise Rejected(
            "bad_request",
            f"--project uses only the credentials deployed in {project}, but {', '.join(local)}"
            f" {'is' if len(local) == 1 else 'are'} set here and would be used instead of them or"
            f" beside them: run `unset {' '.join(local)}` first, or leave out --project",
        )
    return {**env, **deployed_secrets(project, prefix)}


def deployed_secrets(project: str, prefix: str) -> dict[str, str]:
    """The Secret Manager names Terraform gives the credentials and the shared token cache."""
    secrets = f"projects/{project}/secrets/{prefix}"
    return {
        "GOOGLE_CLOUD_PROJECT": project,
        "ZOHO_CLIENT_ID_SECRET": f"{secrets}-zoho-client-id/versions/latest",
        "ZOHO_CLIENT_SECRET_SECRET": f"{secrets}-zoho-client-secret/versions/latest",
        "ZOHO_REFRESH_TOKEN_SECRET": f"{secrets}-zoho-refresh-token/versions/latest",
        "ZOHO_ACCESS_TOKEN_SECRET": f"{secrets}-zoho-access-token",
        "WEBHOOK_SECRET_SECRET": f"{secrets}-webhook-secret/versions/latest",
    }


def _seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = float("nan")
    if not 0 < seconds <= 3600:  # NaN fails too
        raise argparse.ArgumentTypeError("a number of seconds above 0, at most 3600")
    return seconds


MAX_WEBHOOK_URL = 255  # what Zoho answers a webhook's URL with (docs/zoho-api.md)
DEFAULT_BACKTEST_DAYS = 30.0
MAX_BACKTEST_DAYS = 3650


def _since(text: str) -> float | dt.datetime:
    """A number of days back, or an ISO 8601 time (UTC when it names no offset)."""
    try:
        days = float(text)
    except ValueError:
        try:
            moment = parse_since(text)
        except Rejected as error:
            raise argparse.ArgumentTypeError(f"not a number of days, and {error.reason}") from None
        assert moment is not None
        return moment
    if not 0 < days <= MAX_BACKTEST_DAYS:  # NaN fails too
        raise argparse.ArgumentTypeError(f"a number of days above 0, at most {MAX_BACKTEST_DAYS}")
    return days


def _leads(text: str) -> int:
    try:
        limit = parse_limit(text)
    except Rejected as error:
        raise argparse.ArgumentTypeError(error.reason) from None
    assert limit is not None
    return limit


def _webhook_url(text: str) -> str:
    if (
        not text.startswith(("https://", "http://"))
        or len(text) > MAX_WEBHOOK_URL
        or any(c.isspace() for c in text)
    ):
        raise argparse.ArgumentTypeError(
            f"an http:// or https:// URL of at most {MAX_WEBHOOK_URL} characters"
        )
    return text


def _setup_name(text: str) -> str:
    if not SETUP_NAME.fullmatch(text):
        raise argparse.ArgumentTypeError(
            "1 to 50 letters, digits, spaces and _ (which other characters Zoho refuses is not documented)"
        )
    return text


def _lead_id(text: str) -> str:
    if not LEAD_ID.fullmatch(text):
        raise argparse.ArgumentTypeError("a lead id is 1 to 25 ASCII digits")
    return text
