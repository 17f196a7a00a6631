# TLS from Python: the same file under CPython (its ssl module) and as a
# component (portable_streams.TLSContext, as the component's CPython has no
# ssl module). Against tests/tls_peer.py's server:
#   tls_client.py PORT CA_PEM
import asyncio
import sys

try:
    from portable_streams import SSLError, TLSContext

    context = TLSContext()
except ImportError:
    import ssl
    from ssl import SSLError

    context = ssl.create_default_context()
context.load_verify_locations(cadata=sys.argv[2])
context.set_alpn_protocols(["echo/1"])


async def main(port):
    reader, writer = await asyncio.open_connection(
        "127.0.0.1", port, ssl=context, server_hostname="localhost")
    tls = writer.get_extra_info("ssl_object")
    print("version:", tls.version())
    print("alpn:", tls.selected_alpn_protocol())
    peer = writer.get_extra_info("peercert")
    print("peer:", peer["subject"], peer["issuer"], peer["subjectAltName"])
    print("peer serial and dates:", len(peer["serialNumber"]) > 0, peer["notBefore"], peer["notAfter"])
    print("can_write_eof:", writer.can_write_eof())
    writer.write(b"hello over TLS\n")
    await writer.drain()
    print("echo:", await reader.readline())
    writer.close()
    await writer.wait_closed()

    # The default trust store does not hold the test's CA.
    try:
        await asyncio.open_connection(
            "127.0.0.1", port, ssl=True, server_hostname="localhost")
    except SSLError:
        print("untrusted: SSLError")


asyncio.run(main(int(sys.argv[1])))
