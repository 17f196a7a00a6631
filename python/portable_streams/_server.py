"""asyncio's `Server` over one `portable:streams` server: what
`loop.create_server` and `loop.create_unix_server` return (and so
`asyncio.start_server`), serving each accepted connection with a new
protocol from the factory over a `Transport`."""

import asyncio
import socket

from wit_world.imports import streams as wit

from . import _errors, _open, _transport


class ListeningSocket:
    """An entry of `Server.sockets`: what asyncio code asks of one."""

    def __init__(self, address):
        self._address = address

    def getsockname(self):
        return _transport.address(self._address)

    @property
    def family(self):
        if isinstance(self._address, wit.SocketAddress_Ipv6):
            return socket.AF_INET6
        if isinstance(self._address, wit.SocketAddress_Unix):
            return socket.AF_UNIX
        return socket.AF_INET

    @property
    def type(self):
        return socket.SOCK_STREAM

    def fileno(self):
        return -1

    def __repr__(self):
        return f"<listening socket {self.getsockname()!r}>"


class Server(asyncio.AbstractServer):
    """asyncio's `Server`."""

    def __init__(self, loop, raw, protocol_factory, sslcontext):
        self._loop = loop
        self._raw = raw
        self._factory = protocol_factory
        self._sslcontext = sslcontext
        self._accepting = None
        self._serving_forever = None
        self._clients = set()
        self._gone = []
        self._closed = False
        _open.track_server(self)

    @property
    def sockets(self):
        if self._closed:
            return ()
        return tuple(ListeningSocket(a) for a in self._raw.sockets())

    def get_loop(self):
        return self._loop

    def is_serving(self):
        return self._raw.is_serving()

    async def start_serving(self):
        _errors.sync(self._raw.start_serving)
        self._accept_in_background()
        # As asyncio: let the listening begin before returning.
        await asyncio.sleep(0)

    def _accept_in_background(self):
        if self._accepting is None:
            self._accepting = self._loop.create_task(self._accept_loop())

    async def _accept_loop(self):
        while True:
            try:
                raw_reader, raw_writer = await _errors.call(self._raw.accept())
            except (RuntimeError, OSError):
                return
            try:
                protocol = self._factory()
            except Exception as error:
                raw_writer.abort()
                self._loop.call_exception_handler(
                    {"message": "Error in protocol factory", "exception": error}
                )
                continue
            transport = _transport.Transport(
                self._loop, raw_reader, raw_writer, protocol, server=self,
                sslcontext=self._sslcontext,
            )
            transport._start()

    def _attach(self, transport):
        self._clients.add(transport)

    def _detach(self, transport):
        self._clients.discard(transport)
        if not self._clients:
            for waiter in self._gone:
                if not waiter.done():
                    waiter.set_result(None)
            self._gone.clear()

    def close(self):
        if self._closed:
            return
        self._closed = True
        self._raw.close()
        if self._serving_forever is not None and not self._serving_forever.done():
            self._serving_forever.cancel()
            self._serving_forever = None

    def close_clients(self):
        for transport in list(self._clients):
            transport.close()

    def abort_clients(self):
        for transport in list(self._clients):
            transport.abort()

    async def wait_closed(self):
        # As asyncio (3.12+): once closed and every client is gone.
        if not self._closed:
            await self._raw.wait_closed()
        if self._clients:
            waiter = self._loop.create_future()
            self._gone.append(waiter)
            await waiter

    async def serve_forever(self):
        if self._serving_forever is not None:
            raise RuntimeError(f"server {self!r} is already being awaited on serve_forever()")
        if self._closed:
            raise RuntimeError(f"server {self!r} is closed")
        if not self.is_serving():
            await self.start_serving()
        self._serving_forever = self._loop.create_future()
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

    def __repr__(self):
        return f"<Server sockets={self.sockets!r}>"
