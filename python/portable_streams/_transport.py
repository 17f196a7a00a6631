"""asyncio's socket transport over one `portable:streams` connection.

The event loop gives a protocol this transport as CPython's selector loop
gives its `_SelectorSocketTransport`, with the same calls in the same
order: `connection_made`, then `data_received` for each chunk read while
reading is on, `eof_received` (the transport closes unless it returns
true), `pause_writing` / `resume_writing` around the write buffer's high
and low marks, and `connection_lost` once, last.

The interface keeps the buffers and does the I/O: a read loop asks the
connection's reader for up to 256 KiB at a time (asyncio's `max_size`),
`write` queues on its writer, and its `drain` says when the buffer fell to
the low mark. The interface reads its socket only while a read waits, so
`pause_reading` is exact: the loop stops asking. A read already asked
when reading pauses keeps its chunk for `resume_reading`: nothing is lost.
"""

import asyncio
import socket
import sys

from wit_world.imports import streams as wit

from . import _errors, _open, _tls

#: The most bytes one read asks for (asyncio's `max_size`).
MAX_SIZE = 256 * 1024

#: asyncio's default high-water mark of the write buffer.
HIGH_WATER = 64 * 1024


def address(value):
    """A `wit.SocketAddress` as asyncio gives addresses."""
    if isinstance(value, wit.SocketAddress_Ipv4):
        return (value.value.host, value.value.port)
    if isinstance(value, wit.SocketAddress_Ipv6):
        v = value.value
        return (v.host, v.port, v.flow_info, v.scope_id)
    if isinstance(value, wit.SocketAddress_Unix):
        return value.value
    return None


class SocketView:
    """What `get_extra_info('socket')` gives: asyncio's `TransportSocket`
    (addresses, family, type; options read back) for a connection whose
    socket the interface holds."""

    def __init__(self, transport):
        self._transport = transport

    @property
    def family(self):
        peer = self._transport.get_extra_info("peername")
        if isinstance(peer, str):
            return socket.AF_UNIX
        return socket.AF_INET6 if peer is not None and len(peer) == 4 else socket.AF_INET

    @property
    def type(self):
        return socket.SOCK_STREAM

    @property
    def proto(self):
        return 0 if self.family == socket.AF_UNIX else socket.IPPROTO_TCP

    def fileno(self):
        return -1

    def getpeername(self):
        return self._transport.get_extra_info("peername")

    def getsockname(self):
        return self._transport.get_extra_info("sockname")

    def getsockopt(self, level, option, buflen=None):
        # The native backend sets TCP_NODELAY, as asyncio does (the guest
        # backend cannot: wasi:sockets has no such option, see the README);
        # the rest are the system's defaults, which a component cannot read.
        if (level, option) == (socket.IPPROTO_TCP, getattr(socket, "TCP_NODELAY", 1)):
            return 1
        raise OSError(f"socket option ({level}, {option}) cannot be read inside a component")

    def setsockopt(self, level, option, value, optlen=None):
        if (level, option) == (socket.IPPROTO_TCP, getattr(socket, "TCP_NODELAY", 1)):
            return
        # Keep-alive probes only tell a dead peer apart after hours; asking
        # for them (aiohttp's server does, on every connection) is
        # accepted, but the interface sets keep-alive only when a server
        # is started (`keep_alive=`), not on a connection made.
        if (level, option) == (socket.SOL_SOCKET, getattr(socket, "SO_KEEPALIVE", None)):
            return
        raise OSError(f"socket option ({level}, {option}) cannot be set inside a component")

    def __repr__(self):
        return f"<socket view peername={self.getpeername()!r}>"


