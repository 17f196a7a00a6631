"""asyncio's streams over the `portable:streams` interface: the same
classes, signatures and exceptions, each call mapped onto the interface."""

import asyncio
import socket
import sys
import traceback

from wit_world.imports import streams as wit

from . import _errors, _open

#: asyncio's default reader limit.
_DEFAULT_LIMIT = 2**16


def _nanos(seconds):
    return None if seconds is None else int(seconds * 1_000_000_000)


def _address(address):
    """A `wit.SocketAddress` as asyncio gives addresses."""
    if isinstance(address, wit.SocketAddress_Ipv4):
        return (address.value.host, address.value.port)
    if isinstance(address, wit.SocketAddress_Ipv6):
        v = address.value
        return (v.host, v.port, v.flow_info, v.scope_id)
    if isinstance(address, wit.SocketAddress_Unix):
        return address.value
    return None


def _family(family):
    if family == socket.AF_INET:
        return wit.AddressFamily.IPV4
    if family == socket.AF_INET6:
        return wit.AddressFamily.IPV6
    return wit.AddressFamily.UNSPECIFIED


class TLSContext:
    """The part of `ssl.SSLContext` the interface takes (CPython inside a
    component has no `ssl` module): trust roots in PEM, ALPN, and a server's
    certificate chain and key in PEM."""

    def __init__(self):
        self.cadata = []
        self.alpn = []
        self.chain = None
        self.key = None

    def load_verify_locations(self, cafile=None, capath=None, cadata=None):
        """Adds trust roots: `cadata` (PEM text), or `cafile` read now."""
        if cafile is not None:
            with open(cafile, encoding="ascii") as f:
                self.cadata.append(f.read())
        if cadata is not None:
            self.cadata.append(cadata)

    def load_cert_chain(self, certfile, keyfile=None):
        """The server's chain and key: PEM text, or files read now."""

        def pem(value):
            if "-----BEGIN" in value:
                return value
            with open(value, encoding="ascii") as f:
                return f.read()

        self.chain = pem(certfile)
        self.key = pem(keyfile if keyfile is not None else certfile)

    def set_alpn_protocols(self, protocols):
        """ALPN protocols, in order of preference."""
        self.alpn = list(protocols)


def _client_tls(ssl, server_hostname, handshake_timeout, shutdown_timeout):
    if not ssl:
        return None
    context = ssl if isinstance(ssl, TLSContext) else TLSContext()
    return wit.ClientTlsOptions(
        server_name=server_hostname,
        extra_root_certificates=list(context.cadata),
        handshake_timeout=_nanos(handshake_timeout),
        shutdown_timeout=_nanos(shutdown_timeout),
        alpn_protocols=list(context.alpn),
    )


def _server_tls(ssl, handshake_timeout, shutdown_timeout):
    if not ssl:
        return None
    if not isinstance(ssl, TLSContext) or ssl.chain is None:
        raise ValueError("a TLS server needs a TLSContext with load_cert_chain()")
    return wit.ServerTlsOptions(
        certificate_chain=ssl.chain,
        private_key=ssl.key,
        handshake_timeout=_nanos(handshake_timeout),
        shutdown_timeout=_nanos(shutdown_timeout),
        alpn_protocols=list(ssl.alpn),
    )


class StreamReader:
    """asyncio's `StreamReader`.

    componentize-py cannot cancel an import call, so a read cancelled while
    it waits (`wait_for`, `timeout`) goes on in the interface. Its result
    is kept, not lost: the next call of the same method with the same
    arguments takes it (the usual retry after a timeout); any other read
    fails with `RuntimeError` until then.
    """

    def __init__(self, raw, limit=_DEFAULT_LIMIT):
        self._raw = raw
        self._limit = limit
        self._orphan = None

    async def _call(self, key, start):
        if self._orphan is not None:
            waiting, op = self._orphan
            if waiting != key:
                raise RuntimeError(
                    f"{waiting[0]}() was cancelled while it waited and still holds this "
                    "reader; call it again to take its result"
                )
            self._orphan = None
        else:
            op = asyncio.ensure_future(_errors.call(start()))
        try:
            return await asyncio.shield(op)
        except asyncio.CancelledError:
            if not op.cancelled():
                self._orphan = (key, op)
            raise

    async def read(self, n=-1):
        return await self._call(("read", n), lambda: self._raw.read(n))

    async def readline(self):
        try:
            return await self._call(("readline",), self._raw.readline)
        except asyncio.LimitOverrunError as error:
            # asyncio's readline turns the overrun into ValueError.
            raise ValueError(error.args[0]) from None

    async def readexactly(self, n):
        return await self._call(("readexactly", n), lambda: self._raw.readexactly(n))

    async def readuntil(self, separator=b"\n"):
        if isinstance(separator, tuple):
            separators = [bytes(s) for s in separator]
        else:
            separators = [bytes(separator)]
        key = ("readuntil", tuple(separators))
        return await self._call(key, lambda: self._raw.readuntil(separators))

    def at_eof(self):
        return self._raw.at_eof()

    def __aiter__(self):
        return self

    async def __anext__(self):
        line = await self.readline()
        if line == b"":
            raise StopAsyncIteration
        return line


