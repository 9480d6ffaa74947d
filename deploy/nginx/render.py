"""Render deploy/nginx/nginx.conf.template into a runnable nginx.conf.

The local stack (scripts/services/nginx.sh) and the tests use this; Compose and Swarm let
the nginx image's entrypoint do the same substitution with envsubst. Both replace only
``${JIM_NGINX_*}`` names. This renderer adds what envsubst lacks: defaults, a check of
every value (a value is pasted into nginx's config, so a stray ``;`` or space would
change its meaning), and a refusal to leave any placeholder unreplaced.

Values come from, lowest precedence first: the defaults below, the environment, then
``--set NAME=VALUE``. Standard library only, so it runs with any python3.

    python3 deploy/nginx/render.py --output .run/nginx/nginx.conf --set JIM_NGINX_PORT=8080
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parent / "nginx.conf.template"
PLACEHOLDER = re.compile(r"\$\{(JIM_NGINX_[A-Z0-9_]+)\}")

_HOST_PORT = re.compile(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\]):\d{1,5}$")
_PATH = re.compile(r"^/[A-Za-z0-9._/+-]*$")


class RenderError(ValueError):
    """A value or the template cannot make a valid config; the message names the variable."""


def _port(value: str) -> bool:
    return value.isdigit() and 1 <= int(value) <= 65535


def _host_port(value: str) -> bool:
    return bool(_HOST_PORT.match(value)) and _port(value.rsplit(":", 1)[1])


def _path(value: str) -> bool:
    return bool(_PATH.match(value))


def _log_target(value: str) -> bool:
    # nginx also accepts "stderr"; containers log to /dev/stdout and /dev/stderr.
    return value == "stderr" or _path(value)


def _rate(value: str) -> bool:
    return bool(re.fullmatch(r"[1-9]\d{0,5}r/[sm]", value))


def _count(value: str) -> bool:
    return bool(re.fullmatch(r"\d{1,6}", value))


def _size(value: str) -> bool:
    return bool(re.fullmatch(r"[1-9]\d{0,6}[kKmM]?", value))


# name -> (check, what a good value looks like)
CHECKS: dict[str, tuple[Callable[[str], bool], str]] = {
    "JIM_NGINX_PORT": (_port, "a TCP port, e.g. 8080"),
    "JIM_NGINX_UPSTREAM": (_host_port, "HOST:PORT of the proxy, e.g. 127.0.0.1:8000"),
    "JIM_NGINX_RUN_DIR": (_path, "an absolute path without spaces"),
    "JIM_NGINX_ACCESS_LOG": (_log_target, "an absolute path, e.g. /dev/stdout"),
    "JIM_NGINX_ERROR_LOG": (_log_target, "an absolute path or stderr"),
    "JIM_NGINX_RATE": (_rate, "requests per second or minute, e.g. 20r/s"),
    "JIM_NGINX_BURST": (_count, "a whole number of requests, e.g. 40"),
    "JIM_NGINX_MAX_BODY": (_size, "a size such as 1m or 512k"),
}

# Defaults for the local stack. The log paths default to files inside the run folder.
DEFAULTS: dict[str, str] = {
    "JIM_NGINX_PORT": "8080",
    "JIM_NGINX_UPSTREAM": "127.0.0.1:8000",
    "JIM_NGINX_RATE": "20r/s",
    "JIM_NGINX_BURST": "40",
    "JIM_NGINX_MAX_BODY": "128k",
}


def placeholders(template: str) -> set[str]:
    return set(PLACEHOLDER.findall(template))


def resolve_values(
    environ: Mapping[str, str], overrides: Mapping[str, str], run_dir: str | None = None
) -> dict[str, str]:
    """Merge defaults, environment and overrides, then check every value."""
    values = dict(DEFAULTS)
    values.update({k: v for k, v in environ.items() if k in CHECKS})
    values.update(overrides)
    if run_dir is not None:
        values["JIM_NGINX_RUN_DIR"] = run_dir
    if "JIM_NGINX_RUN_DIR" in values:
        values.setdefault("JIM_NGINX_ACCESS_LOG", values["JIM_NGINX_RUN_DIR"] + "/access.log")
        values.setdefault("JIM_NGINX_ERROR_LOG", values["JIM_NGINX_RUN_DIR"] + "/error.log")
    for name, value in values.items():
        if name not in CHECKS:
            raise RenderError(f"{name}: not a setting of the nginx template (known: {', '.join(CHECKS)})")
        check, expected = CHECKS[name]
        if not check(value):
            raise RenderError(f"{name}: {value!r} is not {expected}")
    return values


def render(template: str, values: Mapping[str, str]) -> str:
    """Replace every placeholder; fail naming any that has no value."""
    missing = sorted(placeholders(template) - set(values))
    if missing:
        raise RenderError(f"no value for {', '.join(missing)}")
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], template)


def _parse_set(items: list[str]) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep:
            raise RenderError(f"--set {item!r}: expected NAME=VALUE")
        pairs[name] = value
    return pairs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="render jim's nginx config")
    parser.add_argument("--template", type=Path, default=TEMPLATE)
    parser.add_argument("--output", type=Path, required=True, help="where to write nginx.conf")
    parser.add_argument("--run-dir", help="pid, temp files and default logs (absolute)")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    args = parser.parse_args(argv)
    try:
        values = resolve_values(os.environ, _parse_set(args.set), args.run_dir)
        text = render(args.template.read_text(encoding="utf-8"), values)
    except (RenderError, OSError) as exc:
        print(f"render.py: {exc}", file=sys.stderr)
        return 2
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
