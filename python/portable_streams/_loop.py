"""The component's event loop, given asyncio's networking over
`portable:streams`: `create_connection`, `create_server`, their Unix forms,
`start_tls`, `sock_connect` for `create_connection(sock=)`, and
`getaddrinfo`, with transports and servers as asyncio's, so that CPython's own
`asyncio.streams`, and libraries written for CPython, run unchanged.

What a component cannot do raises `NotImplementedError` naming the reason:
raw sockets (`sock=` but for a socket `sock_connect` connected, the other
`sock_*` methods, readers and writers on file descriptors), datagrams,
subprocesses, signals. It has one thread: executors run at once, on the
loop.
"""

import asyncio
import errno
import ipaddress
import logging
import socket
import weakref

from wit_world.imports import streams as wit

from . import _errors, _server, _tls, _transport

logger = logging.getLogger("asyncio")

#: The reader limit each connection's interface reader gets; the
#: transport only reads chunks from it, so the limit never applies.
_READER_LIMIT = 2**16


def _no_sock(sock):
    if sock is not None:
        raise NotImplementedError(
            "sock= cannot be used inside a component: it has no sockets of its own; "
            "pass host and port (or path) instead"
        )


def _check_tls_arguments(ssl, server_hostname, handshake_timeout, shutdown_timeout):
    # CPython's own checks, in its words.
    if server_hostname is not None and not ssl:
        raise ValueError("server_hostname is only meaningful with ssl")
    if handshake_timeout is not None and not ssl:
        raise ValueError("ssl_handshake_timeout is only meaningful with ssl")
    if shutdown_timeout is not None and not ssl:
        raise ValueError("ssl_shutdown_timeout is only meaningful with ssl")


def _context(ssl):
    return ssl if isinstance(ssl, _tls.TLSContext) else (_tls.TLSContext() if ssl else None)


async def _start(loop, raw, protocol_factory, sslcontext):
    raw_reader, raw_writer = raw
    protocol = protocol_factory()
    transport = _transport.Transport(loop, raw_reader, raw_writer, protocol, sslcontext=sslcontext)
    transport._start()
    return transport, protocol


async def create_connection(
    self, protocol_factory, host=None, port=None, *, ssl=None, family=0, proto=0,
    flags=0, sock=None, local_addr=None, server_hostname=None,
    ssl_handshake_timeout=None, ssl_shutdown_timeout=None,
    happy_eyeballs_delay=None, interleave=None, all_errors=False,
):
    """`loop.create_connection`; `sock=` takes a socket that this loop's
    `sock_connect` connected (see there)."""
    _check_tls_arguments(ssl, server_hostname, ssl_handshake_timeout, ssl_shutdown_timeout)
    if sock is not None:
        return await _adopt(self, protocol_factory, host, port, sock, ssl, server_hostname,
                            ssl_handshake_timeout, ssl_shutdown_timeout)
    if host is None and port is None:
        raise ValueError("host and port was not specified and no sock specified")
    if ssl and server_hostname is None:
        server_hostname = host
    raw = await _open(
        host or "", port or 0, family=family, local_addr=local_addr,
        happy_eyeballs_delay=happy_eyeballs_delay, interleave=interleave,
        tls=_tls.client_options(ssl, server_hostname, ssl_handshake_timeout, ssl_shutdown_timeout),
    )
    return await _start(self, raw, protocol_factory, _context(ssl))


async def _open(host, port, *, family=0, local_addr=None, happy_eyeballs_delay=None,
                interleave=None, tls=None):
    """The interface's `open-connection`: its reader and writer."""
    options = wit.ConnectOptions(
        limit=_READER_LIMIT,
        family=_transport.families(family),
        local_address=(local_addr[0] or "", local_addr[1] or 0) if local_addr else None,
        happy_eyeballs_delay=_tls.nanos(happy_eyeballs_delay),
        interleave=interleave,
        tls=tls,
        connect_timeout=None,
    )
    return await _errors.call(wit.open_connection(host, port, options))


#: Connections `sock_connect` opened, by the socket they were opened for,
#: until `create_connection(sock=)` takes them over (or the socket is
#: collected, which drops them).
_connected = weakref.WeakKeyDictionary()


