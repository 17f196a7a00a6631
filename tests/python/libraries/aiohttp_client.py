"""aiohttp's client, unchanged (its pure-Python fallbacks for multidict,
yarl, propcache and frozenlist, and aiohappyeyeballs, which makes sockets
and connects them with `loop.sock_connect` before
`loop.create_connection(sock=)`), against CPython's `http.server`: plain
on 127.0.0.1:argv[1], over TLS on 127.0.0.1:argv[2], verified against the
CA in argv[3] (PEM text)."""

import asyncio
import hashlib
import ssl
import sys

import aiohttp


async def main():
    http_port, https_port, ca = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    context = ssl.create_default_context(cadata=ca)
    async with aiohttp.ClientSession() as session:
        for base in (f"http://127.0.0.1:{http_port}", f"https://127.0.0.1:{https_port}"):
            scheme = base.split(":")[0]
            async with session.get(f"{base}/hello.txt", ssl=context) as response:
                print(scheme, "GET", response.status, response.headers["Content-Type"], repr(await response.text()))
            async with session.get(f"{base}/big.bin", ssl=context) as response:
                digest = hashlib.sha256()
                async for chunk in response.content.iter_chunked(65536):
                    digest.update(chunk)
                print(scheme, "GET big", response.status, response.content_length, digest.hexdigest()[:16])
            async with session.head(f"{base}/hello.txt", ssl=context) as response:
                print(scheme, "HEAD", response.status, response.headers["Content-Length"])
            async with session.get(f"{base}/missing", ssl=context) as response:
                print(scheme, "GET missing", response.status)
    try:
        async with aiohttp.ClientSession() as session:
            await session.get(f"https://127.0.0.1:{https_port}/hello.txt")
    except aiohttp.ClientConnectorCertificateError as error:
        print("unverified peer:", type(error).__name__)
    except aiohttp.ClientConnectorError as error:
        print("unverified peer:", type(error).__name__, "(not a certificate error)")


asyncio.run(main())
