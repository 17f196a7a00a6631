# A well-known WebSocket library (websockets, its asyncio API: its own
# Protocol over loop.create_connection and loop.create_server), unchanged:
# the same lines under CPython and as a component.
#   websockets_both.py PORT   (a WebSocket echo peer on 127.0.0.1:PORT)
import asyncio
import sys

from websockets.asyncio.client import connect
from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosedOK


async def shout(websocket):
    async for message in websocket:
        await websocket.send(message.upper() if isinstance(message, str) else message[::-1])


async def main(port):
    # A client of the peer.
    async with connect(f"ws://127.0.0.1:{port}") as websocket:
        await websocket.send("hello")
        print("peer echoed:", await websocket.recv())
        await websocket.send(b"\x00\x01" * 50_000)
        print("peer echoed binary:", len(await websocket.recv()))

    # A server of its own, and a client of it.
    async with serve(shout, "127.0.0.1", 0) as server:
        own = server.sockets[0].getsockname()[1]
        async with connect(f"ws://127.0.0.1:{own}") as websocket:
            for text in ("one", "two"):
                await websocket.send(text)
                print("own server:", await websocket.recv())
            await websocket.send(b"abc")
            print("own server binary:", await websocket.recv())
            await websocket.close()
            try:
                await websocket.recv()
            except ConnectionClosedOK as closed:
                print("closed:", closed.rcvd.code if closed.rcvd else None)


asyncio.run(main(int(sys.argv[1])))
