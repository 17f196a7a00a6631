"""TLS as the component's `ssl=` arguments give it: `TLSContext` (the part
of `ssl.SSLContext` the interface takes), the interface's TLS options built
from it, and what `get_extra_info('ssl_object')` returns.

CPython inside a component has no OpenSSL; the TLS itself is the
interface's (rustls, in the host or the guest).
"""

from wit_world.imports import streams as wit

from . import _x509


#: Root bundles that are the web's roots, which the interface trusts.
_WEB_ROOTS = ("certifi/cacert.pem",)


def nanos(seconds):
    """Seconds as the interface's nanoseconds (None stays None)."""
    return None if seconds is None else int(seconds * 1_000_000_000)


class TLSContext:
    """The part of `ssl.SSLContext` the interface takes: trust roots in PEM,
    ALPN, and a server's certificate chain and key in PEM. Attributes a
    library sets on a context (`check_hostname`, `verify_mode`, versions)
    are accepted; the interface always verifies the peer of a client."""

    def __init__(self, protocol=None, *args, **kwargs):
        self.protocol = protocol
        self.cadata = []
        self.alpn = []
        self.chain = None
        self.key = None
        self.check_hostname = True
        self.verify_mode = 2
        self.minimum_version = None
        self.maximum_version = None
        self.options = 0

    def load_verify_locations(self, cafile=None, capath=None, cadata=None):
        """Adds trust roots: `cadata` (PEM text), or `cafile` read now. The
        web's root bundle certifi ships (a data file, which a component
        does not carry) is what the interface trusts already."""
        if cafile is not None and str(cafile).replace("\\", "/").endswith(_WEB_ROOTS):
            cafile = None
        if cafile is not None:
            with open(cafile, encoding="ascii") as f:
                self.cadata.append(f.read())
        if cadata is not None:
            self.cadata.append(cadata if isinstance(cadata, str) else cadata.decode("ascii"))

    def load_default_certs(self, purpose=None):
        """The interface's client trusts the web's roots already."""

    def set_default_verify_paths(self):
        """The interface's client trusts the web's roots already."""

    def load_cert_chain(self, certfile, keyfile=None, password=None):
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

    def set_ciphers(self, ciphers):
        """Accepted and ignored: the interface picks from its safe suites."""


def client_options(ssl, server_hostname, handshake_timeout, shutdown_timeout):
    """The interface's client TLS options for `ssl=` (None without TLS)."""
    if not ssl:
        return None
    context = ssl if isinstance(ssl, TLSContext) else TLSContext()
    return wit.ClientTlsOptions(
        server_name=server_hostname,
        extra_root_certificates=list(context.cadata),
        handshake_timeout=nanos(handshake_timeout),
        shutdown_timeout=nanos(shutdown_timeout),
        alpn_protocols=list(context.alpn),
    )


def server_options(ssl, handshake_timeout, shutdown_timeout):
    """The interface's server TLS options for `ssl=` (None without TLS)."""
    if not ssl:
        return None
    if not isinstance(ssl, TLSContext) or ssl.chain is None:
        raise ValueError("a TLS server needs a TLSContext with load_cert_chain()")
    return wit.ServerTlsOptions(
        certificate_chain=ssl.chain,
        private_key=ssl.key,
        handshake_timeout=nanos(handshake_timeout),
        shutdown_timeout=nanos(shutdown_timeout),
        alpn_protocols=list(ssl.alpn),
    )


class SslObject:
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
        """The peer's certificate: DER, or CPython's dict of its fields."""
        certs = self._tls.peer_certificates
        if not certs:
            return None
        if binary_form:
            return certs[0]
        return _x509.peer_certificate(certs[0])
