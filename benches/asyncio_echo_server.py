"""CPython asyncio's line echo server, for `bench --serve`: prints
"Serving on HOST:PORT" and echoes every line until the client's EOF."""

import asyncio
import resource


async def handle(reader, writer):
    while line := await reader.readline():
        writer.write(line)
        await writer.drain()
    writer.close()


async def main():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=1024)
    host, port = server.sockets[0].getsockname()[:2]
    print(f"Serving on {host}:{port}", flush=True)
    async with server:
        await server.serve_forever()


asyncio.run(main())
