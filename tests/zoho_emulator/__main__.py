"""Run the emulator on its own: `python -m tests.zoho_emulator --port 8700 --seed demo`, or with
your own org described in a file: `--org my-org.yaml` (org_file.py)."""

from __future__ import annotations

import argparse
import signal
import threading
from pathlib import Path

from .emulator import ZohoEmulator
from .org_file import OrgFileError, load_org
from .seed import SEEDS
from .tokens import Credentials


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.zoho_emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8700)
    parser.add_argument("--seed", choices=SEEDS, default=None)
    parser.add_argument(
        "--org", type=Path, metavar="FILE", help="an org description to apply (after --seed): org_file.py"
    )
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added per API call")
    parser.add_argument("--concurrency-limit", type=int, default=None)
    parser.add_argument("--client-id", default="1000.DEMOCLIENTID")
    parser.add_argument("--client-secret", default="demo-client-secret")
    parser.add_argument("--refresh-token", default="1000.demo-refresh-token")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    parser.add_argument(
        "--automation",
        action="store_true",
        help="grant the scopes to create, change and delete webhooks and rules (zoho-crm-api.md §15)",
    )
    args = parser.parse_args(argv)

    emulator = ZohoEmulator(
        credentials=Credentials(args.client_id, args.client_secret, args.refresh_token),
        seed=args.seed,
        latency=args.latency,
        concurrency_limit=args.concurrency_limit,
        verbose=args.verbose,
        automation=args.automation,
    )
    if args.org is not None:
        try:
            counts = load_org(emulator, args.org)
        except OrgFileError as problem:
            parser.exit(2, f"error: {problem}\n")
        described = ", ".join(f"{count} {section}" for section, count in counts.items() if count)
        print(f"{args.org}: {described or 'nothing'}", flush=True)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    url = emulator.start(args.host, args.port)
    print(f"Zoho CRM emulator listening on {url}", flush=True)
    try:
        stop.wait()
    finally:
        emulator.stop()


if __name__ == "__main__":
    main()
