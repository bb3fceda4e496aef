"""One client↔upstream connection: two pipes (upstream, downstream), each a chain of toxics.

Shape of a pipe, as in Toxiproxy's link.go: a reader task feeds the hidden noop stage, each stage
runs one toxic's ``pipe`` between two bounded queues, and a writer task drains the last queue into
the destination socket.  Live changes interrupt stages (task cancellation), forward whatever data
they held, rewire the queues and restart them, so no byte is lost or reordered by a change.

Like Toxiproxy, a connection does not half-close: when either pipe ends, the socket it writes to
is closed, which ends the other pipe in turn.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import struct
from collections.abc import Callable, Sequence

from .toxic_spec import Stream, ToxicSpec
from .toxics import Chunk, ChunkQueue, NoopToxic, ToxicBase, ToxicStub, draw_applies, pass_through

__all__ = ["READ_SIZE", "Link", "Pipe"]

READ_SIZE = 32 * 1024  # Go's io.Copy buffer
_FLUSH_TIMEOUT_S = 5.0  # Toxiproxy's WriteOutput bound while rewiring


class _Stage:
    __slots__ = ("active", "spec", "stub", "task", "toxic")

    def __init__(self, spec: ToxicSpec | None, toxic: ToxicBase, stub: ToxicStub, active: bool) -> None:
        self.spec = spec
        self.toxic = toxic
        self.stub = stub
        self.active = active
        self.task: asyncio.Task[None] | None = None


class Pipe:
    """One direction of a link."""

    def __init__(
        self,
        stream: Stream,
        source: asyncio.StreamReader,
        dest: asyncio.StreamWriter,
        chain: Sequence[ToxicSpec],
        rng: random.Random,
        on_reset: Callable[[], None],
        on_done: Callable[[Pipe], None],
    ) -> None:
        self.stream = stream
        self._source = source
        self._dest = dest
        self._rng = rng
        self._on_reset = on_reset
        self._on_done = on_done
        self._lock = asyncio.Lock()
        self._finished = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._in: ChunkQueue = asyncio.Queue(maxsize=1)
        noop = NoopToxic()
        queue = self._in
        self._stages: list[_Stage] = []
        toxics: list[tuple[ToxicSpec | None, ToxicBase]] = [(None, noop), *((s, s.toxic) for s in chain)]
        for i, (spec, toxic) in enumerate(toxics):
            nxt = toxics[i + 1][1].buffer_size if i + 1 < len(toxics) else 1
            out: ChunkQueue = asyncio.Queue(maxsize=nxt)
            self._stages.append(self._new_stage(spec, toxic, queue, out))
            queue = out
        self._out = queue

    @property
    def finished(self) -> bool:
        return self._finished.is_set()

    def active_toxics(self) -> list[tuple[str, bool]]:
        """(name, applies) for each toxic stage: what the toxicity draw decided for this link."""
        return [(s.spec.name, s.active) for s in self._stages if s.spec is not None]

    def _new_stage(
        self, spec: ToxicSpec | None, toxic: ToxicBase, inq: ChunkQueue, outq: ChunkQueue
    ) -> _Stage:
        stub = ToxicStub(inq, outq, self._rng, self._on_reset)
        stub.state = toxic.new_state()
        active = True if spec is None else draw_applies(spec.toxicity, self._rng)
        return _Stage(spec, toxic, stub, active)

    def start(self) -> None:
        for stage in self._stages:
            self._run(stage)
        self._tasks.append(asyncio.create_task(self._read_loop()))
        self._tasks.append(asyncio.create_task(self._write_loop()))

    def _run(self, stage: _Stage) -> None:
        if not stage.stub.closed and not self.finished:
            stage.task = asyncio.create_task(self._stage_main(stage))

    async def _stage_main(self, stage: _Stage) -> None:
        try:
            if stage.active:
                await stage.toxic.pipe(stage.stub)
            else:
                await pass_through(stage.stub)
        except asyncio.CancelledError:
            raise
        except Exception:  # a toxic bug must end this connection, not leave it hanging
            self.cancel()
            raise

    async def _read_loop(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while data := await self._source.read(READ_SIZE):
                await self._in.put(Chunk(data, loop.time()))
        except OSError:
            pass  # a reset or closed source ends the stream like EOF does
        await self._in.put(None)

    async def _write_loop(self) -> None:
        try:
            while (chunk := await self._out.get()) is not None:
                if chunk.data:
                    self._dest.write(chunk.data)
                    await self._dest.drain()
        except OSError:
            pass
        finally:
            self._finished.set()
            self.cancel()
            self._on_done(self)

    def cancel(self) -> None:
        """Stop every task of this pipe (the reader, the stages, the writer)."""
        current = asyncio.current_task()
        for task in [*self._tasks, *(s.task for s in self._stages if s.task is not None)]:
            if task is not current:
                task.cancel()

    async def _interrupt(self, stage: _Stage) -> None:
        task = stage.task
        if task is not None and not task.done():
            task.cancel()
            await asyncio.wait([task])
        stage.task = None

    async def _forward(self, queue: ChunkQueue, item: Chunk | None) -> None:
        if self.finished:
            return
        try:
            queue.put_nowait(item)
            return
        except asyncio.QueueFull:
            pass
        put = asyncio.ensure_future(queue.put(item))
        done = asyncio.ensure_future(self._finished.wait())
        await asyncio.wait([put, done], timeout=_FLUSH_TIMEOUT_S, return_when=asyncio.FIRST_COMPLETED)
        put.cancel()
        done.cancel()

    async def _flush_held(self, stub: ToxicStub, queue: ChunkQueue) -> None:
        if stub.held is not None:
            await self._forward(queue, stub.held)
            stub.held = None
        if stub.eof_pending:
            await self._forward(queue, None)
            stub.eof_pending = False
            stub.closed = True

    async def add_toxic(self, spec: ToxicSpec) -> None:
        async with self._lock:
            if self.finished:
                return
            last = self._stages[-1]
            stage = self._new_stage(spec, spec.toxic, asyncio.Queue(maxsize=spec.toxic.buffer_size),
                                    last.stub.output)
            await self._interrupt(last)
            # Held data goes straight to the old output: it already passed this point in time.
            await self._flush_held(last.stub, last.stub.output)
            self._stages.append(stage)
            if last.stub.closed:
                stage.stub.closed = True
                return
            last.stub.output = stage.stub.input
            self._run(stage)
            self._run(last)

    async def update_toxic(self, index: int, spec: ToxicSpec) -> None:
        async with self._lock:
            if self.finished:
                return
            stage = self._stages[index]
            await self._interrupt(stage)
            await self._flush_held(stage.stub, stage.stub.output)
            stage.spec = spec
            stage.toxic = spec.toxic
            stage.active = draw_applies(spec.toxicity, self._rng)
            self._run(stage)

    async def remove_toxic(self, index: int) -> None:
        async with self._lock:
            if self.finished:
                return
            stage, prev = self._stages[index], self._stages[index - 1]
            await self._interrupt(stage)
            out = stage.stub.output
            if stage.toxic.closes_on_removal and stage.active:
                await self._flush_held(stage.stub, out)
                if not stage.stub.closed:
                    await self._forward(out, None)
                    stage.stub.closed = True
                del self._stages[index]  # keep stage indices equal to the chain's
                return
            await self._interrupt(prev)
            # Order on the wire: what the removed toxic held, its queue, then what the previous held.
            await self._flush_held(stage.stub, out)
            while not stage.stub.input.empty():
                await self._forward(out, stage.stub.input.get_nowait())
            await self._flush_held(prev.stub, out)
            prev.stub.output = out
            del self._stages[index]
            if stage.stub.closed:
                prev.stub.closed = True
            self._run(prev)


def _abort_with_reset(writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


class Link:
    """A client connection and its upstream connection, joined by two pipes."""

    def __init__(
        self,
        client: tuple[asyncio.StreamReader, asyncio.StreamWriter],
        upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter],
        chains: dict[Stream, Sequence[ToxicSpec]],
        rng: random.Random,
        on_closed: Callable[[Link], None],
    ) -> None:
        self._client = client[1]
        self._upstream = upstream[1]
        self._reset = False
        self._on_closed = on_closed
        self.closed = asyncio.Event()
        self.pipes: dict[Stream, Pipe] = {
            "upstream": Pipe("upstream", client[0], upstream[1], chains["upstream"], rng,
                             self._request_reset, self._pipe_done),
            "downstream": Pipe("downstream", upstream[0], client[1], chains["downstream"], rng,
                               self._request_reset, self._pipe_done),
        }

    def start(self) -> None:
        for pipe in self.pipes.values():
            pipe.start()

    def _request_reset(self) -> None:
        self._reset = True

    def _pipe_done(self, pipe: Pipe) -> None:
        dest = self._upstream if pipe.stream == "upstream" else self._client
        if self._reset:
            _abort_with_reset(self._client)
            _abort_with_reset(self._upstream)
        else:
            dest.close()
        if all(p.finished for p in self.pipes.values()) and not self.closed.is_set():
            self._client.close()
            self._upstream.close()
            self.closed.set()
            self._on_closed(self)

    def close(self) -> None:
        """Drop the connection (the proxy was disabled, deleted or moved)."""
        for pipe in self.pipes.values():
            pipe.cancel()
        self._client.close()
        self._upstream.close()
        # A writer cancelled before it first ran never reaches its ``finally``: report here too.
        if not self.closed.is_set():
            self.closed.set()
            self._on_closed(self)
