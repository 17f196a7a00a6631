"""CPython's ssl peers for the TLS tests.

server CHAIN KEY [abrupt]: an asyncio TLS line echo server on 127.0.0.1,
    printing its port; with `abrupt`, it echoes one line and then drops the
    connection without close_notify.
client PORT CA: a TLS client trusting CA (server name localhost) that has
    two lines echoed and closes cleanly; exit status 0 if all came back.
untrusting-client PORT: a TLS client with the default trust store, whose
    handshake must fail; exit status 0 if it did.
starttls-server CHAIN KEY: a plain server on 127.0.0.1, printing its port,
    that answers "STARTTLS" with "GO" and "EXTRA" in one write, upgrades
    with StreamWriter.start_tls and then echoes lines over TLS.
starttls-client PORT CA: a plain client that sends "STARTTLS", reads "GO",
    upgrades with start_tls (trusting CA) and has one line echoed.
reverse-client CA: a plain server on 127.0.0.1, printing its port, that
    takes one connection and is its TLS *client* (trusting CA, server
    name localhost): sends "hello" and 1 MiB of lines, reads them echoed,
    closes with close_notify both ways (`unwrap`), then prints what it saw
    on one line.
https-server CHAIN KEY: CPython's http.server over TLS on 127.0.0.1,
    printing its port, answering one HEAD request with a 200 and the
    header "X-Test: yes".
Every TLS peer offers or accepts the ALPN protocol "echo/1".
"""

import asyncio
import http.server
import socket
import ssl
import sys


async def serve(chain, key, abrupt):
    context = server_context(chain, key)

    async def handle(reader, writer):
        while line := await reader.readline():
            writer.write(line)
            await writer.drain()
            if abrupt:
                writer.transport.abort()
                return
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=context)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()


def server_context(chain, key):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(chain, key)
    context.set_alpn_protocols(["echo/1"])
    return context


def client_context(ca):
    context = ssl.create_default_context(cafile=ca)
    context.set_alpn_protocols(["echo/1"])
    return context


async def starttls_server(chain, key):
    context = server_context(chain, key)

    async def handle(reader, writer):
        if await reader.readline() != b"STARTTLS\n":
            writer.close()
            return
        writer.write(b"GO\nEXTRA\n")
        await writer.drain()
        await writer.start_tls(context)
        while line := await reader.readline():
            writer.write(line)
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()


async def starttls_client(port, ca):
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection("127.0.0.1", port), 10
    )
    writer.write(b"STARTTLS\n")
    await writer.drain()
    if await asyncio.wait_for(reader.readline(), 10) != b"GO\n":
        sys.exit("no GO")
    await writer.start_tls(client_context(ca), server_hostname="localhost")
    writer.write(b"secret\n")
    await writer.drain()
    echoed = await asyncio.wait_for(reader.readline(), 10)
    if echoed != b"secret\n":
        sys.exit(f"got {echoed!r}")
    writer.close()
    await writer.wait_closed()


async def connect(port, context):
    return await asyncio.wait_for(
        asyncio.open_connection(
            "127.0.0.1", port, ssl=context, server_hostname="localhost"
        ),
        10,
    )


async def client(port, ca):
    reader, writer = await connect(port, client_context(ca))
    for line in (b"first line\n", b"second line\n"):
        writer.write(line)
        await writer.drain()
        echoed = await asyncio.wait_for(reader.readline(), 10)
        if echoed != line:
            sys.exit(f"sent {line!r}, got {echoed!r}")
    writer.close()
    await writer.wait_closed()


async def untrusting_client(port):
    try:
        await connect(port, ssl.create_default_context())
    except ssl.SSLCertVerificationError:
        return
    sys.exit("the handshake succeeded without trusting the CA")


def reverse_client(ca):
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(120)
    print(listener.getsockname()[1], flush=True)
    sock, _ = listener.accept()
    sock.settimeout(30)
    tls = client_context(ca).wrap_socket(sock, server_hostname="localhost")
    negotiated = f"{tls.version()} {tls.selected_alpn_protocol()}:"
    line = bytes(b"abcdefghijklmnopqrstuvwxyz"[i % 26] for i in range(1023)) + b"\n"
    sent = b"hello\n" + line * 1024
    tls.sendall(sent)
    echoed = b""
    while len(echoed) < len(sent):
        data = tls.recv(65536)
        if not data:
            break
        echoed += data
    plain = tls.unwrap()
    after = plain.recv(1)
    print(
        negotiated,
        f"{len(echoed)} of {len(sent)} bytes echoed,",
        "unchanged," if echoed == sent else "changed,",
        "close_notify both ways, then",
        "EOF" if after == b"" else repr(after),
        flush=True,
    )


def https_server(chain, key):
    class Head(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def do_HEAD(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("X-Test", "yes")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Head)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(chain, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    print(server.server_address[1], flush=True)
    server.handle_request()


mode = sys.argv[1]
if mode == "https-server":
    https_server(sys.argv[2], sys.argv[3])
elif mode == "server":
    asyncio.run(serve(sys.argv[2], sys.argv[3], "abrupt" in sys.argv[4:]))
elif mode == "client":
    asyncio.run(client(int(sys.argv[2]), sys.argv[3]))
elif mode == "starttls-server":
    asyncio.run(starttls_server(sys.argv[2], sys.argv[3]))
elif mode == "starttls-client":
    asyncio.run(starttls_client(int(sys.argv[2]), sys.argv[3]))
elif mode == "reverse-client":
    reverse_client(sys.argv[2])
elif mode == "untrusting-client":
    asyncio.run(untrusting_client(int(sys.argv[2])))
else:
    sys.exit(f"unknown mode {mode}")
