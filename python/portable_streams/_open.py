"""What is open: every connection and server the program made, so that the
exit can abort and close them (weakly held: what is gone is forgotten)."""

import weakref

transports = weakref.WeakSet()
servers = weakref.WeakSet()


def track_transport(transport):
    """Remembers an open connection, to abort it at exit."""
    transports.add(transport)


def track_server(server):
    """Remembers a server, to close it at exit."""
    servers.add(server)
