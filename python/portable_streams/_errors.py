"""The interface's errors as the exceptions asyncio raises for them."""

import asyncio
import errno
import socket

from componentize_py_types import Err
from wit_world.imports import streams as wit

try:
    from ssl import SSLError as _TlsError
except ImportError:  # CPython inside the component has no OpenSSL.

    class _TlsError(OSError):
        """asyncio's `ssl.SSLError`: a TLS handshake or record failed."""


#: The `ssl.SSLError` raised for the interface's `tls` errors.
SSLError = _TlsError

try:
    from ssl import SSLCertVerificationError
except ImportError:

    class SSLCertVerificationError(SSLError, ValueError):
        """asyncio's `ssl.SSLCertVerificationError`: the peer's certificate
        did not verify (the interface's `tls` error saying so)."""

        verify_code = None

        @property
        def verify_message(self):
            return str(self)


try:
    from ssl import (
        SSLEOFError,
        SSLSyscallError,
        SSLWantReadError,
        SSLWantWriteError,
        SSLZeroReturnError,
    )
except ImportError:

    class SSLZeroReturnError(SSLError):
        """The TLS connection was closed cleanly."""

    class SSLWantReadError(SSLError):
        """More data must be read first."""

    class SSLWantWriteError(SSLError):
        """More data must be written first."""

    class SSLSyscallError(SSLError):
        """A system error under TLS."""

    class SSLEOFError(SSLError):
        """The connection ended in violation of TLS."""


#: How the interface's `tls` error for a certificate that did not verify
#: begins (core's `handshake_error`).
_VERIFY_FAILED = "certificate verify failed"


def exception(error):
    """The asyncio exception for one `wit.Error` case."""
    value = error.value
    if isinstance(error, wit.Error_Tls) and value.startswith(_VERIFY_FAILED):
        return SSLCertVerificationError(value)
    if isinstance(error, wit.Error_IncompleteRead):
        return asyncio.IncompleteReadError(value.partial, value.expected)
    if isinstance(error, wit.Error_LimitOverrun):
        return asyncio.LimitOverrunError(value.message, value.consumed)
    simple = {
        wit.Error_InvalidArgument: ValueError,
        wit.Error_ConnectionRefused: ConnectionRefusedError,
        wit.Error_ConnectionReset: ConnectionResetError,
        wit.Error_ConnectionAborted: ConnectionAbortedError,
        wit.Error_Timeout: TimeoutError,
        wit.Error_NameUnresolvable: socket.gaierror,
        wit.Error_AccessDenied: PermissionError,
        wit.Error_Closed: RuntimeError,
        wit.Error_Busy: RuntimeError,
        wit.Error_Unsupported: NotImplementedError,
        wit.Error_Tls: SSLError,
    }
    for case, cls in simple.items():
        if isinstance(error, case):
            return cls(value)
    codes = {
        wit.Error_HostUnreachable: errno.EHOSTUNREACH,
        wit.Error_AddressInUse: errno.EADDRINUSE,
        wit.Error_AddressNotAvailable: errno.EADDRNOTAVAIL,
    }
    for case, code in codes.items():
        if isinstance(error, case):
            return OSError(code, value)
    return OSError(value)


async def call(awaitable):
    """Awaits an interface call, raising asyncio's exception on error."""
    try:
        return await awaitable
    except Err as err:
        raise exception(err.value) from None


def sync(function, *args):
    """Calls a synchronous interface function, raising asyncio's exception."""
    try:
        return function(*args)
    except Err as err:
        raise exception(err.value) from None
