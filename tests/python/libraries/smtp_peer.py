"""The peer of smtp_client.py: an SMTP server (aiosmtpd) on 127.0.0.1 that
requires STARTTLS, with the certificate chain and key in argv[1] and
argv[2]. Prints its port, then serves until killed; each message is
answered with its size and sender, so the client prints what arrived."""

import asyncio
import ssl
import sys

from aiosmtpd.smtp import SMTP


class Sizes:
    async def handle_DATA(self, server, session, envelope):
        return f"250 {len(envelope.content)} bytes from {envelope.mail_from}"


async def main():
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(sys.argv[1], sys.argv[2])
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(Sizes(), hostname="peer.test", tls_context=context, require_starttls=True),
        "127.0.0.1",
        0,
    )
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()


asyncio.run(main())
