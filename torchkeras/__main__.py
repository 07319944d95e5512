"""`python -m torchkeras`: the command line (`torchkeras.cli`)."""

import sys

from torchkeras.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
