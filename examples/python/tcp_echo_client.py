# The asyncio documentation's "TCP echo client using streams", unchanged
# but for the address taken from the command line:
#   tcp_echo_client.py [HOST [PORT]]
# Runs under CPython as it is, and as a component:
#   python -m portable_streams build tcp_echo_client.py -o client.wasm
import asyncio
import sys


async def tcp_echo_client(message, host, port):
    reader, writer = await asyncio.open_connection(host, port)

    print(f'Send: {message!r}')
    writer.write(message.encode())
    await writer.drain()

    data = await reader.read(100)
    print(f'Received: {data.decode()!r}')

    print('Close the connection')
    writer.close()
    await writer.wait_closed()


host = sys.argv[1] if len(sys.argv) > 1 else '127.0.0.1'
port = int(sys.argv[2]) if len(sys.argv) > 2 else 8888
asyncio.run(tcp_echo_client('Hello World!', host, port))
