"""Progress on stderr: a rich bar on a terminal, whole plain lines otherwise."""
from __future__ import annotations

import io

from sim.progress import Progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Recorder(io.StringIO):
    """A pipe that keeps each write separately."""

    def __init__(self):
        super().__init__()
        self.writes: list[str] = []

    def write(self, text: str) -> int:
        self.writes.append(text)
        return super().write(text)


def test_a_terminal_gets_a_bar_with_the_label_as_written():
    out = Terminal()
    label = "run [bold]{x}[/bold]"  # neither markup nor a format field
    with Progress(10, label, unit="days", stream=out) as bar:
        for _ in range(10):
            bar.advance()
    shown = out.getvalue()
    assert label in shown and "10/10" in shown


def test_a_pipe_gets_whole_lines_each_in_one_write(monkeypatch):
    monkeypatch.setenv("SPILLOVER_PROGRESS_SECONDS", "0")
    out = Recorder()
    with Progress(4, "demo", unit="days", stream=out) as bar:
        for _ in range(4):
            bar.advance()
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("demo: 1/4 days (25%) after ") and lines[-1].startswith("demo: 4/4 days (100%) in ")
    # a signal between a line's text and its newline would glue the next message onto it (CI, SIGINT test)
    assert all(w.endswith("\n") and w.count("\n") == 1 for w in out.writes if w)


def test_disabled_progress_prints_nothing():
    out = Recorder()
    with Progress(3, "quiet", enabled=False, stream=out) as bar:
        bar.advance(3)
    assert out.getvalue() == ""
