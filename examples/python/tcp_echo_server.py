# The asyncio documentation's "TCP echo server using streams", with the
# address taken from the command line and an optional number of clients
# after which it stops (for the tests):
#   tcp_echo_server.py [HOST [PORT [CLIENTS]]]
# Runs under CPython as it is, and as a component.
import asyncio
import sys

clients_left = int(sys.argv[3]) if len(sys.argv) > 3 else None


async def handle_echo(reader, writer):
    global clients_left
    data = await reader.read(100)
    message = data.decode()
    addr = writer.get_extra_info('peername')

    print(f"Received {message!r} from {addr!r}")

    print(f"Send: {message!r}")
    writer.write(data)
    await writer.drain()

    print("Close the connection")
    writer.close()
    await writer.wait_closed()

    if clients_left is not None:
        clients_left -= 1
        if clients_left == 0:
            server.close()


async def main(host, port):
    global server
    server = await asyncio.start_server(handle_echo, host, port)

    addrs = ', '.join(str(sock.getsockname()) for sock in server.sockets)
    print(f'Serving on {addrs}', flush=True)

    async with server:
        try:
            await server.serve_forever()
        except asyncio.CancelledError:
            print('Server closed')


host = sys.argv[1] if len(sys.argv) > 1 else '127.0.0.1'
port = int(sys.argv[2]) if len(sys.argv) > 2 else 8888
asyncio.run(main(host, port))
