"""Where the batches run: in this process, in a local pool of worker processes, or on a Dask cluster."""
from __future__ import annotations

import os
from typing import Callable, Iterable, Iterator


from geo.errors import SpilloverError
from sim.sweep.batch import BatchTask, run_batch, warm_worker

def _inline(tasks: Iterable[BatchTask]) -> Iterator[tuple[BatchTask, list[dict] | BaseException]]:
    for task in tasks:
        try:
            yield task, run_batch(task)
        except Exception as exc:
            yield task, exc


def _local_pool(tasks: Iterable[BatchTask], workers: int, dtypes: tuple[str, ...],
                log: Callable[[str], None]) -> Iterator[tuple[BatchTask, list[dict] | BaseException]]:
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    threads = max(1, (os.cpu_count() or 1) // workers)
    ctx = multiprocessing.get_context("spawn")  # numba's OpenMP layer is not fork-safe

    def new_pool():
        return ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=warm_worker,
                                   initargs=(threads, dtypes))

    queue = list(tasks)[::-1]
    pool = new_pool()
    pending: dict = {}
    try:
        while queue or pending:
            while queue and len(pending) < 2 * workers:
                task = queue.pop()
                try:
                    pending[pool.submit(run_batch, task)] = task
                except BrokenProcessPool:
                    queue.append(task)
                    pool.shutdown(wait=False, cancel_futures=True)
                    pool = new_pool()
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
                log("a worker process died; starting a new pool")
                pool.shutdown(wait=False, cancel_futures=True)
                pool = new_pool()
    finally:
        pool.shutdown(wait=not pending, cancel_futures=True)


def _dask(tasks: Iterable[BatchTask], address: str, dtypes: tuple[str, ...],
          log: Callable[[str], None]) -> Iterator[tuple[BatchTask, list[dict] | BaseException]]:
    try:
        from distributed import Client, as_completed
    except ImportError:  # pragma: no cover
        raise SpilloverError("--scheduler needs dask.distributed: pip install distributed") from None
    try:
        client = Client(address, timeout=30)
    except (OSError, TimeoutError) as exc:
        raise SpilloverError(f"--scheduler {address}: cannot connect ({exc}); start one with `dask scheduler` and "
                             "`dask worker ADDRESS --nthreads 1`") from None
    try:
        try:
            client.wait_for_workers(1, timeout=60)
        except TimeoutError:
            raise SpilloverError(f"--scheduler {address}: no worker joined within 60 s; start one with "
                                 f"`dask worker {address} --nthreads 1`") from None
        warmed = client.run(warm_worker, None, dtypes)
        log(f"dask: {len(warmed)} worker(s) warmed at {address} "
            f"({max(w['seconds'] for w in warmed.values()):.1f} s)")
        slots = max(1, sum(client.nthreads().values()))
        queue = list(tasks)[::-1]
        futures = {}
        ac = as_completed()
        while queue and len(futures) < 2 * slots:
            task = queue.pop()
            fut = client.submit(run_batch, task, pure=False)
            futures[fut.key] = (fut, task)
            ac.add(fut)
        for fut in ac:
            _, task = futures.pop(fut.key)
            try:
                yield task, fut.result()
            except Exception as exc:
                yield task, exc
            fut.release()
            if queue:
                nxt = queue.pop()
                new = client.submit(run_batch, nxt, pure=False)
                futures[new.key] = (new, nxt)
                ac.add(new)
    finally:
        client.close()