class _SslObject:
    """What `get_extra_info('ssl_object')` gives: the negotiated TLS."""

    def __init__(self, tls):
        self._tls = tls

    def version(self):
        return self._tls.protocol_version

    def cipher(self):
        return (self._tls.cipher, self._tls.protocol_version, None)

    def selected_alpn_protocol(self):
        return self._tls.alpn_protocol

    def getpeercert(self, binary_form=False):
        certs = self._tls.peer_certificates
        if not certs:
            return None
        if binary_form:
            return certs[0]
        raise NotImplementedError("only getpeercert(binary_form=True) is available")


class _Transport:
    """The part of the transport asyncio code reaches through
    `writer.transport`."""

    def __init__(self, writer):
        self._writer = writer

    def get_extra_info(self, name, default=None):
        return self._writer.get_extra_info(name, default)

    def close(self):
        self._writer.close()

    def is_closing(self):
        return self._writer.is_closing()

    def abort(self):
        self._writer._raw.abort()

    def can_write_eof(self):
        return self._writer.can_write_eof()

    def write_eof(self):
        self._writer.write_eof()

    def get_write_buffer_size(self):
        return self._writer._raw.write_buffer_size()

    def set_write_buffer_limits(self, high=None, low=None):
        _errors.sync(self._writer._raw.set_write_buffer_limits, high, low)

    def get_write_buffer_limits(self):
        return tuple(self._writer._raw.get_write_buffer_limits())


class StreamWriter:
    """asyncio's `StreamWriter`."""

    def __init__(self, raw, reader=None, server_side=False):
        self._raw = raw
        self._reader = reader
        self._server_side = server_side
        self.transport = _Transport(self)
        _open.track_writer(self)

    def write(self, data):
        _errors.sync(self._raw.write, bytes(data))

    def writelines(self, data):
        _errors.sync(self._raw.writelines, [bytes(d) for d in data])

    def write_eof(self):
        _errors.sync(self._raw.write_eof)

    def can_write_eof(self):
        return self._raw.can_write_eof()

    def close(self):
        self._raw.close()

    def is_closing(self):
        return self._raw.is_closing()

    async def wait_closed(self):
        await _errors.call(self._raw.wait_closed())

    async def drain(self):
        await _errors.call(self._raw.drain())

    def get_extra_info(self, name, default=None):
        info = self._raw.get_extra_info()
        if name == "peername":
            return _address(info.peername) if info.peername is not None else default
        if name == "sockname":
            return _address(info.sockname) if info.sockname is not None else default
        if name == "ssl_object":
            return _SslObject(info.tls) if info.tls is not None else default
        if name == "peercert":
            return _SslObject(info.tls).getpeercert() if info.tls is not None else default
        return default

    async def start_tls(
        self, sslcontext, *, server_hostname=None, ssl_handshake_timeout=None,
        ssl_shutdown_timeout=None,
    ):
        # As asyncio: a connection a server accepted takes the server side.
        if self._server_side:
            tls = _server_tls(sslcontext, ssl_handshake_timeout, ssl_shutdown_timeout)
            side = wit.TlsSide_Server(tls)
        else:
            tls = _client_tls(
                sslcontext or True, server_hostname, ssl_handshake_timeout, ssl_shutdown_timeout
            )
            side = wit.TlsSide_Client(tls)
        await _errors.call(self._raw.start_tls(side))

    def __repr__(self):
        return f"<StreamWriter peername={self.get_extra_info('peername')!r}>"


class _ListeningSocket:
    """An entry of `Server.sockets`: what asyncio code asks of it."""

    def __init__(self, address):
        self._address = address

    def getsockname(self):
        return _address(self._address)

    @property
    def family(self):
        if isinstance(self._address, wit.SocketAddress_Ipv6):
            return socket.AF_INET6
        if isinstance(self._address, wit.SocketAddress_Unix):
            return socket.AF_UNIX
        return socket.AF_INET


