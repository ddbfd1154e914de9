"""A run's file output in a forked child process: ``risk.nc`` and the GeoTIFFs written beside the kernel, not after it.

:class:`sim.output.SnapshotWriter` runs the writer in a thread, but the kernel holds the GIL for each of its calls
and the writer holds it for its NetCDF encoding, so on the 2-core machine their work added up rather than
overlapping (~1.5 s of a 4 s run). :class:`ProcessWriter` forks a child when the run starts writing: the child
imports netCDF4/h5py/isal/rasterio and creates the NetCDF while the parent loads numba's registries, then encodes
and appends each snapshot on the other core while the kernel advances.

Hand-over: each snapshot is copied into one of a few slots of an anonymous shared memory map (made before the
fork, so it has no name to leak); only ``(slot, day, date)`` goes through the pipe, and the child answers
``("free", slot)`` when it is done with a slot. The parent blocks only when every slot is in use.

The contract is the thread's: the consumer's ``write(day, date, u)`` is called for every snapshot in order, then
``finish()`` (atomic renames); on any error the child calls ``abort(exc)`` (temporary files removed) and the error
is raised again in the caller at the next :meth:`put` or at :meth:`close`, as it was raised in the child (an
``OSError`` naming its file). The child ignores SIGINT (the parent aborts it) and aborts by itself when the parent
goes away (end of the pipe). A child that dies without a word is reported as an ``OSError`` naming ``path``.

While the child runs, the kernel leaves it a core (:func:`sim.threads.beside`: one numba thread fewer than the
usable cores, at least one); on the 2-core machine the parallel kernel otherwise waited at its barriers for the
thread the child displaced.

Fork, not spawn: the child starts from the parent's memory (the grid, the attributes, and whatever a test patched),
with nothing pickled. It is used only on Linux (:func:`available`); elsewhere, or with
``SPILLOVER_WRITER=thread``, runs use the thread writer.
"""
from __future__ import annotations

import errno
import mmap
import os
import pickle
import signal
import sys

import numpy as np

#: ``SPILLOVER_WRITER``: ``process`` (default where :func:`available`) or ``thread``.
ENV = "SPILLOVER_WRITER"


def available() -> bool:
    """Whether runs write through a forked child: Linux, fork available, not turned off by ``SPILLOVER_WRITER``."""
    import multiprocessing

    choice = os.environ.get(ENV, "process").strip().lower()
    return (choice != "thread" and sys.platform.startswith("linux")
            and "fork" in multiprocessing.get_all_start_methods())


class ProcessWriter:
    """Feeds ``consumer.write(day, date, u)`` in a forked child (see the module docstring).

    ``shape``/``dtype``: of every snapshot ``u``; ``path``: the file named if the child dies without a word;
    ``slots``: snapshots in flight (memory: ``slots`` snapshots).
    """

    def __init__(self, consumer, shape: tuple[int, int], dtype, path, slots: int = 4):
        import multiprocessing

        self.path = str(path)
        self._shape, self._dtype = tuple(shape), np.dtype(dtype)
        size = max(1, int(np.prod(self._shape)) * self._dtype.itemsize)
        self._map = mmap.mmap(-1, size * slots)  # anonymous and shared: the child sees the parent's copies
        self._slots = np.frombuffer(self._map, dtype=self._dtype).reshape(slots, *self._shape)
        self._free = list(range(slots))
        self._error: BaseException | None = None
        self._done = False
        ctx = multiprocessing.get_context("fork")
        self._conn, child = ctx.Pipe(duplex=True)
        for stream in (sys.stdout, sys.stderr):  # nothing buffered twice: the child flushes its copies at exit
            try:
                stream.flush()
            except Exception:
                pass
        self._proc = ctx.Process(target=_child, args=(child, self._conn, consumer, self._slots), name="snapshot-writer",
                                 daemon=True)
        self._proc.start()
        child.close()

    # ----------------------------------------------------------------------------------------- parent side
    def put(self, day: int, date, u: np.ndarray) -> None:
        """Hand a snapshot to the child (copied into a free slot; the caller may reuse ``u``)."""
        self._raise()
        while not self._free:
            self._receive(block=True)
            self._raise()
        slot = self._free.pop()
        np.copyto(self._slots[slot], u, casting="same_kind")
        self._send((slot, day, date))

    def close(self) -> None:
        """Wait until every snapshot is written and the consumer finished; raise its error, if any."""
        self._raise()
        self._send(None)
        while not self._done and self._error is None:
            self._receive(block=True)
        self._join()
        self._raise()

    def abort(self, exc: BaseException | None = None) -> None:
        """Stop the child at once and let it remove what it wrote (nothing raised)."""
        if self._proc.is_alive():
            try:
                self._conn.send(("abort",))
            except (OSError, ValueError):
                pass
        self._join(timeout=60)
        self._error = None

    def _send(self, message) -> None:
        try:
            self._conn.send(message)
        except (OSError, ValueError):  # the child is gone: what it said, or that it died
            while self._error is None and not self._done:
                self._receive(block=True)

    def _receive(self, block: bool) -> None:
        try:
            if not block and not self._conn.poll():
                return
            kind, value = self._conn.recv()
        except (EOFError, OSError):
            self._join(timeout=60)
            self._error = self._error or OSError(errno.EIO, f"the writer process ended (exit code "
                                                            f"{self._proc.exitcode}) before finishing", self.path)
            return
        if kind == "free":
            self._free.append(value)
        elif kind == "done":
            self._done = True
        else:
            self._error = value

    def _raise(self) -> None:
        while self._error is None and not self._done and self._conn.poll():
            self._receive(block=False)
        if self._error is not None:
            error, self._error = self._error, None
            self._join(timeout=60)
            raise error

    def _join(self, timeout: float | None = None) -> None:
        self._proc.join(timeout)
        if self._proc.is_alive():  # stuck: it cannot clean up; the parent's folder guard removes the rest
            self._proc.kill()
            self._proc.join()
        self._conn.close()


# ------------------------------------------------------------------------------------------------ child side
def _child(conn, parent_end, consumer, slots: np.ndarray) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides: it aborts us on its KeyboardInterrupt
    parent_end.close()  # the parent's end, inherited: closed, so that a parent killed outright means EOF here
    try:
        start = getattr(consumer, "start", None)
        if start is not None:
            start()
        while True:
            message = conn.recv()
            if message is None:
                break
            if message[0] == "abort":
                _abort(consumer, RuntimeError("aborted by the run"))
                return
            slot, day, date = message
            consumer.write(day, date, slots[slot])
            conn.send(("free", slot))
        consumer.finish()
        conn.send(("done", None))
    except EOFError:  # the parent went away
        _abort(consumer, RuntimeError("the run ended"))
    except BaseException as exc:  # raised again in the parent
        _abort(consumer, exc)
        try:
            conn.send(("error", _portable(exc)))
        except (OSError, ValueError):
            pass


def _abort(consumer, exc: BaseException) -> None:
    try:
        consumer.abort(exc)
    except BaseException:
        pass


def _portable(exc: BaseException) -> BaseException:
    """``exc`` if it survives pickling unchanged in type, else an equivalent built-in error with its message."""
    try:
        copy = pickle.loads(pickle.dumps(exc))
        if type(copy) is type(exc):
            return exc
    except Exception:
        pass
    if isinstance(exc, OSError):
        return OSError(exc.errno, exc.strerror or str(exc), exc.filename)
    if isinstance(exc, MemoryError):
        return MemoryError(*exc.args)
    return RuntimeError(f"{type(exc).__name__}: {exc}")
