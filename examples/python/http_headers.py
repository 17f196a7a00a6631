# The asyncio documentation's "Get HTTP headers", unchanged:
#   http_headers.py URL
# Runs under CPython as it is, and as a component (https:// uses the
# bundled web PKI roots there).
import asyncio
import urllib.parse
import sys


async def print_http_headers(url):
    url = urllib.parse.urlsplit(url)
    if url.scheme == 'https':
        reader, writer = await asyncio.open_connection(
            url.hostname, url.port or 443, ssl=True)
    else:
        reader, writer = await asyncio.open_connection(
            url.hostname, url.port or 80)

    query = (
        f"HEAD {url.path or '/'} HTTP/1.0\r\n"
        f"Host: {url.hostname}\r\n"
        f"\r\n"
    )

    writer.write(query.encode('latin-1'))
    while True:
        line = await reader.readline()
        if not line:
            break

        line = line.decode('latin1').rstrip()
        if line:
            print(f'HTTP header> {line}')

    # Ignore the body, close the socket
    writer.close()
    await writer.wait_closed()


url = sys.argv[1]
asyncio.run(print_http_headers(url))
