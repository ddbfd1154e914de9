"""Where batches run: in this process, in a pool of local worker processes, or on a Dask cluster.

Each executor has ``slots`` (batches it runs at once) and ``map(fn, tasks)``, which yields ``(task, result)`` in
completion order, where ``result`` is ``fn(task)`` or the exception it raised (a task's failure never stops the
others). Executors are context managers and can be reused for many ``map`` calls (a calibration's generations):

:class:`Inline`
    in this process, one task after the other (numba uses every core): tests, debugging, small sweeps.
:class:`LocalPool`
    ``workers`` long-lived processes (``multiprocessing`` *spawn*: numba's OpenMP layer is not fork-safe), each
    warmed once by :func:`warm_worker` (kernels loaded from numba's cache, shapes read) with ``cores / workers``
    numba threads. It needs no scheduler, nanny or ports and imports no dask. Workers ignore SIGINT (the parent
    handles Ctrl-C and stops them) and exit with their parent: on Linux the kernel kills them when it dies
    (``prctl(PR_SET_PDEATHSIG)``), and a watchdog thread in each polls the parent's pid as a fallback. A worker
    that dies (e.g. out of memory) fails its batch and the pool is started again.
:class:`DaskPool`
    the same tasks on an existing ``dask.distributed`` cluster (``pip install 'sahel-spillover[dask]'``), every
    worker warmed once with ``client.run``. If no worker is alive for ``worker_timeout`` seconds the map stops
    with :class:`WorkersLost`. Dask moves tasks and results as pickles: whoever controls the scheduler or a worker
    can run code in this process and the others, so use only a scheduler you trust, over ``tls://`` with
    certificates on a shared network (see the README).

At most ``2 × slots`` tasks are in flight at any time.
"""
from __future__ import annotations

import os
import re
import signal
import threading
import time
from typing import Any, Callable, Iterable, Iterator, Sequence


from geo.errors import SpilloverError

#: Seconds between checks that a pool worker's parent is still alive.
WATCHDOG_S = 0.5
_ADDRESS = re.compile(r"^(?:(tcp|tls|inproc|ucx|ws|wss)://)?(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9_.\-]+)(?::(\d+))?/?$")


class WorkersLost(ConnectionError):
    """No Dask worker was alive for longer than the timeout (an environment failure: exit status 1)."""


def warm_worker(threads: int | None = None, dtypes: Sequence[str] = ("float32",)) -> dict:
    """Prepare a worker process once: numba threads, the kernels loaded (from numba's cache; compiled only if the
    cache is cold) for the given dtypes by a tiny ensemble, the country shapes read.

    The pool initializer, and what ``client.run`` calls on every Dask worker. Returns what it did.
    """
    import sys

    import numba

    t0 = time.perf_counter()
    if threads:
        numba.set_num_threads(max(1, min(int(threads), numba.config.NUMBA_NUM_THREADS)))
    from sim.scenario import Scenario
    from sim.sweep.batch import Member, NoMetrics, integrate_batch, EnsembleBatch
    from sim.sweep import reduce

    tiny = Scenario().replace(**{
        "grid.cell_km": 200.0, "grid.countries": ["MLI", "BFA"], "scenario.start": "2020-01-01",
        "scenario.end": "2020-01-03", "scenario.output_every_days": 1, "documents.seeds": "",
        "initial.from_documents": False, "initial.places": ["northern Mali"], "output.geotiff_days": []})
    for name in dtypes:
        base = tiny.replace(**{"output.dtype": name})
        result = integrate_batch(EnsembleBatch(base, (Member(), Member()), (0, 1), NoMetrics()))
        if not result.ok.all():
            raise RuntimeError(f"warming the kernels failed: {result.errors[0]}")
        reduce.warm(name)
    return {"pid": os.getpid(), "threads": numba.get_num_threads(), "seconds": time.perf_counter() - t0,
            "dask_imported": "dask" in sys.modules or "distributed" in sys.modules}


# ================================================================================================= in process
class Inline:
    """Run tasks here, one after the other."""

    slots = 1

    def __enter__(self) -> "Inline":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        pass

    def map(self, fn: Callable, tasks: Iterable) -> Iterator[tuple[Any, Any]]:
        for task in tasks:
            try:
                yield task, fn(task)
            except Exception as exc:
                yield task, exc


