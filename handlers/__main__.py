"""`python -m handlers`: the command line (handlers.doors.cli) without the installed script."""

from handlers.doors.cli import main

raise SystemExit(main())
