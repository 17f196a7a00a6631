# writelines hands its items to the interface as one write, as asyncio's
# transports make one send of them: item by item, each small item went
# out as a segment of its own, and on the guest backend (Nagle's
# algorithm on: wasi:sockets cannot set TCP_NODELAY) the second waited
# for the peer's delayed ACK, about 40 ms a request. The client's
# interface writer is wrapped to count its writes. One line per check.
#   writelines_once.py
import asyncio


class CountingWriter:
    """The interface's writer, counting the bytes of each `write`."""

    def __init__(self, inner):
        self.inner = inner
        self.writes = []

    def write(self, data):
        self.writes.append(len(data))
        return self.inner.write(data)

    def __getattr__(self, name):
        return getattr(self.inner, name)


async def main():
    got = asyncio.get_running_loop().create_future()

    async def take_three_lines(reader, writer):
        got.set_result([await reader.readline() for _ in range(3)])
        writer.close()

    server = await asyncio.start_server(take_three_lines, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    counting = CountingWriter(writer.transport._raw_writer)
    writer.transport._raw_writer = counting
    writer.writelines([b"head\n", bytearray(b"body\n"), memoryview(b"tail\n")])
    await writer.drain()
    print("interface writes:", counting.writes)
    print("server read:", await asyncio.wait_for(got, 5))
    writer.writelines([])
    print("interface writes after writelines([]):", counting.writes)
    try:
        writer.writelines(["text\n"])
    except TypeError as error:
        print("writelines of str: TypeError", error)
    writer.close()
    await writer.wait_closed()
    server.close()
    await server.wait_closed()


asyncio.run(main())
