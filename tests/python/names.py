"""A name through the loop's getaddrinfo: "LOCALHOST" (every hosts file
has localhost, and names match without regard to case) is not the
"localhost" the loop answers itself, so it goes to the resolver, as any
name libraries resolve before connecting (aiohttp, anyio) does; then a
connection to what it found, and to the name itself. argv[1] is the port
of a peer that echoes one line."""

import asyncio
import socket
import sys


async def main():
    port = int(sys.argv[1])
    loop = asyncio.get_running_loop()
    found = await loop.getaddrinfo("LOCALHOST", port, family=socket.AF_INET, type=socket.SOCK_STREAM)
    print("getaddrinfo:", sorted({(family.name, kind.name, address) for family, kind, _, _, address in found}))
    host = found[0][4][0]
    for target in (host, "LOCALHOST"):
        reader, writer = await asyncio.open_connection(target, port, family=socket.AF_INET)
        writer.write(f"via {target}\n".encode())
        print("echo:", (await reader.readline()).decode().strip())
        writer.close()
        await writer.wait_closed()


asyncio.run(main())
