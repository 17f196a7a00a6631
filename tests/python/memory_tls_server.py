# The server side of TLS over memory (SSLContext.wrap_bio with
# server_side=True) against OpenSSL: the program connects to CPython's TLS
# client (tests/tls_peer.py reverse-client; TLS roles need not follow TCP's)
# and moves the ciphertext between the connection and its BIOs by hand:
# the handshake, everything the client sends echoed, close_notify both ways.
# The same lines under CPython (OpenSSL on both ends) and as a component.
#   memory_tls_server.py PORT CHAIN_PEM KEY_PEM
import asyncio
import ssl
import sys

from tls_contexts import server_context

port, chain, key = int(sys.argv[1]), sys.argv[2], sys.argv[3]


async def main():
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = server_context(chain, key).wrap_bio(incoming, outgoing, server_side=True)

    async def flush():
        data = outgoing.read()
        if data:
            writer.write(data)
            await writer.drain()

    async def receive():
        await flush()
        data = await reader.read(65536)
        if data:
            incoming.write(data)
        else:
            incoming.write_eof()
        return bool(data)

    while True:
        try:
            tls.do_handshake()
            break
        except ssl.SSLWantReadError:
            if not await receive():
                print("EOF under the handshake")
                return
    await flush()
    print("handshake:", tls.version(), tls.selected_alpn_protocol(), tls.server_side)
    print("client certificate:", tls.getpeercert())

    echoed = 0
    while True:
        try:
            data = tls.read(65536)
        except ssl.SSLWantReadError:
            if not await receive():
                print("EOF before the client's close_notify")
                return
            continue
        if not data:
            # As OpenSSL's: the peer's close_notify reads as b"".
            print("the client's close_notify after", echoed, "bytes echoed")
            break
        tls.write(data)
        echoed += len(data)
        await flush()

    try:
        tls.unwrap()
    except ssl.SSLWantReadError:
        pass
    await flush()
    print("unwrapped, nothing left to send:", outgoing.pending == 0)
    writer.close()
    await writer.wait_closed()


asyncio.run(main())
