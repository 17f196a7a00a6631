"""TLS over memory: `ssl.MemoryBIO` and the `SSLObject` that
`SSLContext.wrap_bio` makes, over the interface's `tls-object` (rustls in
the host or the guest). Libraries that run TLS themselves over a stream of
their own (anyio's TLS streams, hence httpx over HTTPS) use these.

Every call returns at once, as CPython's over OpenSSL: what needs bytes
from the peer raises `SSLWantReadError` after putting what must be sent in
the outgoing BIO.
"""

from componentize_py_types import Err
from wit_world.imports import streams as wit

from . import _errors, _tls


class MemoryBIO:
    """`ssl.MemoryBIO`: bytes written in, read out in order."""

    def __init__(self):
        self._buffer = bytearray()
        self._eof_written = False

    @property
    def pending(self):
        """The number of bytes waiting to be read."""
        return len(self._buffer)

    @property
    def eof(self):
        """Whether `write_eof` was called and every byte was read."""
        return self._eof_written and not self._buffer

    def read(self, size=-1):
        """Up to `size` bytes (all of them if negative), taken out."""
        if size < 0 or size >= len(self._buffer):
            data = bytes(self._buffer)
            self._buffer.clear()
            return data
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data

    def write(self, buf):
        """Appends `buf` (any bytes-like object); returns its length."""
        if self._eof_written:
            raise _errors.SSLError("cannot write() after write_eof()")
        data = memoryview(buf).cast("B")
        self._buffer += data
        return len(data)

    def write_eof(self):
        """No more bytes will be written."""
        self._eof_written = True


def wrap_bio(context, incoming, outgoing, server_side=False, server_hostname=None):
    """`SSLContext.wrap_bio`: an `SSLObject` on `context` over the BIOs."""
    if isinstance(server_hostname, (bytes, bytearray)):
        server_hostname = server_hostname.decode("ascii")
    if server_side:
        side = wit.TlsSide_Server(_tls.server_options(context, None, None))
    else:
        if server_hostname is None:
            # The interface always verifies the server, so it needs its name.
            raise ValueError("check_hostname requires server_hostname")
        side = wit.TlsSide_Client(_tls.client_options(context, server_hostname, None, None))
    session = _errors.sync(wit.tls_over_memory, side)
    return SSLObject(session, context, incoming, outgoing, server_side, server_hostname)


class SSLObject:
    """`ssl.SSLObject`: one TLS session over two `MemoryBIO`s. The
    ciphertext from the peer is read from `incoming`, the ciphertext to send
    written to `outgoing`."""

    def __init__(self, session, context, incoming, outgoing, server_side, server_hostname):
        self._session = session
        self.context = context
        self.server_side = server_side
        self.server_hostname = server_hostname
        self.session = None
        self.session_reused = False
        self._incoming = incoming
        self._outgoing = outgoing
        self._plaintext = bytearray()
        self._peer_closed = False
        self._closing = False
        self._failure = None
        self._info = None

    # The byte moves: ciphertext in from `incoming`, out to `outgoing`.

    def _flush(self):
        data = self._session.take_outgoing()
        # A library that gave up on the connection ended its outgoing BIO.
        if data and not self._outgoing._eof_written:
            self._outgoing.write(data)

    def _advance(self):
        """Takes in what `incoming` holds and sends what is due; a TLS
        failure (kept: every later call raises it again) is raised once its
        alert is in `outgoing`."""
        if self._failure is not None:
            raise self._failure
        data = self._incoming.read()
        if data:
            try:
                received = self._session.receive(data)
            except Err as err:
                self._failure = _errors.exception(err.value)
                self._flush()
                raise self._failure from None
            self._plaintext += received.plaintext
            self._peer_closed |= received.peer_closed
        self._flush()

    def _want_read(self, what):
        """More ciphertext is needed: `SSLEOFError` if none will come."""
        if self._incoming.eof:
            raise _errors.SSLEOFError("EOF occurred in violation of protocol")
        raise _errors.SSLWantReadError(f"The operation did not complete ({what})")

    # `SSLObject`'s calls.

    def do_handshake(self):
        """Carries the handshake as far as the bytes in `incoming` allow."""
        self._advance()
        if self._session.is_handshaking():
            self._want_read("read")

    def read(self, len=1024, buffer=None):
        """Up to `len` bytes of plaintext (into `buffer` if given, returning
        the count); `b""` once the peer closed with `close_notify`."""
        if len < 0:
            raise ValueError("size should not be negative")
        self._advance()
        if len == 0:
            return 0 if buffer is not None else b""
        if self._session.is_handshaking() or not self._plaintext:
            if self._peer_closed:
                return 0 if buffer is not None else b""
            self._want_read("read")
        count = min(len, self.pending())
        data = bytes(self._plaintext[:count])
        del self._plaintext[:count]
        if buffer is not None:
            buffer[:count] = data
            return count
        return data

    def write(self, data):
        """Encrypts `data` into `outgoing`; returns its length. Before the
        handshake is done it carries the handshake instead."""
        self.do_handshake()
        data = bytes(memoryview(data).cast("B"))
        if self._closing:
            raise _errors.SSLError("protocol is shutdown")
        _errors.sync(self._session.write, data)
        self._flush()
        return len(data)

    def unwrap(self):
        """The closing handshake: sends `close_notify`, then waits for the
        peer's (`SSLWantReadError` until it came)."""
        self._advance()
        if not self._closing:
            self._closing = True
            self._session.close()
            self._flush()
        if not self._peer_closed:
            self._want_read("read")
        return None

    def pending(self):
        """Plaintext bytes already decrypted and not read yet."""
        return len(self._plaintext)

    def _details(self):
        if self._info is None:
            info = self._session.info()
            if info is not None:
                self._info = _tls.SslObject(info)
        return self._info

    def version(self):
        """`TLSv1.3` or `TLSv1.2`; None before the handshake is done."""
        details = self._details()
        return details.version() if details else None

    def cipher(self):
        """(suite, version, bits); None before the handshake is done."""
        details = self._details()
        return details.cipher() if details else None

    def shared_ciphers(self):
        """Not known here: None."""
        return None

    def selected_alpn_protocol(self):
        """The protocol ALPN agreed on, if any."""
        details = self._details()
        return details.selected_alpn_protocol() if details else None

    def selected_npn_protocol(self):
        """NPN is not spoken: None."""
        return None

    def compression(self):
        """TLS compression is never used: None."""
        return None

    def getpeercert(self, binary_form=False):
        """The peer's certificate: DER with `binary_form=True`."""
        details = self._details()
        if details is None:
            raise ValueError("handshake not done yet")
        return details.getpeercert(binary_form)

    def get_channel_binding(self, cb_type="tls-unique"):
        """No channel binding types are supported: None."""
        if cb_type != "tls-unique":
            raise ValueError(f"{cb_type!r} channel binding type not implemented")
        return None

    def verify_client_post_handshake(self):
        """Not supported by the interface's TLS."""
        raise NotImplementedError("post-handshake authentication is not supported")
