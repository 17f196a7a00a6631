# Unix sockets from Python: a server and a client in one program.
#   unix_echo.py PATH
import asyncio
import sys


async def handle(reader, writer):
    line = await reader.readline()
    writer.write(line.upper())
    await writer.drain()
    writer.close()
    await writer.wait_closed()


async def main(path):
    server = await asyncio.start_unix_server(handle, path)
    print("listening:", server.sockets[0].getsockname() == path)
    reader, writer = await asyncio.open_unix_connection(path)
    writer.write(b"hello over unix\n")
    await writer.drain()
    print("reply:", await reader.readline())
    print("then EOF:", await reader.read(100))
    writer.close()
    await writer.wait_closed()
    server.close()
    await server.wait_closed()
    print("done")


asyncio.run(main(sys.argv[1]))
