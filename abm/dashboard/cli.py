"""``python -m abm dashboard SCENARIO``: the live dashboard and the class game in the browser.

Starts the Solara app of :mod:`abm.dashboard.app` (Mesa's SolaraViz) on ``--host`` (default
127.0.0.1: only this machine can open it) and ``--port``. ``--host 0.0.0.0`` opens it to the
classroom network: anyone on that network who can reach the port sees the dashboard and can open
class games, and a student who knows a game's join code can submit for any seat of it; there
is no login and no encryption (plain http). Use it only on a network you trust, for the length
of a class. Solara's telemetry is switched off; the page's scripts are served from the
installed ``solara-assets`` package, never from the internet.
"""
from __future__ import annotations

import argparse
import os
import pathlib
import sys

from ..cli import command

#: Environment for the server: no telemetry, no CDN (assets come from solara-assets).
SERVER_ENV = {"SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False"}


def _args(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", help="scenario TOML file (the dashboard's market; also the class game's)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1, this machine only). 0.0.0.0 opens it to the "
                        "classroom network: no login, plain http, anyone with a game's join code can submit; "
                        "use only on a trusted network")
    p.add_argument("--port", type=int, default=8765, help="port (default 8765; 0: any free port)")
    p.add_argument("--class-scenario", default=None, help="another scenario for the class game (default: SCENARIO)")


def server_command(host: str, port: int) -> list[str]:
    """Return the command line that serves the dashboard app."""
    return [sys.executable, "-m", "solara", "run", "abm.dashboard.app", "--host", host, "--port", str(port),
            "--production", "--no-open", "--no-check-version"]


def server_env(scenario: str | pathlib.Path, class_scenario: str | pathlib.Path | None = None) -> dict[str, str]:
    """Return the environment of the server process for ``scenario``."""
    env = {**os.environ, **SERVER_ENV, "MECHBED_SCENARIO": str(pathlib.Path(scenario).resolve())}
    if class_scenario:
        env["MECHBED_CLASS_SCENARIO"] = str(pathlib.Path(class_scenario).resolve())
    root = str(pathlib.Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


@command("dashboard", "serve the live dashboard and the class game in the browser (127.0.0.1 by default)", _args)
def _dashboard(args: argparse.Namespace) -> int:
    from mechanisms.errors import ConfigError

    from ..scenario import load_scenario

    if not 0 <= args.port <= 65535:
        raise ConfigError("--port", args.port, "a port number in [0, 65535]")
    for path in (args.scenario, args.class_scenario):
        if path is None:
            continue
        try:
            load_scenario(path)
        except ConfigError as e:  # the page shows the same line; the teacher can fix the file and press Reset
            print(f"error: {e}  (the dashboard page shows this too)", file=sys.stderr)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"warning: listening on {args.host}: anyone who can reach this port can use the dashboard; "
              "submissions need the game's join code, but there is no login and no encryption", file=sys.stderr)
    shown = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
    print(f"dashboard:   http://{shown}:{args.port}/\nclass game:  http://{shown}:{args.port}/class  (teacher)\n"
          f"students:    http://{shown}:{args.port}/join\n(Ctrl+C stops the server)", flush=True)
    cmd = server_command(args.host, args.port)
    # the server replaces this process: one process id to stop, no orphaned child
    os.execve(cmd[0], cmd, server_env(args.scenario, args.class_scenario))
    return 0  # not reached
