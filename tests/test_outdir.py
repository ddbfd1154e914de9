"""The output-folder guard (sim.outdir): one writer, never a user's folder, nothing mixed, only our files touched."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from geo.errors import SpilloverError
from sim.outdir import JOURNAL_FILE, LOCK_FILE, output_folder


def _write_run(path, names=("a.nc", "b.csv"), force=False, text="new"):
    with output_folder(path, manifest="run.json", kind="run", force=force) as folder:
        for name in names:
            folder.file(name).write_text(text)
        folder.commit({"scenario_name": text})


def test_a_fresh_folder_gets_files_and_manifest_and_nothing_else(tmp_path):
    out = tmp_path / "deep" / "run"
    _write_run(out)
    assert sorted(p.name for p in out.iterdir()) == ["a.nc", "b.csv", "run.json"]
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["tool"] == "sahel-spillover" and manifest["kind"] == "run"
    assert manifest["outputs"] == ["a.nc", "b.csv"]


def test_an_unrelated_folder_is_refused_and_left_as_it_is(tmp_path):
    (tmp_path / "risk.nc").write_text("the user's own file")
    (tmp_path / "notes.txt").write_text("keep me")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    with pytest.raises(SpilloverError, match=r"not an output of spillover \(it holds notes.txt, risk.nc\)"):
        _write_run(tmp_path, names=("risk.nc",))
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_a_previous_output_is_replaced_only_with_force_and_user_files_survive(tmp_path):
    _write_run(tmp_path, names=("a.nc", "old.tif"), text="old")
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(SpilloverError, match="holds a previous run .*pass --force"):
        _write_run(tmp_path, text="new")
    assert (tmp_path / "old.tif").read_text() == "old"
    _write_run(tmp_path, force=True, text="new")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.nc", "b.csv", "notes.txt", "run.json"]
    assert (tmp_path / "a.nc").read_text() == "new" and (tmp_path / "notes.txt").read_text() == "mine"


def test_an_error_removes_what_was_written_and_the_folder_it_created(tmp_path):
    out = tmp_path / "new"
    with pytest.raises(RuntimeError):
        with output_folder(out, manifest="run.json", kind="run") as folder:
            folder.file("a.nc").write_text("partial")
            raise RuntimeError("disk exploded")
    assert not out.exists()


def test_a_file_or_a_path_under_a_file_is_refused(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(SpilloverError, match="is a file"):
        _write_run(tmp_path / "f")
    with pytest.raises(SpilloverError, match="is under .*f, which is a file"):
        _write_run(tmp_path / "f" / "sub")


def test_an_output_of_another_kind_is_refused(tmp_path):
    with output_folder(tmp_path, manifest="run.json", kind="figures") as folder:
        folder.file("x.png").write_text("x")
        folder.commit()
    with pytest.raises(SpilloverError, match="holds a figures output"):
        _write_run(tmp_path, force=True)


def test_add_mode_keeps_other_figures_and_never_overwrites_a_user_file(tmp_path):
    def figures(names, force=False):
        with output_folder(tmp_path, manifest="figures.json", kind="figures", mode="add", force=force) as folder:
            for name in names:
                folder.file(name).write_text(name)
            folder.commit()

    figures(["maps.png"])
    figures(["compare.png"])
    assert json.loads((tmp_path / "figures.json").read_text())["outputs"] == ["maps.png", "compare.png"]
    with pytest.raises(SpilloverError, match="maps.png is a previous output; pass --force"):
        figures(["maps.png"])
    figures(["maps.png"], force=True)
    (tmp_path / "user.png").write_text("mine")
    with pytest.raises(SpilloverError, match="user.png exists and was not written by spillover"):
        figures(["user.png"], force=True)
    assert (tmp_path / "user.png").read_text() == "mine"


LOCK_HOLDER = textwrap.dedent("""
    import sys, time
    from sim.outdir import output_folder
    with output_folder(sys.argv[1], manifest="run.json", kind="run") as folder:
        folder.file("a.nc").write_text("a")
        print("locked", flush=True)
        time.sleep(60)
""")


def test_a_second_process_is_refused_by_the_lock_and_a_killed_holder_is_cleaned(tmp_path):
    out = tmp_path / "run"
    holder = subprocess.Popen([sys.executable, "-c", LOCK_HOLDER, str(out)], stdout=subprocess.PIPE, text=True,
                              cwd=os.getcwd())
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(SpilloverError, match="being written by another spillover process"):
            _write_run(out)
    finally:
        holder.kill()
        holder.wait()
    assert (out / JOURNAL_FILE).exists() and not (out / "run.json").exists()  # killed: interrupted, not complete
    _write_run(out, names=("b.csv",))  # the lock died with its holder; its journalled a.nc is removed
    assert sorted(p.name for p in out.iterdir()) == ["b.csv", "run.json"]
    assert not (out / LOCK_FILE).exists()
