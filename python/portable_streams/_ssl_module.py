"""The `ssl` module inside a component.

CPython inside a component has no OpenSSL, so the standard `ssl` module
cannot load, yet many libraries import it at their top and build a context
with `ssl.create_default_context()`. This module stands in for it: its
`SSLContext` is the package's `TLSContext`, which the loop hands to the
interface's TLS (rustls, verifying against the web's roots plus any
loaded), `MemoryBIO` and `SSLObject` are TLS over memory (the interface's
`tls-object`), and its errors and constants are the names libraries refer
to. What it cannot give (sockets, OpenSSL details) is absent.
"""

import enum

from . import _errors, _memory_tls, _tls

SSLError = _errors.SSLError


SSLZeroReturnError = _errors.SSLZeroReturnError
SSLWantReadError = _errors.SSLWantReadError
SSLWantWriteError = _errors.SSLWantWriteError
SSLSyscallError = _errors.SSLSyscallError
SSLEOFError = _errors.SSLEOFError
SSLCertVerificationError = _errors.SSLCertVerificationError


CertificateError = SSLCertVerificationError


class Purpose(enum.Enum):
    """What a default context is for."""

    SERVER_AUTH = "1.3.6.1.5.5.7.3.1"
    CLIENT_AUTH = "1.3.6.1.5.5.7.3.2"


class VerifyMode(enum.IntEnum):
    """How a peer's certificate is checked."""

    CERT_NONE = 0
    CERT_OPTIONAL = 1
    CERT_REQUIRED = 2


CERT_NONE, CERT_OPTIONAL, CERT_REQUIRED = VerifyMode


class TLSVersion(enum.IntEnum):
    """TLS versions (the interface speaks 1.2 and 1.3)."""

    MINIMUM_SUPPORTED = -2
    MAXIMUM_SUPPORTED = -1
    SSLv3 = 768
    TLSv1 = 769
    TLSv1_1 = 770
    TLSv1_2 = 771
    TLSv1_3 = 772


class _SSLMethod(enum.IntEnum):
    PROTOCOL_TLS = 2
    PROTOCOL_TLS_CLIENT = 16
    PROTOCOL_TLS_SERVER = 17


PROTOCOL_TLS = PROTOCOL_SSLv23 = _SSLMethod.PROTOCOL_TLS
PROTOCOL_TLS_CLIENT = _SSLMethod.PROTOCOL_TLS_CLIENT
PROTOCOL_TLS_SERVER = _SSLMethod.PROTOCOL_TLS_SERVER

OP_ALL = 0x80000054
OP_NO_SSLv2 = 0
OP_NO_SSLv3 = 0x02000000
OP_NO_TLSv1 = 0x04000000
OP_NO_TLSv1_1 = 0x10000000
OP_NO_TLSv1_2 = 0x08000000
OP_NO_TLSv1_3 = 0x20000000
OP_NO_COMPRESSION = 0x20000
OP_NO_TICKET = 0x4000
OP_NO_RENEGOTIATION = 0x40000000
OP_CIPHER_SERVER_PREFERENCE = 0x400000
OP_SINGLE_DH_USE = 0
OP_SINGLE_ECDH_USE = 0
VERIFY_DEFAULT = 0
VERIFY_X509_STRICT = 0x20
VERIFY_X509_PARTIAL_CHAIN = 0x80000

HAS_SNI = True
HAS_ALPN = True
HAS_ECDH = True
HAS_NEVER_CHECK_COMMON_NAME = True
HAS_TLSv1_2 = True
HAS_TLSv1_3 = True
OPENSSL_VERSION = "rustls (through portable:streams)"
OPENSSL_VERSION_INFO = (3, 0, 0, 0, 0)
OPENSSL_VERSION_NUMBER = 0x30000000
CHANNEL_BINDING_TYPES = []


class SSLContext(_tls.TLSContext):
    """`ssl.SSLContext`: the interface's TLS settings."""

    def __init__(self, protocol=None, *args, **kwargs):
        super().__init__(protocol)
        self.verify_mode = CERT_NONE if protocol == PROTOCOL_TLS_SERVER else CERT_REQUIRED
        self.check_hostname = protocol != PROTOCOL_TLS_SERVER

    def wrap_bio(self, incoming, outgoing, server_side=False, server_hostname=None, session=None):
        """TLS over memory: an `SSLObject` reading the peer's ciphertext from
        the `MemoryBIO` `incoming` and writing its own to `outgoing`."""
        return _memory_tls.wrap_bio(self, incoming, outgoing, server_side, server_hostname)


MemoryBIO = _memory_tls.MemoryBIO
SSLObject = _memory_tls.SSLObject


class SSLSocket:
    """For `isinstance` checks: a component has no sockets of its own."""


def create_default_context(purpose=Purpose.SERVER_AUTH, *, cafile=None, capath=None, cadata=None):
    """`ssl.create_default_context`: a client context verifying the peer
    (the web's roots, plus `cafile`/`cadata`), or a server one."""
    protocol = PROTOCOL_TLS_SERVER if purpose == Purpose.CLIENT_AUTH else PROTOCOL_TLS_CLIENT
    context = SSLContext(protocol)
    if cafile or capath or cadata:
        context.load_verify_locations(cafile, capath, cadata)
    return context


_create_default_https_context = create_default_context


def _create_unverified_context(*args, **kwargs):
    """Refused: the interface always verifies the server."""
    raise NotImplementedError("the interface's TLS always verifies the server's certificate")


def get_default_verify_paths():
    """No files: the interface carries the web's roots itself."""
    raise NotImplementedError("the interface's TLS carries the web's roots itself; no paths")


def __getattr__(name):
    raise AttributeError(
        f"ssl.{name} is not available inside a component: its TLS is the interface's, "
        "configured through SSLContext (load_verify_locations, load_cert_chain, "
        "set_alpn_protocols, wrap_bio)"
    )
