"""asyncio streams inside a WebAssembly component.

Build a Python file written for CPython's asyncio into a component:

    python -m portable_streams build app.py -o app.wasm

and run it with `portable-streams run app.wasm ...` (either backend) or any
WASI 0.3 runtime once composed with the guest. Inside the component the
event loop has asyncio's networking over the `portable:streams` interface
(`loop.create_connection`, `create_server`, their Unix forms, `start_tls`,
transports and protocols as CPython's), so CPython's own `asyncio.streams`
(`open_connection`, `start_server`, `StreamReader`, `StreamWriter`) and
libraries written for CPython run unchanged; timers and `asyncio.run`
work as under CPython.

Modules:

* `_loop`: the loop's networking; `_transport`: asyncio's transport over
  one connection; `_server`: asyncio's `Server`.
* `_tls`: `TLSContext` and the interface's TLS options;
  `_memory_tls`: TLS over memory (`MemoryBIO`, `SSLObject`); `_x509`:
  `getpeercert()`'s dict, read from the certificate's DER;
  `_ssl_module`: the `ssl` module inside a component.
* `_errors`: the interface's errors as asyncio's exceptions.
* `_open`: what is open, for the exit.
* `_runtime`: timers on `wasi:clocks`, the loop's patches, and the
  program's entry point (what `asyncio.run` does, and a clean exit).
* `_build`: the build command (componentize-py, pinned).
"""

__version__ = "0.1.0"

# What a component's code may import from here (inside a component only:
# the bindings they use exist there). The stream functions and classes are
# asyncio's own.
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
    if name == "TLSContext":
        from . import _tls

        return _tls.TLSContext
    if name == "Server":
        from . import _server

        return _server.Server
    if name in __all__:
        import asyncio

        return getattr(asyncio, name)
    raise AttributeError(name)
