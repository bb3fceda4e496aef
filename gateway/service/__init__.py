"""The gateway's I/O shell: the asyncio interpreter, cache backends, metrics and the ASGI app."""
