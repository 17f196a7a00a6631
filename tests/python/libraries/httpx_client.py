# A well-known HTTP client (httpx, its async API over httpcore and anyio,
# whose asyncio backend uses loop.create_connection with its own Protocol,
# and for HTTPS anyio's TLS stream over ssl.MemoryBIO and SSLObject),
# unchanged: the same lines under CPython and as a component.
#   httpx_client.py HTTP_PORT HTTPS_PORT CA_PEM   (http_peers.py's servers)
import asyncio
import hashlib
import ssl
import sys

import httpx


async def fetch(client, base):
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
        digest = hashlib.sha256()
        async for chunk in streamed.aiter_bytes():
            digest.update(chunk)
    print("streamed:", digest.hexdigest()[:16])


async def main(http_port, https_port, ca):
    async with httpx.AsyncClient() as client:
        await fetch(client, f"http://127.0.0.1:{http_port}")
    trusting = ssl.create_default_context(cadata=ca)
    async with httpx.AsyncClient(verify=trusting) as client:
        await fetch(client, f"https://localhost:{https_port}")
        response = await client.get(f"https://127.0.0.1:{https_port}/hello.txt")
        print("by address:", response.status_code, response.text.strip())
    # The peer's CA not trusted: the certificate does not verify.
    async with httpx.AsyncClient() as client:
        try:
            await client.get(f"https://localhost:{https_port}/hello.txt")
        except httpx.ConnectError as e:
            causes = []
            while e is not None:
                causes.append(e)
                e = e.__cause__ or e.__context__
            verify = [c for c in causes if isinstance(c, ssl.SSLCertVerificationError)]
            print("untrusted:", type(causes[0]).__name__, len(verify) == 1)


asyncio.run(main(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]))
