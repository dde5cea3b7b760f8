"""Training-step speed across backends; same as ``ptjax bench`` (see benchmarks/README.md)."""

import sys

from ptjax.__main__ import main

if __name__ == "__main__":
    sys.exit(main(["bench", *sys.argv[1:]]))
