"""aiosmtplib, unchanged: its client over `loop.create_connection`,
`loop.start_tls` (STARTTLS, the peer verified against the CA in argv[2],
PEM text) and `asyncio.to_thread` (for its local host name), sending two
messages to the aiosmtpd peer on 127.0.0.1:argv[1]."""

import asyncio
import ssl
import sys
from email.message import EmailMessage

import aiosmtplib


def message(number, lines):
    msg = EmailMessage()
    msg["From"] = "sender@example.org"
    msg["To"] = "receiver@example.org"
    msg["Subject"] = f"message {number}"
    msg.set_content("".join(f"line {i} of message {number}\n" for i in range(lines)))
    return msg


async def main():
    port, ca = int(sys.argv[1]), sys.argv[2]
    context = ssl.create_default_context(cadata=ca)
    smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=True, tls_context=context)
    response = await smtp.connect()
    print("connected:", response.code, smtp.is_connected)
    for number, lines in [(1, 10), (2, 40_000)]:
        errors, reply = await smtp.send_message(message(number, lines))
        print("sent", number, errors, reply)
    # Learned from the EHLO after STARTTLS.
    print("extensions:", sorted(smtp.esmtp_extensions))
    print("noop:", (await smtp.noop()).code)
    print("quit:", (await smtp.quit()).code)
    try:
        plain = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=False)
        await plain.connect()
        await plain.sendmail("a@example.org", ["b@example.org"], "Subject: x\n\nno TLS\n")
    except aiosmtplib.SMTPException as error:
        print("without STARTTLS:", type(error).__name__, error.code)
    finally:
        plain.close()


asyncio.run(main())
