"""The CPython asyncio contender: the same client workloads with asyncio
streams. Usage: asyncio_client.py WORKLOAD HOST PORT COUNT [CA_FILE]
(tls-bulk and tls-handshake verify their peer against CA_FILE; `startup`
does nothing, for start-up times). The bench also builds this very file into a Python
component and runs it on both backends."""

import asyncio
import ssl
import sys
import time

try:
    import resource
except ImportError:  # A component has no rusage.
    resource = None

CHUNK = 64 * 1024


async def echo_both_ways(reader, writer, total, after_sending=None):
    """Sends `total` bytes in 64 KiB writes while reading as many back."""
    payload = b"\x5a" * CHUNK

    async def send():
        sent = 0
        while sent < total:
            writer.write(payload)
            await writer.drain()
            sent += CHUNK
        if after_sending is not None:
            after_sending()

    async def receive():
        got = 0
        while got < total:
            chunk = await reader.read(CHUNK)
            if not chunk:
                raise RuntimeError(f"EOF after {got} bytes")
            got += len(chunk)

    await asyncio.gather(send(), receive())


async def bulk(host, port, total):
    reader, writer = await asyncio.open_connection(host, port)
    await echo_both_ways(reader, writer, total, writer.write_eof)
    writer.close()


async def readline(host, port, count):
    reader, writer = await asyncio.open_connection(host, port)
    for _ in range(count):
        line = await reader.readline()
        if len(line) != 100:
            raise RuntimeError("short line")
    writer.close()


async def ping_pong(host, port, rounds):
    reader, writer = await asyncio.open_connection(host, port)
    request = b"\x07" * 64
    latencies = []
    for _ in range(rounds):
        t = time.perf_counter_ns()
        writer.write(request)
        await writer.drain()
        await reader.readexactly(64)
        latencies.append(time.perf_counter_ns() - t)
    writer.close()
    return latencies


async def accept(host, port, count):
    for _ in range(count):
        _, writer = await asyncio.open_connection(host, port)
        writer.close()
        await writer.wait_closed()


async def concurrency(host, port, count):
    conns = [await asyncio.open_connection(host, port) for _ in range(count)]

    async def one(i, reader, writer):
        msg = f"connection {i}\n".encode()
        writer.write(msg)
        await writer.drain()
        if await reader.readline() != msg:
            raise RuntimeError("wrong echo")

    await asyncio.gather(*(one(i, r, w) for i, (r, w) in enumerate(conns)))
    for _, w in conns:
        w.close()


async def tls_bulk(host, port, total):
    context = ssl.create_default_context(cafile=sys.argv[5])
    reader, writer = await asyncio.open_connection(host, port, ssl=context)
    await echo_both_ways(reader, writer, total)
    writer.close()
    await writer.wait_closed()


async def tls_handshake(host, port, count):
    context = ssl.create_default_context(cafile=sys.argv[5])
    for _ in range(count):
        reader, writer = await asyncio.open_connection(host, port, ssl=context)
        writer.close()
        await writer.wait_closed()


async def startup(host, port, count):
    return None


async def main():
    workload, host, port, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    fn = {"bulk": bulk, "tls-bulk": tls_bulk, "tls-handshake": tls_handshake,
          "readline": readline, "ping-pong": ping_pong,
          "accept": accept, "concurrency": concurrency, "startup": startup}[workload]
    start = time.perf_counter_ns()
    latencies = await fn(host, port, count)
    print(f"elapsed_ns={time.perf_counter_ns() - start}")
    if latencies:
        latencies.sort()
        print(f"p50_ns={latencies[int((len(latencies) - 1) * 0.50)]}")
        print(f"p99_ns={latencies[int((len(latencies) - 1) * 0.99)]}")
    if resource is not None:
        print(f"peak_rss_bytes={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}")


asyncio.run(main())
