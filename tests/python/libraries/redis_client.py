# A well-known Redis client's asyncio API (redis-py, pure Python, over
# asyncio.open_connection), unchanged: the same lines under CPython and as
# a component.   redis_client.py PORT   (a redis-server on 127.0.0.1:PORT)
import asyncio
import sys

import redis.asyncio as redis


async def main(port):
    client = redis.Redis(host="127.0.0.1", port=port)
    print("ping:", await client.ping())
    await client.flushdb()
    await client.set("greeting", "hello")
    print("get:", await client.get("greeting"))
    print("incr:", await client.incr("counter"), await client.incr("counter"))
    await client.rpush("letters", "a", "b", "c")
    print("lrange:", await client.lrange("letters", 0, -1))
    async with client.pipeline(transaction=True) as pipe:
        print("pipeline:", await pipe.set("k", "v").get("k").incr("counter").execute())
    big = b"x" * (1 << 20)
    await client.set("big", big)
    print("big value back whole:", await client.get("big") == big)
    try:
        await client.lpush("greeting", "oops")
    except redis.ResponseError as error:
        print("error:", str(error).split(" ")[0])
    pubsub = client.pubsub()
    await pubsub.subscribe("news")
    await client.publish("news", "extra")
    got = []
    while len(got) < 2:
        message = await pubsub.get_message(timeout=1.0)
        if message is not None:
            got.append((message["type"], message["data"]))
    print("pubsub:", got)
    await pubsub.aclose()
    await client.aclose()


asyncio.run(main(int(sys.argv[1])))
