# The TLS server context the TLS test programs share, under CPython and as
# a component: the component's ssl takes the chain and key as PEM text (a
# component has no files), CPython's wants files, so under CPython they
# are written to a temporary directory first.
import os
import ssl
import tempfile


def server_context(chain, key):
    """A server context for the PEM texts `chain` and `key`, offering the
    ALPN protocol "echo/1"."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(chain, key)
    except OSError:
        with tempfile.TemporaryDirectory() as d:
            paths = [os.path.join(d, "chain.pem"), os.path.join(d, "key.pem")]
            for path, pem in zip(paths, (chain, key)):
                with open(path, "w") as f:
                    f.write(pem)
            context.load_cert_chain(*paths)
    context.set_alpn_protocols(["echo/1"])
    return context