class Server:
    """asyncio's `Server`, serving each client with `client_connected_cb`."""

    def __init__(self, raw, client_connected_cb, limit):
        self._raw = raw
        self._callback = client_connected_cb
        self._limit = limit
        self._accepting = None
        self._serving_forever = None
        _open.track_server(self)

    @property
    def sockets(self):
        return tuple(_ListeningSocket(a) for a in self._raw.sockets())

    def get_loop(self):
        return asyncio.get_running_loop()

    def is_serving(self):
        return self._raw.is_serving()

    async def start_serving(self):
        _errors.sync(self._raw.start_serving)
        self._accept_in_background()

    def _accept_in_background(self):
        if self._accepting is None:
            self._accepting = asyncio.get_running_loop().create_task(self._accept_loop())

    async def _accept_loop(self):
        while True:
            try:
                raw_reader, raw_writer = await _errors.call(self._raw.accept())
            except (RuntimeError, OSError):
                return
            reader = StreamReader(raw_reader, self._limit)
            writer = StreamWriter(raw_writer, reader, server_side=True)
            asyncio.get_running_loop().create_task(self._serve(reader, writer))

    async def _serve(self, reader, writer):
        try:
            result = self._callback(reader, writer)
            if asyncio.iscoroutine(result):
                await result
        except asyncio.CancelledError:
            raise
        except Exception:
            # asyncio logs a failing client callback and goes on serving.
            print("Unhandled exception in client_connected_cb", file=sys.stderr)
            traceback.print_exc()
            writer.close()

    def close(self):
        self._raw.close()
        if self._serving_forever is not None and not self._serving_forever.done():
            self._serving_forever.cancel()

    def close_clients(self):
        self._raw.close_clients()

    def abort_clients(self):
        self._raw.abort_clients()

    async def wait_closed(self):
        await self._raw.wait_closed()

    async def serve_forever(self):
        if self._serving_forever is not None:
            raise RuntimeError(f"server {self!r} is already being awaited on serve_forever()")
        if not self.is_serving():
            await self.start_serving()
        self._serving_forever = asyncio.get_running_loop().create_future()
        try:
            await self._serving_forever
        except asyncio.CancelledError:
            try:
                self.close()
                await self.wait_closed()
            finally:
                raise
        finally:
            self._serving_forever = None

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        self.close()
        await self.wait_closed()


async def open_connection(
    host=None, port=None, *, limit=_DEFAULT_LIMIT, ssl=None, family=0, proto=0,
    flags=0, sock=None, local_addr=None, server_hostname=None,
    ssl_handshake_timeout=None, ssl_shutdown_timeout=None,
    happy_eyeballs_delay=None, interleave=None, **kwds,
):
    """`asyncio.open_connection`."""
    if sock is not None:
        raise NotImplementedError("sock= has no meaning inside a component")
    options = wit.ConnectOptions(
        limit=limit,
        family=_family(family),
        local_address=tuple(local_addr[:2]) if local_addr else None,
        happy_eyeballs_delay=_nanos(happy_eyeballs_delay),
        interleave=interleave,
        tls=_client_tls(ssl, server_hostname, ssl_handshake_timeout, ssl_shutdown_timeout),
        connect_timeout=None,
    )
    raw_reader, raw_writer = await _errors.call(wit.open_connection(host or "", port or 0, options))
    reader = StreamReader(raw_reader, limit)
    return reader, StreamWriter(raw_writer, reader)


async def start_server(
    client_connected_cb, host=None, port=None, *, limit=_DEFAULT_LIMIT, family=0,
    flags=0, sock=None, backlog=100, ssl=None, reuse_address=None, reuse_port=None,
    keep_alive=None, ssl_handshake_timeout=None, ssl_shutdown_timeout=None,
    start_serving=True, **kwds,
):
    """`asyncio.start_server`."""
    if sock is not None:
        raise NotImplementedError("sock= has no meaning inside a component")
    if host is None or host == "":
        hosts = []
    elif isinstance(host, str):
        hosts = [host]
    else:
        hosts = list(host)
    options = wit.ServerOptions(
        limit=limit,
        family=_family(family),
        backlog=backlog,
        reuse_address=reuse_address,
        reuse_port=bool(reuse_port),
        keep_alive=bool(keep_alive),
        start_serving=start_serving,
        tls=_server_tls(ssl, ssl_handshake_timeout, ssl_shutdown_timeout),
    )
    raw = await _errors.call(wit.start_server(hosts, port or 0, options))
    server = Server(raw, client_connected_cb, limit)
    if start_serving:
        server._accept_in_background()
    return server


async def open_unix_connection(
    path=None, *, limit=_DEFAULT_LIMIT, ssl=None, sock=None, server_hostname=None,
    ssl_handshake_timeout=None, ssl_shutdown_timeout=None, **kwds,
):
    """`asyncio.open_unix_connection`."""
    options = wit.UnixConnectOptions(
        limit=limit,
        tls=_client_tls(ssl, server_hostname, ssl_handshake_timeout, ssl_shutdown_timeout),
        connect_timeout=None,
    )
    raw_reader, raw_writer = await _errors.call(wit.open_unix_connection(str(path), options))
    reader = StreamReader(raw_reader, limit)
    return reader, StreamWriter(raw_writer, reader)


async def start_unix_server(
    client_connected_cb, path=None, *, limit=_DEFAULT_LIMIT, sock=None, backlog=100,
    ssl=None, ssl_handshake_timeout=None, ssl_shutdown_timeout=None,
    start_serving=True, cleanup_socket=True, **kwds,
):
    """`asyncio.start_unix_server`."""
    options = wit.UnixServerOptions(
        limit=limit,
        backlog=backlog,
        start_serving=start_serving,
        cleanup_socket=cleanup_socket,
        tls=_server_tls(ssl, ssl_handshake_timeout, ssl_shutdown_timeout),
    )
    raw = await _errors.call(wit.start_unix_server(str(path), options))
    server = Server(raw, client_connected_cb, limit)
    if start_serving:
        server._accept_in_background()
    return server
