"""The `python -m torchkeras` entry point: argparse, one subcommand per module."""

import argparse
import sys

from torchkeras.cli import convert, parity
from torchkeras.cli.errors import CLIError


def build_parser():
    parser = argparse.ArgumentParser(
        prog="python -m torchkeras",
        description="torchkeras: Keras 3 as plain PyTorch. Check and convert Keras model files.")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    parity.add_parser(subparsers)
    convert.add_parser(subparsers)
    return parser


def main(argv=None, stream=None):
    """Runs the command line; returns the exit status (0 pass, 1 parity failure, 2 usage error).

    Args:
        argv: The arguments (default `sys.argv[1:]`).
        stream: Where reports go (default `sys.stdout`); errors go to `sys.stderr`.
    """
    args = build_parser().parse_args(argv)
    try:
        return args.run(args, stream=stream)
    except CLIError as error:
        print(f"python -m torchkeras {args.command}: error: {error}", file=sys.stderr)
        return 2
