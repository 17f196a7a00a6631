# TLS over memory (ssl.MemoryBIO and SSLContext.wrap_bio's SSLObject), the
# way libraries that run TLS over streams of their own use it: a client and
# a server in one program, the bytes moved between their BIOs by hand. The
# same lines under CPython (OpenSSL) and as a component.
#   memory_tls.py CA_PEM CHAIN_PEM KEY_PEM
import asyncio
import hashlib
import ssl
import sys

from tls_contexts import server_context

ca, chain, key = sys.argv[1], sys.argv[2], sys.argv[3]


def client_context():
    context = ssl.create_default_context(cadata=ca)
    context.options &= ~getattr(ssl, "OP_IGNORE_UNEXPECTED_EOF", 0)
    context.set_alpn_protocols(["echo/1", "echo/0"])
    return context


class End:
    """One side: its SSLObject and its two BIOs."""

    def __init__(self, context, server_side, name=None):
        self.incoming = ssl.MemoryBIO()
        self.outgoing = ssl.MemoryBIO()
        self.tls = context.wrap_bio(
            self.incoming, self.outgoing, server_side=server_side, server_hostname=name
        )

    def send_to(self, other):
        data = self.outgoing.read()
        if data:
            other.incoming.write(data)
        return len(data)


def outcome(call, *args):
    try:
        return repr(call(*args))
    except ssl.SSLError as e:
        kind = type(e).__name__
        # The component's SSLError is the package's class.
        if isinstance(e, ssl.SSLCertVerificationError):
            return "SSLCertVerificationError"
        if kind in ("SSLWantReadError", "SSLEOFError"):
            return kind
        return "SSLError" if type(e) is ssl.SSLError else f"SSLError ({kind})"
    except (ValueError, RuntimeError) as e:
        return type(e).__name__


def handshake(client, server):
    """Moves flights until both are done; whether each finished."""
    done = [False, False]
    for _ in range(20):
        for i, end in enumerate((client, server)):
            if not done[i]:
                done[i] = outcome(end.tls.do_handshake) == "None"
        client.send_to(server)
        server.send_to(client)
        if all(done):
            break
    return done


def bios():
    bio = ssl.MemoryBIO()
    print("bio write:", bio.write(b"hello world"), "pending:", bio.pending)
    print("bio read:", bio.read(5), bio.read(), "pending:", bio.pending, "eof:", bio.eof)
    bio.write(memoryview(b"tail"))
    bio.write_eof()
    print("after write_eof, eof:", bio.eof, "read:", bio.read(), "eof:", bio.eof)
    print("write after eof:", outcome(bio.write, b"x"))


def exchange():
    client = End(client_context(), False, "localhost")
    server = End(server_context(chain, key), True)
    print("version before:", client.tls.version(), "side:", client.tls.server_side,
          server.tls.server_side, "name:", client.tls.server_hostname)
    print("server reads before the handshake:", outcome(server.tls.read, 10))
    print("handshake done:", handshake(client, server))
    print("version:", client.tls.version(), server.tls.version())
    print("alpn:", client.tls.selected_alpn_protocol(), server.tls.selected_alpn_protocol())
    print("cipher version:", client.tls.cipher()[1])
    print("peer certificate:", len(client.tls.getpeercert(True)) > 100)
    print("peer certificate fields:", client.tls.getpeercert())

    print("server reads with nothing there:", outcome(server.tls.read, 10))
    print("write:", client.tls.write(b"hello over memory\n"))
    client.send_to(server)
    print("server read:", server.tls.read(1024))
    big = bytes(i % 251 for i in range(300_000))
    sent = 0
    view = memoryview(big)
    while sent < len(big):
        sent += server.tls.write(view[sent:sent + 70_000])
    server.send_to(client)
    got = bytearray()
    buffer = bytearray(8192)
    while True:
        try:
            n = client.tls.read(len(buffer), buffer)
        except ssl.SSLWantReadError:
            break
        got += buffer[:n]
    print("big:", len(got), hashlib.sha256(got).hexdigest() == hashlib.sha256(big).hexdigest())

    print("client unwrap:", outcome(client.tls.unwrap))
    client.send_to(server)
    print("server read after close_notify:", outcome(server.tls.read, 10))
    print("server unwrap:", outcome(server.tls.unwrap))
    server.send_to(client)
    print("client unwrap again:", outcome(client.tls.unwrap))
    print("write after unwrap:", outcome(client.tls.write, b"late"))


def ragged_eof():
    client = End(client_context(), False, "localhost")
    server = End(server_context(chain, key), True)
    print("handshake done:", handshake(client, server))
    client.tls.write(b"partial")
    client.send_to(server)
    server.incoming.write_eof()
    print("read before the end:", outcome(server.tls.read, 100))
    print("read at the end:", outcome(server.tls.read, 100))


def wrong_name():
    client = End(client_context(), False, "example.com")
    server = End(server_context(chain, key), True)
    print("client hello sent:", client.send_to(server) == 0 and outcome(client.tls.do_handshake))
    client.send_to(server)
    print("server:", outcome(server.tls.do_handshake))
    server.send_to(client)
    print("client:", outcome(client.tls.do_handshake))
    print("alert for the peer:", client.outgoing.pending > 0)
    client.send_to(server)
    print("server hears:", outcome(server.tls.do_handshake))


async def main():
    bios()
    exchange()
    ragged_eof()
    wrong_name()


asyncio.run(main())
