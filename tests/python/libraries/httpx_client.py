# A well-known HTTP client (httpx, its async API over httpcore and anyio,
# whose asyncio backend uses loop.create_connection with its own Protocol),
# unchanged: the same lines under CPython and as a component.
#   httpx_client.py PORT   (an HTTP server on 127.0.0.1:PORT)
import asyncio
import sys

import httpx


async def main(port):
    base = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient() as client:
        response = await client.get(f"{base}/hello.txt")
        print("status:", response.status_code, response.reason_phrase)
        print("type:", response.headers["content-type"])
        print("body:", response.text.strip())
        response = await client.get(f"{base}/missing")
        print("missing:", response.status_code)
        # Keep-alive and a bigger body on the same connection.
        response = await client.get(f"{base}/big.bin")
        print("big:", len(response.content), response.http_version)
        async with client.stream("GET", f"{base}/big.bin") as streamed:
            total = 0
            async for chunk in streamed.aiter_bytes():
                total += len(chunk)
        print("streamed:", total)


asyncio.run(main(int(sys.argv[1])))
