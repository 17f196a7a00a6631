# Server.wait_closed as asyncio's since 3.12 (the component's CPython is
# 3.14; CPython 3.11, the peers' here, returns at close): it returns
# once the server is closed and every client it accepted is gone, not
# before. One line per check.
#   server_wait_closed.py
import asyncio


async def main():
    held = []

    async def hold(reader, writer):
        held.append(writer)
        await reader.read()
        writer.close()

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    while not held:
        await asyncio.sleep(0.01)
    server.close()
    waiting = asyncio.ensure_future(server.wait_closed())
    await asyncio.sleep(0.2)
    print("wait_closed while a client is connected: done", waiting.done())
    writer.close()
    await writer.wait_closed()
    await asyncio.wait_for(waiting, 5)
    print("after the client closed: done", waiting.done())
    await asyncio.wait_for(server.wait_closed(), 5)
    print("again: returns at once")


asyncio.run(main())
