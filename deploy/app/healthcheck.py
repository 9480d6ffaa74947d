#!/usr/bin/env python3
"""Container healthcheck: GET each URL given; healthy only when every one answers 2xx.

The app image has no curl or wget (slim base); Python is already there. Used by Compose and
Swarm for the proxy (/readyz) and the worker processes (their metrics endpoint).
"""

from __future__ import annotations

import sys
import urllib.error
import urllib.request

TIMEOUT_SECONDS = 3


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 - fixed local URLs
            return 200 <= response.status < 300
    except (urllib.error.URLError, OSError) as exc:
        print(f"{url}: {exc}", file=sys.stderr)
        return False


def main(urls: list[str]) -> int:
    if not urls:
        print("usage: jim-healthcheck URL...", file=sys.stderr)
        return 2
    return 0 if all(healthy(url) for url in urls) else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
