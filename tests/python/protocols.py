# asyncio's transports and protocols, driven directly: the same file prints
# the same events under CPython and as a component. Each side logs its
# protocol's calls (data as running totals, since chunking is the OS's).
#   protocols.py HOST
import asyncio
import sys

BULK = 16 * 1024 * 1024


class Recorder(asyncio.Protocol):
    def __init__(self, name, on_eof=False):
        self.name = name
        self.on_eof = on_eof
        self.received = 0
        self.transport = None
        self.done = asyncio.get_running_loop().create_future()
        self.resumed = asyncio.get_running_loop().create_future()

    def log(self, *what):
        # The silent server side of `abort` ends with the process, whenever.
        if self.name != "silent":
            print(self.name, *what)

    def connection_made(self, transport):
        self.transport = transport
        # A server's and its client's connection_made race: only the
        # connecting side logs its own.
        if not self.name.startswith(("server", "receiver", "silent")):
            self.log("connection_made", type(transport.get_extra_info("peername")).__name__)

    def data_received(self, data):
        self.received += len(data)

    def eof_received(self):
        self.log("eof_received after", self.received, "bytes; keep open:", self.on_eof)
        return self.on_eof

    def pause_writing(self):
        self.log("pause_writing, buffer above", self.transport.get_write_buffer_limits()[1])

    def resume_writing(self):
        self.log("resume_writing, buffer at most", self.transport.get_write_buffer_limits()[0])
        if not self.resumed.done():
            self.resumed.set_result(None)

    def connection_lost(self, exc):
        self.log("connection_lost", type(exc).__name__ if exc else None, "after", self.received)
        if not self.done.done():
            self.done.set_result(None)


async def half_close(loop, host):
    """write_eof; the server keeps its side open to answer, then closes."""
    served = []

    class Answering(Recorder):
        def eof_received(self):
            super().eof_received()
            self.transport.write(b"x" * self.received)
            self.transport.close()
            return True

    server = await loop.create_server(
        lambda: served.append(Answering("server", on_eof=True)) or served[-1], host, 0
    )
    port = server.sockets[0].getsockname()[1]
    transport, client = await loop.create_connection(lambda: Recorder("client"), host, port)
    print("client can_write_eof:", transport.can_write_eof())
    transport.write(b"hello")
    transport.writelines([b" ", b"world"])
    transport.write_eof()
    await client.done
    await served[0].done
    print("client is_closing:", transport.is_closing())
    server.close()
    await server.wait_closed()


async def flow_control(loop, host):
    """The receiver pauses reading; the sender's protocol is paused above
    the high mark and resumed at the low mark once reading resumes."""
    served = []
    server = await loop.create_server(
        lambda: served.append(Recorder("receiver")) or served[-1], host, 0
    )
    port = server.sockets[0].getsockname()[1]
    transport, sender = await loop.create_connection(lambda: Recorder("sender"), host, port)
    while not served:
        await asyncio.sleep(0.01)
    receiver = served[0]
    receiver.transport.pause_reading()
    print("receiver is_reading:", receiver.transport.is_reading())
    transport.set_write_buffer_limits(high=256 * 1024)
    print("sender limits:", transport.get_write_buffer_limits())
    transport.write(b"y" * BULK)
    await asyncio.sleep(0.2)
    print("sender buffered more than the high mark:", transport.get_write_buffer_size() > 256 * 1024)
    receiver.transport.resume_reading()
    print("receiver is_reading:", receiver.transport.is_reading())
    await sender.resumed
    while receiver.received < BULK:
        await asyncio.sleep(0.01)
    print("receiver got", receiver.received)
    transport.close()
    await sender.done
    await receiver.done
    server.close()
    await server.wait_closed()


async def eof_while_paused(loop, host):
    """What arrives while reading is paused (data, then the peer's close)
    waits for resume_reading, then comes in order: the data, eof_received,
    connection_lost."""
    served = []

    class Pausing(Recorder):
        def connection_made(self, transport):
            super().connection_made(transport)
            transport.pause_reading()

    server = await loop.create_server(
        lambda: served.append(Pausing("receiver-paused")) or served[-1], host, 0
    )
    port = server.sockets[0].getsockname()[1]
    transport, closer = await loop.create_connection(lambda: Recorder("closer"), host, port)
    transport.write(b"p" * 50_000)
    transport.close()
    await closer.done
    while not served:
        await asyncio.sleep(0.01)
    receiver = served[0]
    await asyncio.sleep(0.2)
    print("receiver-paused while paused:", receiver.received, "bytes; lost:", receiver.done.done())
    receiver.transport.resume_reading()
    await receiver.done
    server.close()
    await server.wait_closed()


async def abort(loop, host):
    """abort drops what is buffered and ends at once."""
    server = await loop.create_server(lambda: Recorder("silent"), host, 0)
    port = server.sockets[0].getsockname()[1]
    transport, client = await loop.create_connection(lambda: Recorder("aborter"), host, port)
    transport.write(b"z" * BULK)
    transport.abort()
    print("aborter is_closing:", transport.is_closing())
    await client.done
    server.close()


async def main(host):
    loop = asyncio.get_running_loop()
    await half_close(loop, host)
    await flow_control(loop, host)
    await eof_while_paused(loop, host)
    await abort(loop, host)
    print("done")


asyncio.run(main(sys.argv[1]))