# ================================================================================================= local pool
def _exit_with_parent(parent: int, pdeathsig: bool) -> None:
    """In a pool worker: die when the process ``parent`` dies (see the module docstring)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole process group: the parent handles it
    if pdeathsig:
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG = 1
        except (OSError, AttributeError):  # not Linux: the watchdog alone
            pass
    if os.getppid() != parent:  # the parent died before we got here
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(WATCHDOG_S)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="parent-watchdog", daemon=True).start()


def _init_pool_worker(parent: int, pdeathsig: bool, threads: int, dtypes: tuple[str, ...]) -> None:
    _exit_with_parent(parent, pdeathsig)
    warm_worker(threads, dtypes)


class LocalPool:
    """``workers`` local worker processes (see the module docstring).

    Examples
    --------
    >>> with LocalPool(workers=2) as pool:  # doctest: +SKIP
    ...     for task, result in pool.map(str.upper, ["a", "b"]):
    ...         print(task, result)
    """

    def __init__(self, workers: int = 2, dtypes: Sequence[str] = ("float32",), log: Callable[[str], None] | None = None,
                 threads: int | None = None):
        if workers < 1:
            raise SpilloverError(f"--workers {workers}: a pool needs at least 1 worker (0 = in this process)")
        self.workers = int(workers)
        self.slots = self.workers
        self.threads = threads or max(1, (os.cpu_count() or 1) // self.workers)
        self.dtypes = tuple(dtypes)
        self.log = log or (lambda msg: None)
        self._pool = None
        self._running = False

    def __enter__(self) -> "LocalPool":
        return self

    def __exit__(self, exc_type, *exc) -> None:
        self.close(kill=exc_type is not None)

    def _new_pool(self):
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # PR_SET_PDEATHSIG fires when the *thread* that started a worker ends: use it only from the main thread
        pdeathsig = threading.current_thread() is threading.main_thread()
        return ProcessPoolExecutor(max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_init_pool_worker,
                                   initargs=(os.getpid(), pdeathsig, self.threads, self.dtypes))

    def map(self, fn: Callable, tasks: Iterable) -> Iterator[tuple[Any, Any]]:
        from concurrent.futures import FIRST_COMPLETED, wait
        from concurrent.futures.process import BrokenProcessPool

        queue = list(tasks)[::-1]
        if self._pool is None:
            self._pool = self._new_pool()
        pending: dict = {}
        try:
            while queue or pending:
                while queue and len(pending) < 2 * self.slots:
                    task = queue.pop()
                    try:
                        pending[self._pool.submit(fn, task)] = task
                    except BrokenProcessPool:
                        queue.append(task)
                        self._restart()
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                broken = False
                for fut in done:
                    task = pending.pop(fut)
                    try:
                        yield task, fut.result()
                    except BrokenProcessPool as exc:
                        broken = True
                        yield task, RuntimeError(f"a worker process died while this batch ran ({exc or 'killed'}); "
                                                 "out of memory? rerun with --retry-failed")
                    except Exception as exc:
                        yield task, exc
                if broken:
                    self.log("a worker process died; starting a new pool")
                    self._restart()
        finally:
            for fut in pending:
                fut.cancel()
            self._running = any(not fut.done() for fut in pending)

    def _restart(self) -> None:
        self._kill()
        self._pool = self._new_pool()

    def _kill(self) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        processes = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for proc in processes:
            try:
                proc.kill()
            except (OSError, AttributeError):
                pass
        for proc in processes:
            try:
                proc.join(5)
            except (OSError, AttributeError, AssertionError):
                pass

    def close(self, kill: bool = False) -> None:
        """Stop the workers: at once if ``kill`` or a batch is still running (an interrupted map), else cleanly."""
        if self._pool is None:
            return
        if kill or self._running:
            self._kill()
        else:
            pool, self._pool = self._pool, None
            pool.shutdown(wait=True)


# ================================================================================================= dask
def check_scheduler_address(address: str) -> str:
    """A Dask scheduler address (``tcp://HOST:PORT``, ``tls://HOST:PORT``, ``HOST:PORT``) or a one-line error."""
    text = str(address).strip()
    match = _ADDRESS.match(text)
    port = match.group(3) if match else None
    if not match or (port is not None and not 0 < int(port) < 65536) or (port is None and match.group(1) != "inproc"):
        raise SpilloverError(f"--scheduler {address!r} is not a scheduler address; give PROTOCOL://HOST:PORT, e.g. "
                             "tls://10.0.0.5:8786 (or tcp:// on a trusted network), as printed by `dask scheduler`")
    return text


def require_dask() -> None:
    """A one-line error naming the install command if ``dask.distributed`` is not installed."""
    import importlib.util

    if importlib.util.find_spec("distributed") is None:
        raise SpilloverError("--scheduler needs dask.distributed, which is not installed: "
                             "pip install 'sahel-spillover[dask]'")


class DaskPool:
    """The workers of a running ``dask.distributed`` scheduler at ``address`` (see the module docstring)."""

    def __init__(self, address: str, dtypes: Sequence[str] = ("float32",), log: Callable[[str], None] | None = None,
                 worker_timeout: float = 60.0, connect_timeout: float = 30.0, security: Any = None):
        address = check_scheduler_address(address)
        require_dask()
        try:
            from distributed import Client
        except ImportError as exc:
            raise SpilloverError(f"--scheduler needs dask.distributed, which does not import ({exc}): "
                                 "pip install 'sahel-spillover[dask]'") from None
        self.address, self.worker_timeout = address, float(worker_timeout)
        self.log = log or (lambda msg: None)
        try:
            self.client = Client(address, timeout=connect_timeout, security=security)
        except (OSError, TimeoutError) as exc:
            raise SpilloverError(f"--scheduler {address}: cannot connect ({exc}); start one with `dask scheduler` and "
                                 "`dask worker ADDRESS --nthreads 1`") from None
        except (ValueError, TypeError) as exc:
            raise SpilloverError(f"--scheduler {address}: {exc}") from None
        try:
            try:
                self.client.wait_for_workers(1, timeout=self.worker_timeout)
            except TimeoutError:
                raise SpilloverError(f"--scheduler {address}: no worker joined within {self.worker_timeout:g} s; "
                                     f"start one with `dask worker {address} --nthreads 1`") from None
            warmed = self.client.run(warm_worker, None, tuple(dtypes))
            self.log(f"dask: {len(warmed)} worker(s) warmed at {address} "
                     f"({max(w['seconds'] for w in warmed.values()):.1f} s)")
        except BaseException:
            self.client.close()
            raise

    @property
    def slots(self) -> int:
        return max(1, sum(self.client.nthreads().values()))

    def __enter__(self) -> "DaskPool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.client.close()

    def map(self, fn: Callable, tasks: Iterable) -> Iterator[tuple[Any, Any]]:
        from distributed import wait

        queue = list(tasks)[::-1]
        slots = self.slots
        pending: dict = {}
        alone_since = None
        try:
            while queue or pending:
                while queue and len(pending) < 2 * slots:
                    task = queue.pop()
                    pending[self.client.submit(fn, task, pure=False)] = task
                try:
                    done = wait(list(pending), timeout=min(2.0, self.worker_timeout),
                                return_when="FIRST_COMPLETED").done
                except TimeoutError:
                    done = set()
                for fut in done:
                    task = pending.pop(fut)
                    try:
                        yield task, fut.result()
                    except Exception as exc:
                        yield task, exc
                    fut.release()
                if done:
                    alone_since = None
                    continue
                if self.client.nthreads():
                    alone_since = None
                elif alone_since is None:
                    alone_since = time.monotonic()
                    self.log(f"dask: no live worker at {self.address}; waiting up to {self.worker_timeout:g} s")
                elif time.monotonic() - alone_since > self.worker_timeout:
                    raise WorkersLost(f"dask: no live worker at {self.address} for {self.worker_timeout:g} s; "
                                      f"{len(pending) + len(queue)} batch(es) not run (the stored runs are kept); "
                                      "start workers and run the same command again to resume")
        finally:
            for fut in pending:
                fut.cancel()


def executor_for(workers: int, scheduler: str | None = None, dtypes: Sequence[str] = ("float32",),
                 log: Callable[[str], None] | None = None, worker_timeout: float = 60.0):
    """The executor the CLI options name: ``--scheduler`` (Dask), else ``--workers N`` (0: in this process)."""
    if workers < 0:
        raise SpilloverError(f"--workers {workers}: must be ≥ 0 (0 = in this process)")
    if scheduler:
        return DaskPool(scheduler, dtypes, log, worker_timeout=worker_timeout,
                        connect_timeout=min(30.0, worker_timeout))
    if workers == 0:
        return Inline()
    return LocalPool(workers, dtypes, log)