class Transport(asyncio.Transport):
    """asyncio's `Transport` for one connection of the interface."""

    def __init__(self, loop, raw_reader, raw_writer, protocol, *, server=None, sslcontext=None):
        super().__init__()
        self._loop = loop
        self._raw_reader = raw_reader
        self._raw_writer = raw_writer
        self._protocol = protocol
        self._server = server
        self._sslcontext = sslcontext
        self._closing = False
        self._eof_written = False
        self._paused = False
        self._resumed = None
        self._held = None
        self._protocol_paused = False
        self._draining = None
        self._lost = False
        self._lost_writes = 0
        self._high = HIGH_WATER
        self._low = HIGH_WATER // 4
        self._reading = None
        _errors.sync(raw_writer.set_write_buffer_limits, self._high, self._low)
        _open.track_transport(self)
        if server is not None:
            server._attach(self)

    def _start(self):
        """`connection_made`, then reading and the watch for the end. As
        asyncio (which calls `connection_made` as a callback), an exception
        from it goes to the loop's exception handler and the connection
        goes on: a server keeps accepting."""
        try:
            self._protocol.connection_made(self)
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as error:
            self._loop.call_exception_handler(
                {
                    "message": f"Exception in callback {self._protocol.connection_made!r}",
                    "exception": error,
                    "protocol": self._protocol,
                    "transport": self,
                }
            )
        self._reading = self._loop.create_task(self._read_loop())
        self._loop.create_task(self._watch_closed())

    # ---- reading ----

    async def _read_loop(self):
        while not self._closing:
            if self._paused:
                self._resumed = self._loop.create_future()
                await self._resumed
                continue
            if self._held is not None:
                data, self._held = self._held, None
            else:
                try:
                    data = await _errors.call(self._raw_reader.read(MAX_SIZE))
                except (OSError, RuntimeError, ValueError) as error:
                    if not self._closing:
                        self._force_close(error)
                    return
                if self._closing:
                    return
                if self._paused and data:
                    self._held = data
                    continue
            if not data:
                self._eof_received()
                return
            try:
                self._protocol.data_received(data)
            except BaseException as error:
                self._fatal_error(error, "Fatal error: protocol.data_received() call failed.")
                return
            # As CPython's loop runs the callbacks the data made ready before
            # it reads again: what the protocol does next (a STARTTLS reply
            # and `start_tls`, say) reaches the interface before the next
            # read takes bytes meant for it.
            await asyncio.sleep(0)

    def _eof_received(self):
        try:
            keep_open = self._protocol.eof_received()
        except BaseException as error:
            self._fatal_error(error, "Fatal error: protocol.eof_received() call failed.")
            return
        if not keep_open:
            self.close()

    def pause_reading(self):
        if self._closing or self._paused:
            return
        self._paused = True

    def resume_reading(self):
        if self._closing or not self._paused:
            return
        self._paused = False
        if self._resumed is not None and not self._resumed.done():
            self._resumed.set_result(None)

    def is_reading(self):
        return not self._paused and not self._closing

    # ---- writing ----

    def write(self, data):
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(
                f"data argument must be a bytes-like object, not {type(data).__name__!r}"
            )
        if self._eof_written:
            raise RuntimeError("Cannot call write() after write_eof()")
        if not data:
            return
        if self._lost or self._closing:
            # asyncio drops writes once the connection is lost or closing.
            self._lost_writes += 1
            if self._lost_writes >= 5:
                print("socket.send() raised exception.", file=sys.stderr)
            return
        _errors.sync(self._raw_writer.write, bytes(data))
        self._maybe_pause_protocol()

    def writelines(self, list_of_data):
        # One write of the items joined, as asyncio's transports make one
        # send of them: item by item, each small item went out as a
        # segment of its own, and on the guest backend, where Nagle's
        # algorithm stays on (see the README), the second then waited for
        # the peer's delayed ACK.
        self.write(b"".join(list_of_data))

    def write_eof(self):
        if self._closing or self._eof_written:
            return
        self._eof_written = True
        _errors.sync(self._raw_writer.write_eof)

    def can_write_eof(self):
        return self._raw_writer.can_write_eof()

    def get_write_buffer_size(self):
        return self._raw_writer.write_buffer_size()

    def get_write_buffer_limits(self):
        return (self._low, self._high)

    def set_write_buffer_limits(self, high=None, low=None):
        if high is None:
            high = HIGH_WATER if low is None else 4 * low
        if low is None:
            low = high // 4
        if not high >= low >= 0:
            raise ValueError(f"high ({high!r}) must be >= low ({low!r}) must be >= 0")
        self._high, self._low = high, low
        _errors.sync(self._raw_writer.set_write_buffer_limits, high, low)
        self._maybe_pause_protocol()

    def _maybe_pause_protocol(self):
        if self._protocol_paused or self.get_write_buffer_size() <= self._high:
            return
        self._protocol_paused = True
        try:
            self._protocol.pause_writing()
        except BaseException as error:
            self._report("protocol.pause_writing() failed", error)
        if self._draining is None:
            self._draining = self._loop.create_task(self._wait_for_low_water())

    async def _wait_for_low_water(self):
        # The interface's drain returns once the buffer is at the low mark.
        try:
            await _errors.call(self._raw_writer.drain())
        except (OSError, RuntimeError):
            return
        finally:
            self._draining = None
        self._maybe_resume_protocol()

    def _maybe_resume_protocol(self):
        """`resume_writing` once the buffer is at the low mark, whoever
        notices first: the drain above, or a `close` that comes before its
        answer reached the loop."""
        if not self._protocol_paused or self._lost:
            return
        if self._raw_writer.write_buffer_size() > self._low:
            return
        self._protocol_paused = False
        try:
            self._protocol.resume_writing()
        except BaseException as error:
            self._report("protocol.resume_writing() failed", error)

    # ---- the end ----

    def is_closing(self):
        return self._closing

    def close(self):
        if self._closing:
            return
        self._maybe_resume_protocol()
        self._closing = True
        self._wake_reader()
        flushed = self._raw_writer.write_buffer_size() == 0
        self._raw_writer.close()
        if flushed:
            # As asyncio: with nothing left to send, the protocol hears of
            # the end at the loop's next turn (the interface closes the
            # socket meanwhile).
            self._connection_lost(None)

    def abort(self):
        self._force_close(None)

    def _force_close(self, error):
        if self._lost:
            return
        self._closing = True
        self._wake_reader()
        self._raw_writer.abort()
        self._connection_lost(error)

    def _fatal_error(self, error, message):
        if not isinstance(error, OSError):
            self._report(message, error)
        self._force_close(error)

    def _wake_reader(self):
        if self._resumed is not None and not self._resumed.done():
            self._resumed.set_result(None)

    async def _watch_closed(self):
        """Reports the end once the interface closed the connection (after
        `close`, or when it was lost with the reader no longer reading)."""
        try:
            await _errors.call(self._raw_writer.wait_closed())
            error = None
        except (OSError, RuntimeError) as lost:
            error = lost
        # A reading loop reports a loss itself, after the bytes before it.
        while (
            not self._closing
            and not self._paused
            and self._reading is not None
            and not self._reading.done()
        ):
            await asyncio.wait([self._reading], timeout=0.05)
        self._connection_lost(error)

    def _connection_lost(self, error):
        if self._lost:
            return
        self._lost = True
        self._closing = True
        if self._draining is not None:
            self._draining.cancel()
        self._loop.call_soon(self._call_connection_lost, error)

    def _call_connection_lost(self, error):
        try:
            self._protocol.connection_lost(error)
        finally:
            if self._server is not None:
                self._server._detach(self)
                self._server = None

    def _report(self, message, error):
        self._loop.call_exception_handler(
            {"message": message, "exception": error, "transport": self, "protocol": self._protocol}
        )

    # ---- the rest ----

    def get_protocol(self):
        return self._protocol

    def set_protocol(self, protocol):
        self._protocol = protocol

    def get_extra_info(self, name, default=None):
        if name == "sslcontext":
            return self._sslcontext if self._sslcontext is not None else default
        if name == "socket":
            return SocketView(self)
        if name in ("pipe", "subprocess"):
            return default
        info = self._raw_writer.get_extra_info()
        if name == "peername":
            return address(info.peername) if info.peername is not None else default
        if name == "sockname":
            return address(info.sockname) if info.sockname is not None else default
        if name == "ssl_object":
            return _tls.SslObject(info.tls) if info.tls is not None else default
        if name == "peercert":
            return _tls.SslObject(info.tls).getpeercert() if info.tls is not None else default
        if name == "cipher":
            return _tls.SslObject(info.tls).cipher() if info.tls is not None else default
        return default

    def __repr__(self):
        state = "closing" if self._closing else "open"
        return f"<Transport {state} peername={self.get_extra_info('peername')!r}>"


def families(family):
    """asyncio's `family=` as the interface's address family."""
    if family == socket.AF_INET:
        return wit.AddressFamily.IPV4
    if family == socket.AF_INET6:
        return wit.AddressFamily.IPV6
    return wit.AddressFamily.UNSPECIFIED

