"""CPython's ssl peers for the TLS tests.

server CHAIN KEY [abrupt]: an asyncio TLS line echo server on 127.0.0.1,
    printing its port; with `abrupt`, it echoes one line and then drops the
    connection without close_notify.
client PORT CA: a TLS client trusting CA (server name localhost) that has
    two lines echoed and closes cleanly; exit status 0 if all came back.
untrusting-client PORT: a TLS client with the default trust store, whose
    handshake must fail; exit status 0 if it did.
"""

import asyncio
import ssl
import sys


async def serve(chain, key, abrupt):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(chain, key)

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


async def connect(port, context):
    return await asyncio.wait_for(
        asyncio.open_connection(
            "127.0.0.1", port, ssl=context, server_hostname="localhost"
        ),
        10,
    )


async def client(port, ca):
    context = ssl.create_default_context(cafile=ca)
    reader, writer = await connect(port, context)
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


mode = sys.argv[1]
if mode == "server":
    asyncio.run(serve(sys.argv[2], sys.argv[3], "abrupt" in sys.argv[4:]))
elif mode == "client":
    asyncio.run(client(int(sys.argv[2]), sys.argv[3]))
elif mode == "untrusting-client":
    asyncio.run(untrusting_client(int(sys.argv[2])))
else:
    sys.exit(f"unknown mode {mode}")
