"""aiohttp's server (`aiohttp.web`, over `loop.create_server`; it sets
keep-alive on each connection's socket) and its client, unchanged, in one
program: routes, a body echoed back reversed, a streamed response, a 404
and a handler that fails (500); then the server is cleaned up."""

import asyncio
import hashlib

from aiohttp import ClientSession, web


async def hello(request):
    return web.Response(text=f"hello {request.match_info['name']}\n")


async def reverse(request):
    body = await request.read()
    return web.Response(body=body[::-1])


async def stream(request):
    response = web.StreamResponse()
    await response.prepare(request)
    for i in range(100):
        await response.write(bytes([i]) * 10_000)
    await response.write_eof()
    return response


async def fail(request):
    raise ValueError("the handler failed")


async def main():
    app = web.Application()
    app.add_routes(
        [
            web.get("/hello/{name}", hello),
            web.post("/reverse", reverse),
            web.get("/stream", stream),
            web.get("/fail", fail),
        ]
    )
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    async with ClientSession() as session:
        async with session.get(f"{base}/hello/component") as response:
            print("GET hello", response.status, repr(await response.text()))
        body = bytes(range(256)) * 4096
        async with session.post(f"{base}/reverse", data=body) as response:
            print("POST reverse", response.status, await response.read() == body[::-1])
        async with session.get(f"{base}/stream") as response:
            digest = hashlib.sha256(await response.read()).hexdigest()[:16]
            print("GET stream", response.status, response.headers.get("Transfer-Encoding"), digest)
        async with session.get(f"{base}/missing") as response:
            print("GET missing", response.status)
        async with session.get(f"{base}/fail") as response:
            print("GET fail", response.status)
    await runner.cleanup()
    print("cleaned up")


asyncio.run(main())
