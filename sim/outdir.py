"""Output folders that are never silently mixed, never shared by two processes, and never take a user's files.

Every command that writes a folder (``run``, ``figures``, ``compare``, ``sweep``, ``ensemble``, ``observed``,
``calibrate``, ``forecast``, ``evaluate``; ``map`` and ``population`` write single files and refuse an existing one)
and the Python API behind it opens the folder with :func:`output_folder`. The rules:

1. **One writer.** An exclusive lock (``fcntl.flock`` on ``DIR/.spillover.lock``) is taken for the whole write;
   a second process is refused at once with a :class:`~geo.errors.SpilloverError` naming the folder. The lock dies
   with its process (a SIGKILL leaves no stale lock).
2. **Never a user's folder.** A folder that is neither empty nor a previous output of this tool is refused, naming
   what is in it. A previous output is recognised by its *manifest* (``run.json``, ``figures.json``,
   ``sweep.json``: a JSON object with ``"tool": "sahel-spillover"``, or an older run.json with
   ``sahel_spillover_version`` and ``outputs``) or by the journal of an interrupted write (below).
3. **Replacing needs ``force``.** ``mode="replace"`` (run folders) replaces a complete previous output only with
   ``force=True`` (``--force``). ``mode="add"`` (figure folders, shared by several commands) adds files to a
   previous figures output; a file name it would write that exists and is listed in the manifest needs ``force``; a
   file that exists and is *not* ours is refused with or without ``force``. ``mode="resume"`` (sweep folders) hands a
   previous output to the caller (:attr:`OutputFolder.previous`) without deleting anything.
4. **Nothing mixed.** Before anything is written, the names of the files about to be written (and, when replacing,
   those of the previous output) are recorded in a journal ``DIR/.spillover-journal.json``; then the old manifest
   is removed (first), then the previous output's files; new files are written under temporary names and renamed;
   the new manifest is written last (:meth:`OutputFolder.commit`) and the journal removed. A process killed at any
   point leaves a folder without a manifest (which readers such as :func:`sim.output.check_run_dir` refuse as
   "interrupted"), never one that looks complete with files of two runs.
5. **Only our files.** Only files named in a manifest or journal of this tool (and their temporary siblings
   ``.<stem>.*<suffix>``) are ever deleted; any other file in the folder is left as it is.
6. **Clean up.** On an error or interrupt inside the ``with`` block every file written in this session is removed
   (and the folder itself, if this session created it and it is empty again); the next start after a SIGKILL
   removes what the journal names, with the temporary files; such an interrupted output is replaced without
   ``force`` (it was incomplete), and files of others in it stay.

API
---
>>> from sim.outdir import output_folder
>>> with output_folder("runs/x", manifest="run.json", kind="run", force=False) as folder:  # doctest: +SKIP
...     path = folder.file("risk.nc")          # journal the name, then write the path (atomically)
...     folder.commit({"outputs": ["risk.nc"]})  # the manifest, written last

``folder.file(name)`` returns ``folder.path / name`` after journalling it (call it before writing each file);
``folder.commit(extra)`` writes the manifest (``tool``, ``kind``, ``outputs`` = every file journalled, merged with
``extra``; in ``mode="add"`` merged with the previous manifest's outputs) and ends the write.
"""
from __future__ import annotations

import contextlib
import errno
import json
import os
from pathlib import Path
from typing import Iterator

from geo.errors import SpilloverError

TOOL = "sahel-spillover"
LOCK_FILE = ".spillover.lock"
JOURNAL_FILE = ".spillover-journal.json"
_OWN = (LOCK_FILE, JOURNAL_FILE)
#: The manifests of the outputs this tool writes (a run, a figure folder, a sweep, an ensemble, observed events, a
#: calibration, a forecast).
KNOWN_MANIFESTS = ("run.json", "figures.json", "sweep.json", "ensemble.json", "observed.json", "fit.json",
                   "forecast.json")
#: The marker of a cache subfolder of an output (e.g. a calibration's ``runs/``): :func:`mark_cache`.
CACHE_MARKER = ".spillover-cache.json"
#: What a ``fit.json`` of ``spillover calibrate`` wrote before it carried ``tool``/``kind``/``outputs``.
_LEGACY_FIT_KEYS = {"design", "draws", "observed_sha256", "estimates"}
_LEGACY_FIT_OUTPUTS = ["calibrated.toml", "fit_countries.png", "skill.csv", "skill.md"]


