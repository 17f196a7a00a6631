"""An exception from a protocol's `connection_made` goes to the loop's
exception handler and the connection goes on, as in CPython (which calls
it as a callback): a server whose first protocol fails there still reads
from that client and serves the next one, and `create_connection`
returns although its protocol's `connection_made` raised."""

import asyncio


class Upper(asyncio.Protocol):
    made = 0

    def connection_made(self, transport):
        Upper.made += 1
        self.transport = transport
        if Upper.made == 1:
            raise RuntimeError("the server's connection_made failed")

    def data_received(self, data):
        self.transport.write(data.upper())


class Failing(asyncio.Protocol):
    def connection_made(self, transport):
        raise RuntimeError("the client's connection_made failed")


async def main():
    loop = asyncio.get_running_loop()
    reported = []
    loop.set_exception_handler(lambda loop, context: reported.append(context))
    server = await loop.create_server(Upper, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    for i in range(2):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"hello\n")
        print("client", i, (await reader.readline()).decode().strip())
        writer.close()
        await writer.wait_closed()
    transport, protocol = await loop.create_connection(Failing, "127.0.0.1", port)
    print("create_connection returned", type(protocol).__name__)
    transport.close()
    await asyncio.sleep(0.1)
    for context in reported:
        print("reported:", " ".join(context["message"].split()[:3]), repr(context["exception"]))
    server.close()
    await server.wait_closed()


asyncio.run(main())
