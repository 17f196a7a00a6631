# The Python layer adds no semantics of its own: the same file prints the
# same lines under CPython and as a component, on either backend.
#   exceptions.py HOST PORT CLOSED_PORT
# The peer at PORT sends b"short\n", 40 x b"x" and b"\n", then b"abc" and
# EOF to its first client; to its second, b"late\n" once it reads b"go".
# Nothing listens at CLOSED_PORT.
import asyncio
import sys


async def main(host, port, closed_port):
    try:
        await asyncio.open_connection(host, closed_port)
    except ConnectionRefusedError:
        print("refused: ConnectionRefusedError")

    reader, writer = await asyncio.open_connection(host, port, limit=16)
    print("peername is a tuple:", isinstance(writer.get_extra_info("peername"), tuple))
    print("line:", await reader.readline())
    try:
        await reader.readuntil(b"\n")
    except asyncio.LimitOverrunError as e:
        print("readuntil: LimitOverrunError, consumed", e.consumed)
    try:
        await reader.readline()
    except ValueError as e:
        print("readline: ValueError:", e)
    try:
        await reader.readexactly(10)
    except asyncio.IncompleteReadError as e:
        print("readexactly: IncompleteReadError", e.partial, e.expected)
    print("at_eof:", reader.at_eof())
    print("read at EOF:", await reader.read(100))
    writer.close()
    await writer.wait_closed()

    try:
        async with asyncio.timeout(0.05):
            await asyncio.sleep(5)
    except TimeoutError:
        print("asyncio.timeout: TimeoutError")
    print("wait_for:", await asyncio.wait_for(asyncio.sleep(0.01, result="slept"), 1))

    # A read cancelled while it waits loses nothing: the retry gets the line.
    reader, writer = await asyncio.open_connection(host, port)
    try:
        await asyncio.wait_for(reader.readline(), timeout=0.05)
    except TimeoutError:
        print("readline under wait_for: TimeoutError")
    writer.write(b"go")
    await writer.drain()
    print("retried readline:", await reader.readline())
    writer.close()
    await writer.wait_closed()

    # Left behind when main returns, as asyncio.run finds them (it cancels
    # the tasks; the component must not trap on what they wait for): a
    # server whose handler sleeps for an hour, and a task reading from it.
    async def silent(r, w):
        await asyncio.sleep(3600)

    server = await asyncio.start_server(silent, host, 0)
    reader, writer = await asyncio.open_connection(host, server.sockets[0].getsockname()[1])
    asyncio.get_running_loop().create_task(reader.readline())
    await asyncio.sleep(0.01)
    print("done")


asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
print("after asyncio.run, as CPython")