async def sock_connect(self, sock, address):
    """`loop.sock_connect` for a TCP socket made to be handed to
    `create_connection(sock=)` (aiohttp and aiohappyeyeballs do this): a
    component's sockets are the interface's connections, so the connection
    is opened here, through the interface and its sandbox, and kept for
    `create_connection(sock=)`; the socket itself is closed unconnected.
    Reading or writing the socket itself (`sock_recv`,
    `sock_sendall`) raises `NotImplementedError`."""
    tcp = (
        isinstance(sock, socket.socket)
        and sock.type == socket.SOCK_STREAM
        and sock.family in (socket.AF_INET, socket.AF_INET6)
    )
    if not tcp:
        raise NotImplementedError(
            "sock_connect inside a component takes a TCP socket for create_connection(sock=)"
        )
    if sock in _connected:
        raise OSError(errno.EISCONN, "the socket is already connected")
    host, port = address[0], address[1]
    # The socket holds a `wasi:sockets` socket that is never used: let it go
    # first, so it does not count against the connection cap beside the
    # connection.
    sock.close()
    _connected[sock] = await _open(str(host), int(port), family=sock.family)


async def _adopt(loop, protocol_factory, host, port, sock, ssl, server_hostname,
                 handshake_timeout, shutdown_timeout):
    """`create_connection(sock=)`: the connection `sock_connect` opened for
    `sock`, over TLS first if `ssl` asks."""
    if host is not None or port is not None:
        raise ValueError("host/port and sock can not be specified at the same time")
    raw = _connected.pop(sock, None) if isinstance(sock, socket.socket) else None
    if raw is None:
        raise NotImplementedError(
            "sock= inside a component takes only a socket that loop.sock_connect connected: "
            "a component has no sockets of its own; pass host and port (or path) instead"
        )
    if ssl:
        if server_hostname is None:
            raise ValueError("You must set server_hostname when using ssl without a host")
        side = _tls_side(ssl, False, server_hostname, handshake_timeout, shutdown_timeout)
        # Nothing reads yet: the handshake runs on the connection itself.
        await _errors.call(raw[1].start_tls(side))
    return await _start(loop, raw, protocol_factory, _context(ssl))


async def create_unix_connection(
    self, protocol_factory, path=None, *, ssl=None, sock=None, server_hostname=None,
    ssl_handshake_timeout=None, ssl_shutdown_timeout=None,
):
    """`loop.create_unix_connection`."""
    _check_tls_arguments(ssl, server_hostname, ssl_handshake_timeout, ssl_shutdown_timeout)
    _no_sock(sock)
    if ssl and server_hostname is None:
        raise ValueError("you have to pass server_hostname when using ssl")
    if path is None:
        raise ValueError("no path and sock were specified")
    options = wit.UnixConnectOptions(
        limit=_READER_LIMIT,
        tls=_tls.client_options(ssl, server_hostname, ssl_handshake_timeout, ssl_shutdown_timeout),
        connect_timeout=None,
    )
    raw = await _errors.call(wit.open_unix_connection(str(path), options))
    return await _start(self, raw, protocol_factory, _context(ssl))


def _hosts(host):
    if host is None or host == "":
        return []
    if isinstance(host, str):
        return [host]
    return list(host)


async def create_server(
    self, protocol_factory, host=None, port=None, *, family=socket.AF_UNSPEC,
    flags=socket.AI_PASSIVE, sock=None, backlog=100, ssl=None, reuse_address=None,
    reuse_port=None, keep_alive=None, ssl_handshake_timeout=None,
    ssl_shutdown_timeout=None, start_serving=True,
):
    """`loop.create_server`."""
    if isinstance(ssl, bool):
        raise TypeError("ssl argument must be an SSLContext or None")
    _check_tls_arguments(ssl, None, ssl_handshake_timeout, ssl_shutdown_timeout)
    _no_sock(sock)
    options = wit.ServerOptions(
        limit=_READER_LIMIT,
        family=_transport.families(family),
        backlog=backlog,
        reuse_address=reuse_address,
        reuse_port=bool(reuse_port),
        keep_alive=bool(keep_alive),
        start_serving=start_serving,
        tls=_tls.server_options(ssl, ssl_handshake_timeout, ssl_shutdown_timeout),
    )
    raw = await _errors.call(wit.start_server(_hosts(host), port or 0, options))
    server = _server.Server(self, raw, protocol_factory, ssl)
    if start_serving:
        server._accept_in_background()
    return server


async def create_unix_server(
    self, protocol_factory, path=None, *, sock=None, backlog=100, ssl=None,
    ssl_handshake_timeout=None, ssl_shutdown_timeout=None, start_serving=True,
    cleanup_socket=True,
):
    """`loop.create_unix_server`."""
    if isinstance(ssl, bool):
        raise TypeError("ssl argument must be an SSLContext or None")
    _check_tls_arguments(ssl, None, ssl_handshake_timeout, ssl_shutdown_timeout)
    _no_sock(sock)
    options = wit.UnixServerOptions(
        limit=_READER_LIMIT,
        backlog=backlog,
        start_serving=start_serving,
        cleanup_socket=cleanup_socket,
        tls=_tls.server_options(ssl, ssl_handshake_timeout, ssl_shutdown_timeout),
    )
    raw = await _errors.call(wit.start_unix_server(str(path), options))
    server = _server.Server(self, raw, protocol_factory, ssl)
    if start_serving:
        server._accept_in_background()
    return server


