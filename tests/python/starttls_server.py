# STARTTLS from Python, the server side (asyncio 3.11's
# StreamWriter.start_tls on an accepted connection): the same file under
# CPython and as a component (its ssl stand-in), the context from
# tls_contexts.py.
# Serves one client of tests/tls_peer.py starttls-client:
#   starttls_server.py CHAIN_PEM KEY_PEM
import asyncio
import sys

from tls_contexts import server_context

chain, key = sys.argv[1], sys.argv[2]
context = server_context(chain, key)


async def handle(reader, writer):
    print("plain:", await reader.readline())
    writer.write(b"GO\n")
    await writer.drain()
    await writer.start_tls(context)
    print("now:", writer.get_extra_info("ssl_object").version())
    line = await reader.readline()
    print("over TLS:", line)
    writer.write(line)
    await writer.drain()
    writer.close()
    await writer.wait_closed()
    server.close()


async def main():
    global server
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    print(f"Serving on {server.sockets[0].getsockname()}", flush=True)
    async with server:
        try:
            await server.serve_forever()
        except asyncio.CancelledError:
            print("Server closed")


asyncio.run(main())
