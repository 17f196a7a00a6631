# What only a component does: the loop's answers where a component cannot
# do what CPython does, and the ssl stand-in. One line per check.
#   inside_only.py
import asyncio
import socket
import ssl


async def main():
    loop = asyncio.get_running_loop()
    checks = [
        ("sock_recv", lambda: loop.sock_recv(None, 1)),
        ("create_datagram_endpoint", lambda: loop.create_datagram_endpoint(asyncio.Protocol)),
        ("subprocess_exec", lambda: loop.subprocess_exec(asyncio.Protocol, "ls")),
        ("add_signal_handler", lambda: loop.add_signal_handler(2, print)),
        ("create_connection(sock=)", lambda: loop.create_connection(asyncio.Protocol, sock=object())),
    ]
    for name, call in checks:
        try:
            result = call()
            if asyncio.iscoroutine(result):
                await result
            print(name, "returned")
        except NotImplementedError as error:
            print(name, "NotImplementedError:", error)
    # One thread: what an executor is given runs at once, on the loop.
    order = []
    ran = loop.run_in_executor(None, order.append, "ran")
    order.append("returned")
    await ran
    print("run_in_executor ran at once:", order)
    print("to_thread:", await asyncio.to_thread(lambda x: x * 2, 21))

    def boom():
        raise ValueError("boom")

    try:
        await loop.run_in_executor(None, boom)
    except ValueError as error:
        print("run_in_executor raised:", error)
    try:
        await loop.run_in_executor(None, next, iter(()))
    except RuntimeError as error:
        print("run_in_executor StopIteration:", type(error.__cause__).__name__)
    loop.set_default_executor(object())
    print("run_in_executor(executor):", await loop.run_in_executor(object(), len, "abc"))
    print("getaddrinfo:", await loop.getaddrinfo("127.0.0.1", 80, type=socket.SOCK_STREAM))
    try:
        await loop.getaddrinfo("example.invalid", 80)
    except socket.gaierror as error:
        print("getaddrinfo of a name: gaierror")
    context = ssl.create_default_context()
    print("ssl context:", type(context).__name__, context.check_hostname, context.verify_mode == ssl.CERT_REQUIRED)
    try:
        ssl.wrap_socket
    except AttributeError as error:
        print("ssl.wrap_socket:", error)
    # CPython's wrap_bio defers a missing server_hostname to the
    # handshake; the interface needs the name to verify up front.
    try:
        context.wrap_bio(ssl.MemoryBIO(), ssl.MemoryBIO())
    except ValueError as error:
        print("wrap_bio without a name:", error)


asyncio.run(main())