async def start_tls(
    self, transport, protocol, sslcontext, *, server_side=False, server_hostname=None,
    ssl_handshake_timeout=None, ssl_shutdown_timeout=None,
):
    """`loop.start_tls`: the same connection, upgraded in place; the
    transport returned is the one given, now over TLS."""
    if not isinstance(transport, _transport.Transport):
        raise TypeError(f"transport {transport!r} is not supported by start_tls()")
    if not sslcontext:
        raise TypeError(f"sslcontext is expected to be an instance of ssl.SSLContext, got {sslcontext!r}")
    side = _tls_side(
        sslcontext, server_side, server_hostname, ssl_handshake_timeout, ssl_shutdown_timeout
    )
    await _errors.call(transport._raw_writer.start_tls(side))
    transport._sslcontext = _context(sslcontext)
    transport.set_protocol(protocol)
    return transport


def _tls_side(sslcontext, server_side, server_hostname, handshake_timeout, shutdown_timeout):
    """The interface's `start-tls` side for asyncio's TLS arguments."""
    if server_side:
        return wit.TlsSide_Server(
            _tls.server_options(sslcontext, handshake_timeout, shutdown_timeout)
        )
    return wit.TlsSide_Client(
        _tls.client_options(sslcontext, server_hostname, handshake_timeout, shutdown_timeout)
    )


def _numeric(host):
    try:
        return ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return None


async def getaddrinfo(self, host, port, *, family=0, type=0, proto=0, flags=0):
    """`loop.getaddrinfo`: IP addresses, `localhost` and the passive
    wildcard are answered here; any other name goes to `socket.getaddrinfo`
    (`wasi:sockets` name lookup, which the host's sandbox allows only to a
    component that may connect or listen somewhere), at once on the loop,
    as CPython runs it in its default executor. (`open_connection` and
    `create_connection` resolve names themselves, in the interface.)"""
    if isinstance(host, bytes):
        host = host.decode("idna")
    if isinstance(port, bytes):
        port = port.decode()
    port = int(port or 0)
    if host is None:
        hosts = ["::", "0.0.0.0"] if flags & socket.AI_PASSIVE else ["::1", "127.0.0.1"]
    elif host == "localhost":
        hosts = ["::1", "127.0.0.1"]
    elif _numeric(host) is not None:
        hosts = [host]
    else:
        return socket.getaddrinfo(host, port, family, type, proto, flags)
    kinds = [type] if type else [socket.SOCK_STREAM]
    found = []
    for address in hosts:
        ip = _numeric(address)
        af = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
        if family not in (0, socket.AF_UNSPEC, af):
            continue
        sockaddr = (address, port, 0, 0) if af == socket.AF_INET6 else (address, port)
        for kind in kinds:
            found.append((af, kind, proto or socket.IPPROTO_TCP, "", sockaddr))
    if not found:
        raise socket.gaierror(socket.EAI_ADDRFAMILY, "no address of that family")
    return found


async def getnameinfo(self, sockaddr, flags=0):
    """`loop.getnameinfo`: the address as text (no reverse lookups)."""
    return (str(sockaddr[0]), str(sockaddr[1]))


def call_soon_threadsafe(self, callback, *args, context=None):
    """A component has one thread: `call_soon`."""
    return self.call_soon(callback, *args, context=context)


def run_in_executor(self, executor, func, *args):
    """`loop.run_in_executor` (and so `asyncio.to_thread`): a component has
    one thread and cannot start another, so `func(*args)` runs at once, on
    the loop, whatever the executor, and its outcome is the returned
    future's, as Pyodide's loop does. The loop waits while it runs; a
    function that waits for another thread cannot finish here (CPython in
    single-threaded wasm traps on such a lock wait)."""
    future = self.create_future()
    try:
        result = func(*args)
    except StopIteration as error:
        # A future cannot hold StopIteration (asyncio refuses it).
        refused = RuntimeError("the function run in the executor raised StopIteration")
        refused.__cause__ = error
        future.set_exception(refused)
    except BaseException as error:
        # A worker thread's future gets every exception (SystemExit too).
        future.set_exception(error)
    else:
        future.set_result(result)
    return future


def set_default_executor(self, executor):
    """Accepted and unused: every executor runs at once on the loop (see
    `run_in_executor`)."""


