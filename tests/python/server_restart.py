# Server.close() closes the listening sockets at once: a server started on
# the same port right after it (no wait_closed, no other await) binds and
# serves, three times over. One line per restart.
#   server_restart.py
import asyncio


async def echo(reader, writer):
    writer.write(await reader.readline())
    await writer.drain()
    writer.close()


async def main():
    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    for round in range(3):
        server.close()
        server = await asyncio.start_server(echo, "127.0.0.1", port)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"restarted %d\n" % round)
        print((await reader.readline()).decode().strip(), "on the same port")
        writer.close()
        await writer.wait_closed()
    server.close()
    await server.wait_closed()


asyncio.run(main())
