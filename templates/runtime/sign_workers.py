"""Threads that compute request signatures for the asyncio client, off its event loop.

An RSA-2048 signature takes 0.25-0.7 ms of CPU; cryptography releases the GIL while it signs, so
threads sign in parallel on other cores while the loop sends and verifies. This is leaner than
``loop.run_in_executor``: a job is one tuple on a queue (no ``concurrent.futures.Future`` chained to
an asyncio one), and results go back in batches: a worker finishing while the loop has not yet
collected earlier results adds to them instead of waking the loop again (one self-pipe write per
batch, not per signature). Each event loop gets its own batch, so loops in several threads can
share the workers. After ``os.fork()`` the child starts its own threads (the parent's did not
survive the fork).

When every thread already has a signature queued behind the one it is computing, the caller signs
on the event loop instead: handing a job over costs ~50 µs of CPU (a future, a queue wake-up, the
result's trip back through the loop's self-pipe, and a GIL hand-off each way), and a job queued
then would not start sooner than the loop can finish it. The threads stay fed, the loop signs the
surplus, and no hand-off is paid for a signature that a thread could not have started anyway. The
loop is then busy for one signature, as it is for a lone call's: only when the signing is already
the bottleneck.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable

from .transport import forget_after_fork

__all__ = ["SignWorkers"]

_Job = tuple[asyncio.AbstractEventLoop, "asyncio.Future[str]", Callable[[], str]]


class _Results:
    """Finished jobs of one event loop, waiting for the loop to collect them."""

    __slots__ = ("items", "scheduled")

    def __init__(self) -> None:
        self.items: list[tuple[asyncio.Future[str], str | None, BaseException | None]] = []
        self.scheduled = False


class SignWorkers:
    def __init__(self, workers: int) -> None:
        self._count = workers
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._results: dict[asyncio.AbstractEventLoop, _Results] = {}
        self._threads: list[threading.Thread] = []
        self._closed = False
        forget_after_fork(self)

    def _after_fork(self) -> None:
        self._lock = threading.Lock()
        self._jobs = queue.SimpleQueue()
        self._results = {}
        self._threads = []

    def _start(self) -> None:
        with self._lock:
            while len(self._threads) < self._count:
                thread = threading.Thread(
                    target=self._work, name=f"wechatpay-sign-{len(self._threads)}", daemon=True
                )
                thread.start()
                self._threads.append(thread)

    async def sign(self, sign: Callable[[], str]) -> str:
        if self._jobs.qsize() >= self._count:  # every thread has its next job already
            return sign()
        loop = asyncio.get_running_loop()
        if not self._threads:
            self._start()
        future: asyncio.Future[str] = loop.create_future()
        self._jobs.put((loop, future, sign))
        return await future

    def _work(self) -> None:
        jobs = self._jobs
        while True:
            job = jobs.get()
            if job is None:
                return
            loop, future, sign = job
            value: str | None = None
            error: BaseException | None = None
            try:
                value = sign()
            except BaseException as exc:  # delivered to the caller, never lost in the thread
                error = exc
            self._deliver(loop, future, value, error)

    def _deliver(
        self,
        loop: asyncio.AbstractEventLoop,
        future: asyncio.Future[str],
        value: str | None,
        error: BaseException | None,
    ) -> None:
        with self._lock:
            results = self._results.get(loop)
            if results is None:
                results = self._results[loop] = _Results()
            results.items.append((future, value, error))
            if results.scheduled:
                return  # the loop will collect this one with the others
            results.scheduled = True
        try:
            loop.call_soon_threadsafe(self._collect, loop)
        except RuntimeError:  # the loop was closed meanwhile: nobody is waiting any more
            with self._lock:
                self._results.pop(loop, None)

    def _collect(self, loop: asyncio.AbstractEventLoop) -> None:
        with self._lock:
            results = self._results.pop(loop, None)
        if results is None:
            return
        for future, value, error in results.items:
            if future.done():  # cancelled meanwhile
                continue
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(value)  # type: ignore[arg-type]

    def close(self) -> None:
        """Stop the threads once the jobs queued before are done (does not wait for them)."""
        with self._lock:
            threads, self._threads = self._threads, []
        for _ in threads:
            self._jobs.put(None)