def _unsupported(reason):
    def method(self, *args, **kwargs):
        raise NotImplementedError(reason)

    return method


_NO_SOCKETS = "a component has no sockets of its own: use create_connection or create_server"
UNSUPPORTED = {
    "sock_recv": _NO_SOCKETS,
    "sock_recv_into": _NO_SOCKETS,
    "sock_recvfrom": _NO_SOCKETS,
    "sock_recvfrom_into": _NO_SOCKETS,
    "sock_sendall": _NO_SOCKETS,
    "sock_sendto": _NO_SOCKETS,
    "sock_accept": _NO_SOCKETS,
    "sock_sendfile": _NO_SOCKETS,
    "connect_accepted_socket": _NO_SOCKETS,
    "add_reader": "a component has no file descriptors to watch",
    "remove_reader": "a component has no file descriptors to watch",
    "add_writer": "a component has no file descriptors to watch",
    "remove_writer": "a component has no file descriptors to watch",
    "create_datagram_endpoint": "portable:streams has no datagrams (UDP)",
    "connect_read_pipe": "a component has no pipes",
    "connect_write_pipe": "a component has no pipes",
    "subprocess_exec": "a component cannot start processes",
    "subprocess_shell": "a component cannot start processes",
    "add_signal_handler": "a component receives no signals",
    "remove_signal_handler": "a component receives no signals",
    "sendfile": "a component has no files to send from the transport",
}


# ---- errors nobody handled, as CPython's default handler reports them ----


def call_exception_handler(self, context):
    """asyncio's exception handling: the handler set, else the default."""
    handler = getattr(self, "_portable_exception_handler", None)
    if handler is None:
        self.default_exception_handler(context)
        return
    try:
        handler(self, context)
    except BaseException as error:
        logger.error("Unhandled error in exception handler", exc_info=error)


def default_exception_handler(self, context):
    """Logs `context` on the `asyncio` logger, as CPython does."""
    message = context.get("message") or "Unhandled exception in event loop"
    error = context.get("exception")
    exc_info = (type(error), error, error.__traceback__) if error is not None else False
    lines = [message]
    for key in sorted(k for k in context if k not in ("message", "exception")):
        lines.append(f"{key}: {context[key]!r}")
    logger.error("\n".join(lines), exc_info=exc_info)


def set_exception_handler(self, handler):
    if handler is not None and not callable(handler):
        raise TypeError(f"A callable object or None is expected, got {handler!r}")
    self._portable_exception_handler = handler


def get_exception_handler(self):
    return getattr(self, "_portable_exception_handler", None)


def get_task_factory(self):
    return None


def set_task_factory(self, factory):
    if factory is not None:
        raise NotImplementedError("a component's loop runs asyncio's own tasks only")


# ---- asyncio's Unix stream functions ----
# CPython defines them only where `socket.AF_UNIX` exists, which WASI's
# socket module lacks; these are CPython's own two functions.


async def open_unix_connection(path=None, *, limit=asyncio.streams._DEFAULT_LIMIT, **kwds):
    """`asyncio.open_unix_connection`, as CPython writes it."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=limit, loop=loop)
    protocol = asyncio.StreamReaderProtocol(reader, loop=loop)
    transport, _ = await loop.create_unix_connection(lambda: protocol, path, **kwds)
    writer = asyncio.StreamWriter(transport, protocol, reader, loop)
    return reader, writer


async def start_unix_server(
    client_connected_cb, path=None, *, limit=asyncio.streams._DEFAULT_LIMIT, **kwds
):
    """`asyncio.start_unix_server`, as CPython writes it."""
    loop = asyncio.get_running_loop()

    def factory():
        reader = asyncio.StreamReader(limit=limit, loop=loop)
        return asyncio.StreamReaderProtocol(reader, client_connected_cb, loop=loop)

    return await loop.create_unix_server(factory, path, **kwds)


def install(loop_class):
    """Gives `loop_class` (componentize-py's loop) asyncio's networking."""
    for function in (
        create_connection, create_unix_connection, create_server, create_unix_server,
        start_tls, getaddrinfo, getnameinfo, call_soon_threadsafe,
        run_in_executor, set_default_executor, sock_connect,
        call_exception_handler, default_exception_handler, set_exception_handler,
        get_exception_handler, get_task_factory, set_task_factory,
    ):
        setattr(loop_class, function.__name__, function)
    for name, reason in UNSUPPORTED.items():
        setattr(loop_class, name, _unsupported(reason))
    for function in (open_unix_connection, start_unix_server):
        for module in (asyncio, asyncio.streams):
            if not hasattr(module, function.__name__):
                setattr(module, function.__name__, function)
