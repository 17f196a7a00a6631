"""The peer of aiohttp_client.py: CPython's `http.server` serving the
directory argv[1] twice, plainly and over TLS (certificate chain and key in
argv[2] and argv[3]), both on 127.0.0.1. Prints "HTTP_PORT HTTPS_PORT",
then serves until killed."""

import functools
import http.server
import ssl
import sys
import threading


def serve(tls):
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
    handler.func.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server.server_address[1]


context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
context.load_cert_chain(sys.argv[2], sys.argv[3])
print(serve(None), serve(context), flush=True)
threading.Event().wait()
