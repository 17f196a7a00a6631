"""`python -m portable_streams build APP.py -o APP.wasm`."""

import argparse
import sys

from . import _build

BUILD_HELP = """\
Builds APP.py, written for CPython's asyncio, into a component (with the
pinned componentize-py, found beside this interpreter, so a venv need not
be activated).

What is bundled: the modules APP.py imports, every module of the installed
distributions they come from and of the distributions those require (read
from their metadata, so modules a library imports lazily are there too),
and every module of each package imported (the standard library's too).
A component has no files: data files of a distribution are not bundled.

Native extensions cannot run inside a component: a distribution that ships
them is named in a note and bundled without them; the build fails if its
module does not import without them.

Inside the component, asyncio's event loop does networking over
portable:streams (create_connection, create_server, their Unix forms,
start_tls), so asyncio's own streams and pure-Python libraries run
unchanged; `ssl` is the package's stand-in (TLS is the interface's).
Raw sockets (sock=, sock_*; but a TCP socket connected with
loop.sock_connect is taken by create_connection(sock=), as aiohttp does),
datagrams, subprocesses and signals raise NotImplementedError saying why;
a component has one thread, so what an executor is given
(asyncio.to_thread) runs at once, on the loop.
"""


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m portable_streams",
        description="Build a Python asyncio program into a WebAssembly component.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser(
        "build",
        help="build APP.py into a component",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=BUILD_HELP,
    )
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