def read_manifest(path: Path) -> dict | None:
    """The manifest at ``path`` if it is one of this tool's (a JSON object it wrote), else None."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict):
        return None
    if data.get("tool") == TOOL or ("sahel_spillover_version" in data and "outputs" in data):
        return data
    if path.name == "fit.json" and _LEGACY_FIT_KEYS <= set(data):  # a calibration written before the manifests
        present = [n for n in _LEGACY_FIT_OUTPUTS if (path.parent / n).is_file()]
        return {**data, "tool": TOOL, "kind": "calibration", "outputs": present}
    return None


def mark_cache(folder: str | os.PathLike) -> Path:
    """Create ``folder`` (a cache subfolder of an output, e.g. ``DIR/runs``) with its marker; return it.

    An output folder opened with ``caches=(name,)`` counts such a subfolder as its own (not a user's file) and never
    deletes it; a subfolder of that name without the marker is a user's and makes the folder refused.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    marker = folder / CACHE_MARKER
    if read_manifest(marker) is None:
        tmp = folder / f".{CACHE_MARKER}.tmp"
        tmp.write_text(json.dumps({"tool": TOOL, "kind": "cache"}) + "\n", encoding="utf-8")
        os.replace(tmp, marker)
    return folder


def is_cache(folder: Path) -> bool:
    """Whether ``folder`` is a cache subfolder this tool marked (:func:`mark_cache`)."""
    return folder.is_dir() and not folder.is_symlink() and read_manifest(folder / CACHE_MARKER) is not None


def _journal_names(folder: Path) -> list[str]:
    try:
        data = json.loads((folder / JOURNAL_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return []
    return [n for n in data.get("files", []) if isinstance(n, str) and _plain_name(n)] if isinstance(data, dict) else []


def _plain_name(name: str) -> bool:
    return bool(name) and "/" not in name and "\\" not in name and name not in (".", "..")


def _temporaries(folder: Path, name: str) -> list[Path]:
    """Leftover temporary files of :func:`geo.atomic.atomic_path` for the target ``name``."""
    stem, suffix = Path(name).stem, Path(name).suffix
    prefix = f".{stem}."
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    return [Path(e.path) for e in entries if e.name.startswith(prefix) and e.name.endswith(suffix)
            and e.name != name and e.is_file(follow_symlinks=False)]


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class OutputFolder:
    """An output folder opened by :func:`output_folder` (see the module docstring)."""

    def __init__(self, path: Path, manifest: str, kind: str, mode: str, force: bool, flag: str,
                 caches: tuple[str, ...] = ()):
        self.path = path
        self.caches = tuple(caches)
        self.manifest = manifest
        self.kind = kind
        self.mode = mode
        self.force = force
        self.flag = flag
        self.previous: dict | None = None  #: the previous output's manifest (replace: before it was removed)
        self.written: list[str] = []  #: names journalled in this session
        self._journal: list[str] = []
        self._created = False
        self._committed = False
        self._lock_fd: int | None = None
        self.interrupted = False  #: the folder held the journal of a killed write (cleaned on opening)

    # ------------------------------------------------------------------------------------------ opening
    def _open(self) -> None:
        path = self.path
        for parent in [path, *path.parents]:
            if parent.exists() and not parent.is_dir():
                what = "is a file" if parent == path else f"is under {parent}, which is a file"
                raise SpilloverError(f"{self.flag} {path} {what}; give a folder")
            if parent.exists():
                break
        if not path.exists():
            path.mkdir(parents=True)
            self._created = True
        self._lock()
        self._clean_interrupted()
        self._check_contents()

    def _lock(self) -> None:
        import fcntl

        lock = self.path / LOCK_FILE
        while True:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                os.close(fd)
                if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    raise SpilloverError(f"{self.flag} {self.path} is being written by another spillover process "
                                         "(locked); wait for it to finish or choose another folder") from None
                raise
            try:  # the holder before us may have removed the file after we opened it: lock the current one
                same = os.fstat(fd).st_ino == os.stat(lock).st_ino
            except FileNotFoundError:
                same = False
            if same:
                self._lock_fd = fd
                os.write(fd, f"{os.getpid()}\n".encode())
                return
            os.close(fd)

    def _unlock(self) -> None:
        if self._lock_fd is None:
            return
        _remove(self.path / LOCK_FILE)
        os.close(self._lock_fd)
        self._lock_fd = None

    def _clean_interrupted(self) -> None:
        """After a killed write: remove the temporaries and the journalled files no manifest lists, nothing else.

        A valid manifest beside a journal means the kill came before the old manifest was removed or after the new
        one was written: the folder is consistent and the files it lists are kept. ``mode="resume"`` keeps every
        file (the caller's store decides what is complete) and removes only temporaries.
        """
        if not (self.path / JOURNAL_FILE).exists():
            return
        self.interrupted = True  # an output of ours that a killed process left: ours to replace
        manifest = read_manifest(self.path / self.manifest)
        listed = set(manifest.get("outputs", [])) | {self.manifest} if manifest else set()
        for name in _journal_names(self.path):
            for tmp in _temporaries(self.path, name):
                _remove(tmp)
            if self.mode != "resume" and name not in listed:
                _remove(self.path / name)
        _remove(self.path / JOURNAL_FILE)

    def _others(self, ours: set[str]) -> list[str]:
        return sorted(e.name for e in os.scandir(self.path) if e.name not in ours and e.name not in _OWN
                      and not (e.name in self.caches and is_cache(self.path / e.name)))

    def _check_contents(self) -> None:
        manifest = read_manifest(self.path / self.manifest)
        if manifest is not None and manifest.get("kind", self.kind) != self.kind:
            raise SpilloverError(f"{self.flag} {self.path} holds a {manifest.get('kind')} output of spillover, not "
                                 f"a {self.kind}; choose another folder")
        if manifest is None:
            for name in KNOWN_MANIFESTS:
                other = read_manifest(self.path / name) if name != self.manifest else None
                if other is not None:
                    raise SpilloverError(f"{self.flag} {self.path} holds a {other.get('kind', name)} output of "
                                         f"spillover ({name}), not a {self.kind}; choose another folder")
            others = self._others(set())
            if others and not self.interrupted:
                shown = ", ".join(others[:5]) + (f" and {len(others) - 5} more" if len(others) > 5 else "")
                raise SpilloverError(f"{self.flag} {self.path} is not empty and is not an output of spillover (it "
                                     f"holds {shown}); choose an empty or new folder (nothing was changed)")
            return
        self.previous = manifest
        if self.mode == "replace":
            if not self.force:
                raise SpilloverError(f"{self.flag} {self.path} holds a previous {self.kind} ({_describe(manifest)}); "
                                     "pass --force to replace it, or choose another folder")
            self._replace_previous(manifest)

    def _replace_previous(self, manifest: dict) -> None:
        old = [n for n in manifest.get("outputs", []) if isinstance(n, str) and _plain_name(n)]
        self._write_journal(old + [self.manifest])
        _remove(self.path / self.manifest)  # first: from here on the folder is an interrupted output, not complete
        _fsync_dir(self.path)
        for name in old:
            _remove(self.path / name)

    # ----------------------------------------------------------------------------------------- writing
    def _write_journal(self, names: list[str]) -> None:
        for name in names:
            if name not in self._journal:
                self._journal.append(name)
        tmp = self.path / f".{JOURNAL_FILE}.tmp"
        try:
            with open(tmp, "w", encoding="utf-8") as fh:
                json.dump({"tool": TOOL, "pid": os.getpid(), "files": self._journal}, fh)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path / JOURNAL_FILE)
        except OSError as exc:  # a full disk: no temporary left behind, and the error names the file
            _remove(tmp)
            raise _named(exc, self.path / JOURNAL_FILE) from exc

    def file(self, name: str) -> Path:
        """Journal ``name`` and return ``path / name``, to be written (atomically) by the caller.

        In ``mode="add"`` an existing file of that name is replaced only if the previous manifest lists it and
        ``force`` is set; a file this tool did not write is refused.
        """
        if not _plain_name(name) or name in _OWN or name == self.manifest:
            raise ValueError(f"not a valid output file name: {name!r}")  # a programming error, not user input
        target = self.path / name
        if name not in self.written and self.mode == "add" and target.exists():
            listed = name in (self.previous or {}).get("outputs", [])
            if not listed:
                raise SpilloverError(f"{self.flag} {self.path}: {name} exists and was not written by spillover; "
                                     "move it away or choose another folder (nothing was changed)")
            if not self.force:
                raise SpilloverError(f"{self.flag} {self.path}: {name} is a previous output; pass --force to "
                                     "replace it, or choose another folder")
        if name not in self.written:
            self.written.append(name)
            self._write_journal([name])
        return target

    def commit(self, extra: dict | None = None) -> Path:
        """Write the manifest (last), then drop the journal: the folder is now a complete output."""
        from geo.atomic import atomic_path

        outputs = [n for n in self.written if (self.path / n).exists()]  # a fallback may skip a journalled name
        if self.mode in ("add", "resume") and self.previous:
            outputs = list(dict.fromkeys([*self.previous.get("outputs", []), *outputs]))
        from sim.strict_json import json_value

        data = {"tool": TOOL, "kind": self.kind, **json_value(extra or {}), "outputs": outputs}
        self._write_journal([self.manifest])
        target = self.path / self.manifest
        try:
            with atomic_path(target) as tmp:
                with open(tmp, "w", encoding="utf-8") as fh:
                    fh.write(json.dumps(data, indent=2, allow_nan=False) + "\n")
                    fh.flush()
                    os.fsync(fh.fileno())
        except OSError as exc:
            raise _named(exc, target) from exc
        _fsync_dir(self.path)
        _remove(self.path / JOURNAL_FILE)
        self._committed = True
        return target

    def _abort(self) -> None:
        """Remove every file of this session (and the folder if we created it and nothing else is in it).

        ``mode="add"`` keeps files the previous manifest lists (complete files, replaced atomically);
        ``mode="resume"`` keeps every file and removes only temporaries.
        """
        if self._committed:
            self._unlock()
            return
        previous = set((self.previous or {}).get("outputs", []))
        for name in [*self.written, self.manifest]:
            for tmp in _temporaries(self.path, name):
                _remove(tmp)
            if name == self.manifest or self.mode == "resume" or (self.mode == "add" and name in previous):
                continue
            _remove(self.path / name)
        if self.mode == "replace" and self.previous is not None:
            self._write_journal([])  # the previous output is gone: keep the folder recognisable as ours
        else:
            _remove(self.path / JOURNAL_FILE)
        self._unlock()
        if self._created:
            with contextlib.suppress(OSError):
                self.path.rmdir()


def _named(exc: OSError, path: Path) -> OSError:
    """``exc`` naming ``path`` when it names no file (a failed write or fsync says only "No space left")."""
    if exc.filename is not None:
        return exc
    return OSError(exc.errno, exc.strerror or str(exc), str(path))


def _describe(manifest: dict) -> str:
    scenario = manifest.get("scenario")
    name = manifest.get("scenario_name") or (scenario.get("scenario", {}).get("name") if isinstance(scenario, dict)
                                             else scenario)
    when = manifest.get("created")
    parts = [f"scenario {name!r}" if name else None, f"written {when}" if when else None]
    return ", ".join(p for p in parts if p) or "a manifest of spillover"


@contextlib.contextmanager
def output_folder(path: str | os.PathLike, *, manifest: str, kind: str, mode: str = "replace", force: bool = False,
                  flag: str = "--out", caches: tuple[str, ...] = ()) -> Iterator[OutputFolder]:
    """Open ``path`` as an output folder of this tool for the duration of the ``with`` block.

    Parameters
    ----------
    path : str or PathLike
        The folder; created (with its parents) if missing.
    manifest : str
        File name of the manifest that marks a complete output, e.g. ``"run.json"``.
    kind : str
        What the folder holds (``"run"``, ``"figures"``, ``"sweep"``); a folder of another kind is refused.
    mode : {"replace", "add", "resume"}
        How a previous output is treated (see the module docstring).
    force : bool
        Allow replacing a previous output (``--force``).
    flag : str
        The option named in messages.
    caches : tuple of str
        Names of cache subfolders the output keeps across replacements (marked by :func:`mark_cache`; e.g. a
        calibration's ``runs``): never counted as a user's files, never deleted here.

    Returns
    -------
    OutputFolder
        Call :meth:`OutputFolder.file` before writing each file and :meth:`OutputFolder.commit` at the end; a block
        left without ``commit`` (error, interrupt) removes what it wrote.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp()) / "out"
    >>> with output_folder(d, manifest="run.json", kind="run") as folder:
    ...     _ = folder.file("a.txt").write_text("a")
    ...     _ = folder.commit()
    >>> sorted(p.name for p in d.iterdir())
    ['a.txt', 'run.json']
    """
    if mode not in ("replace", "add", "resume"):
        raise ValueError(f"mode={mode!r}")
    folder = OutputFolder(Path(path), manifest, kind, mode, force, flag, caches)
    try:
        folder._open()
    except BaseException:
        folder._unlock()
        if folder._created:
            with contextlib.suppress(OSError):
                _remove(folder.path / LOCK_FILE)
                folder.path.rmdir()
        raise
    try:
        yield folder
    except BaseException:
        folder._abort()
        raise
    if not folder._committed and folder.mode != "resume":
        folder._abort()
        return
    folder._unlock()
