"""The runtime inside the component: timers on `wasi:clocks`, the event
loop's networking (`_loop`), the `ssl` module, and the program's entry
point.

componentize-py's event loop runs asyncio tasks inside the component's
`wasi:cli/run` call, but it has no timers and no `run_until_complete`, and
a task still waiting on an import when `run` returns traps the component.
This module fills those gaps:

* the loop's networking and transports (`_loop`), on which CPython's own
  `asyncio.streams` run unchanged; `ssl` is `_ssl_module` (CPython inside a
  component has no OpenSSL);
* `loop.time`, `call_at`, `call_later`: one driver task waits on
  `monotonic-clock.wait-for` for the next deadline, in slices of at most
  50 ms so that a cancelled timer's wait ends soon;
* an awaited import whose caller is cancelled keeps its own future (the
  import's result still arrives, and is dropped) instead of failing
  componentize-py's callback;
* `asyncio.run(main())` in the file's top-level code (an `if __name__`
  block included) becomes `await main()`: the file runs as a coroutine, so
  `main` runs exactly where CPython runs it; a call made elsewhere (inside
  a function the file calls) records `main()`, which runs once the file has
  executed;
* at exit, leftover tasks are cancelled, open connections aborted and
  servers closed (as CPython's `asyncio.run` cancels tasks and the process
  exit closes sockets), and the entry point returns only once no import is
  outstanding.
"""

import ast
import asyncio
import builtins
import contextvars
import heapq
import sys
import traceback

import componentize_py_async_support as support
import componentize_py_runtime as runtime
from componentize_py_types import Err, Ok
from wit_world.imports import environment, monotonic_clock

from . import _loop, _open, _ssl_module

#: The longest single wait of the timer driver, in nanoseconds.
_SLICE_NS = 50_000_000

_timers = []
_driver = None
_pending_runs = []
_installed = False


# ---- timers ----


def _time(loop):
    return monotonic_clock.now() / 1e9


def _call_at(loop, when, callback, *args, context=None):
    handle = asyncio.TimerHandle(when, callback, args, loop, context)
    handle._scheduled = True
    heapq.heappush(_timers, handle)
    _start_driver(loop)
    return handle


def _call_later(loop, delay, callback, *args, context=None):
    return _call_at(loop, _time(loop) + delay, callback, *args, context=context)


def _timer_handle_cancelled(loop, handle):
    # The driver drops cancelled handles when it meets them.
    pass


def _start_driver(loop):
    global _driver
    if _driver is None or _driver.done():
        _driver = loop.create_task(_drive(loop))


async def _drive(loop):
    while True:
        while _timers and _timers[0]._cancelled:
            heapq.heappop(_timers)
        if not _timers:
            return
        now = _time(loop)
        first = _timers[0]
        if first.when() <= now:
            heapq.heappop(_timers)
            first._scheduled = False
            loop.call_soon(first._callback, *first._args, context=first._context)
            continue
        wait = min(int((first.when() - now) * 1e9) + 1, _SLICE_NS)
        await monotonic_clock.wait_for(wait)


# ---- imports awaited by cancellable callers ----


async def _await_result(result):
    if isinstance(result, Ok):
        return result.value
    future_state = support._future_state.get()
    waitable, promise = result.value
    future = support._loop.create_future()
    future_state.futures[waitable] = future
    if future_state.waitable_set is None:
        future_state.waitable_set = runtime.waitable_set_new()
    runtime.waitable_join(waitable, future_state.waitable_set)
    # A cancelled caller leaves `future` to the import's completion.
    event = await asyncio.shield(future)
    return runtime.promise_get_result(event, promise)


# ---- the loop and asyncio ----


def _call_soon_with_context(original):
    def call_soon(loop, callback, *args, context=None):
        if context is None:
            context = contextvars.copy_context()
        return original(loop, callback, *args, context=context)

    return call_soon


def _deferred_run(main, *, debug=None, loop_factory=None):
    """`asyncio.run(main)` at a file's top level: run after the file."""
    if not asyncio.iscoroutine(main):
        raise ValueError(f"a coroutine was expected, got {main!r}")
    _pending_runs.append(main)


class _AwaitTopLevelRuns(ast.NodeTransformer):
    """`asyncio.run(x)` in module-level code becomes `await x`."""

    def visit_FunctionDef(self, node):
        return node

    visit_AsyncFunctionDef = visit_FunctionDef
    visit_ClassDef = visit_FunctionDef
    visit_Lambda = visit_FunctionDef

    def visit_Call(self, node):
        self.generic_visit(node)
        func = node.func
        if (
            isinstance(func, ast.Attribute)
            and func.attr == "run"
            and isinstance(func.value, ast.Name)
            and func.value.id == "asyncio"
            and len(node.args) == 1
        ):
            return ast.copy_location(ast.Await(value=node.args[0]), node)
        return node


def _compile(source, filename):
    tree = _AwaitTopLevelRuns().visit(ast.parse(source, filename))
    ast.fix_missing_locations(tree)
    return compile(tree, filename, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)


def install_ssl():
    """`import ssl` gives `_ssl_module` when the standard one cannot load."""
    try:
        import ssl  # noqa: F401
    except ImportError:
        sys.modules["ssl"] = _ssl_module


def install():
    """Patches componentize-py's loop and asyncio (once)."""
    global _installed
    if _installed:
        return
    loop_class = type(support._loop)
    loop_class.time = _time
    loop_class.call_at = _call_at
    loop_class.call_later = _call_later
    loop_class._timer_handle_cancelled = _timer_handle_cancelled
    loop_class.call_soon = _call_soon_with_context(loop_class.call_soon)
    support.await_result = _await_result
    _loop.install(loop_class)
    install_ssl()
    asyncio.run = _deferred_run
    _installed = True


# ---- the entry point ----


def _exit_status(code):
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


async def run_program(source, filename):
    """Runs `source` as `__main__` (with `sys.argv` from the command line),
    then the `asyncio.run` calls it made, then a clean shutdown."""
    install()
    sys.argv = [filename] + list(environment.get_arguments())[1:]
    status = 0
    try:
        code = _compile(source, filename)
        namespace = {"__name__": "__main__", "__file__": filename, "__builtins__": builtins}
        # With a top-level await, evaluating the module gives a coroutine.
        running = eval(code, namespace)
        if asyncio.iscoroutine(running):
            await running
        while _pending_runs:
            await _pending_runs.pop(0)
    except SystemExit as exit:
        status = _exit_status(exit.code)
    except BaseException:
        traceback.print_exc()
        status = 1
    finally:
        await _shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
    if status != 0:
        raise Err(None)


async def _shutdown():
    current = asyncio.current_task()
    tasks = [
        t for t in asyncio.all_tasks() if t is not current and t is not _driver and not t.done()
    ]
    for task in tasks:
        task.cancel()
    for handle in _timers:
        handle.cancel()
    for server in list(_open.servers):
        server._raw.close()
    for transport in list(_open.transports):
        transport.abort()
    future_state = support._future_state.get()
    while any(not t.done() for t in tasks) or future_state.futures:
        await monotonic_clock.wait_for(1_000_000)
