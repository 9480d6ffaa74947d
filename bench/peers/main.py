"""Entry point of the peer benchmark (bench/peers/run.sh installs what it needs first)."""

from __future__ import annotations

import sys

from peerbench.runner import main

if __name__ == "__main__":
    sys.exit(main())
