"""The `numaprobe` console entry point.

`numaprobe probe [--root PATH] [--json]` — the command people and scripts run most, and the one benchmarked
against lstopo — is dispatched here without importing typer and click (about 30 ms of a ~90 ms run). Anything
else, including every malformed or unusual argument list, goes to the typer application, which stays the one
definition of the CLI; tests/test_cli_entry.py checks that both paths print the same.
"""

from __future__ import annotations

import sys
from typing import List, Optional, Tuple


def parse_fast_probe(args: List[str]) -> Optional[Tuple[Optional[str], bool]]:
    """(root, as_json) when args is a plain probe invocation, else None (let typer parse it)."""
    rest = list(args)
    if rest and rest[0] == "probe":
        rest.pop(0)
    root: Optional[str] = None
    as_json = False
    seen = set()
    while rest:
        arg = rest.pop(0)
        if arg == "--json" and "json" not in seen:
            as_json = True
            seen.add("json")
        elif arg in ("--root", "-r") and rest and "root" not in seen and not rest[0].startswith("-"):
            root = rest.pop(0)
            seen.add("root")
        elif arg.startswith("--root=") and len(arg) > 7 and "root" not in seen:
            root = arg[7:]
            seen.add("root")
        else:
            return None
    return root, as_json


# sysexits.h EX_SOFTWARE: numaprobe itself failed, as opposed to 2, the user's input could not be used.
EXIT_INTERNAL_ERROR = 70


def main(argv: Optional[List[str]] = None) -> None:
    """The console entry point. A bug ends in one line and exit 70, not a traceback: numaprobe runs on
    production hosts from scripts that parse its stderr. NUMAPROBE_DEBUG=1 shows the traceback."""
    try:
        _main(argv)
    except Exception as e:  # SystemExit and KeyboardInterrupt are BaseException: they pass
        import os

        if os.environ.get("NUMAPROBE_DEBUG"):
            raise
        what = (str(e).splitlines() or [""])[0][:300]
        sys.stderr.write("numaprobe: internal error: %s%s (a bug: please report it with the output of "
                         "NUMAPROBE_DEBUG=1 numaprobe ...)\n" % (type(e).__name__, ": " + what if what else ""))
        sys.exit(EXIT_INTERNAL_ERROR)


def _main(argv: Optional[List[str]] = None) -> None:
    args = sys.argv[1:] if argv is None else list(argv)
    fast = parse_fast_probe(args)
    if fast is None:
        try:  # Ctrl-C while typer/click load (~0.1 s) must end like one during the command
            from numaprobe.cli.app import main as full_main
        except KeyboardInterrupt:
            sys.stderr.write("numaprobe: interrupted\n")
            sys.exit(130)
        try:
            full_main(args)
        except SystemExit as e:
            if e.code in (0, None):
                # Done (a capture already renamed into place): a Ctrl-C now must not turn exit 0 into death by
                # SIGINT while the interpreter shuts down.
                import signal

                signal.signal(signal.SIGINT, signal.SIG_IGN)
            raise
        return
    from numaprobe.errors import NumaprobeError

    try:
        from numaprobe.cli.probe import probe_command

        probe_command(*fast)
    except NumaprobeError as e:
        sys.stderr.write("numaprobe: error: %s\n" % " ".join(str(e).split("\n")))
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        sys.stderr.write("numaprobe: interrupted\n")
        sys.exit(130)
    except BrokenPipeError:
        import os

        os._exit(0)
    sys.exit(0)
