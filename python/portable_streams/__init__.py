"""asyncio streams inside a WebAssembly component.

Build a Python file written for CPython's asyncio into a component:

    python -m portable_streams build app.py -o app.wasm

and run it with `portable-streams run app.wasm ...` (either backend) or any
WASI 0.3 runtime once composed with the guest. Inside the component,
`asyncio.open_connection`, `asyncio.start_server`,
`asyncio.open_unix_connection`, `asyncio.start_unix_server`, timers
(`asyncio.sleep`, `asyncio.wait_for`, `asyncio.timeout`) and `asyncio.run`
work as under CPython, over the `portable:streams` interface.

This layer adds no semantics of its own: each call maps onto the
interface, and each error onto the exception class asyncio raises.

Modules:

* `_errors`: the interface's errors as asyncio's exceptions.
* `_streams`: `StreamReader`, `StreamWriter`, `Server` and the four
  functions that open them; `_open`: what is open, for the exit.
* `_runtime`: timers on `wasi:clocks`, the `asyncio` patches, and the
  program's entry point (what `asyncio.run` does, and a clean exit).
* `_build`: the build command (componentize-py, pinned).
"""

__version__ = "0.1.0"

# What a component's code may import from here (inside a component only:
# the bindings they use exist there).
__all__ = [
    "open_connection",
    "start_server",
    "open_unix_connection",
    "start_unix_server",
    "StreamReader",
    "StreamWriter",
    "Server",
    "TLSContext",
    "SSLError",
]


def __getattr__(name):
    if name == "SSLError":
        from . import _errors

        return _errors.SSLError
    if name in __all__:
        from . import _streams

        return getattr(_streams, name)
    raise AttributeError(name)
