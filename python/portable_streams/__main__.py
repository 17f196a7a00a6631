"""`python -m portable_streams build APP.py -o APP.wasm`."""

import argparse
import sys

from . import _build


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m portable_streams",
        description="Build a Python asyncio program into a WebAssembly component.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="build APP.py into a component")
    build.add_argument("app", help="the Python file (written for CPython's asyncio)")
    build.add_argument("-o", "--output", required=True, help="the component to write")
    args = parser.parse_args(argv)
    try:
        _build.build(args.app, args.output)
    except _build.BuildError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"wrote {args.output}")
    return 0


sys.exit(main())
