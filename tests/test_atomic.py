"""Outputs are complete or absent; planted symlinks are replaced, never written through."""

import os
import signal
from pathlib import Path

import pytest

from escalab.atomic import atomic_open, atomic_path, output_set, write_bytes_atomic, write_text_atomic


def test_write_text_replaces_whole_file_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    target.write_text("old")
    write_text_atomic(target, "new text")
    assert target.read_text() == "new text"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_failure_inside_block_keeps_previous_file(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("previous complete")
    with pytest.raises(RuntimeError), atomic_open(target) as fh:
        fh.write("half")
        raise RuntimeError("interrupted")
    assert target.read_text() == "previous complete"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_planted_symlink_is_replaced_not_followed(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    link = tmp_path / "out.txt"
    link.symlink_to(victim)
    write_bytes_atomic(link, b"output")
    assert victim.read_text() == "precious"
    assert not link.is_symlink() and link.read_bytes() == b"output"


def test_directory_destination_names_the_path_as_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("adir").mkdir()
    with pytest.raises(IsADirectoryError) as info:
        write_text_atomic("adir", "x")
    assert info.value.filename == "adir"


def test_write_error_names_destination_not_temp(tmp_path: Path) -> None:
    # a write error inside the block is reported against the destination the caller gave
    with pytest.raises(OSError) as info, atomic_open(tmp_path / "o.txt") as fh:
        raise OSError(28, "No space left on device", str(fh.name))
    assert "o.txt" in str(info.value.filename) and ".tmp" not in str(info.value.filename)
    assert not list(tmp_path.iterdir())


def test_atomic_path_keeps_suffix_for_format_inference(tmp_path: Path) -> None:
    with atomic_path(tmp_path / "fig.png") as tmp:
        assert tmp.suffix == ".png" and tmp.parent == tmp_path
        tmp.write_bytes(b"png")
    assert (tmp_path / "fig.png").read_bytes() == b"png"


def test_output_set_replaces_previous_run_files_and_keeps_user_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with output_set(out, "test") as outs:
        outs.write_text("a.csv", "1")
        outs.write_text("b.png", "2")
    (out / "notes.txt").write_text("mine")
    with output_set(out, "test") as outs:
        outs.write_text("a.csv", "new")
    assert sorted(p.name for p in out.iterdir()) == sorted([".escalab-outputs.test.json", "a.csv", "notes.txt"])
    assert (out / "a.csv").read_text() == "new"


def test_interrupted_output_set_leaves_previous_complete_set(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with output_set(out, "test") as outs:
        outs.write_text("a.csv", "old-a")
        outs.write_text("a.json", "old-j")
    before = {p.name: p.read_text() for p in out.iterdir()}
    with pytest.raises(KeyboardInterrupt), output_set(out, "test") as outs:
        outs.write_text("a.csv", "half")
        raise KeyboardInterrupt
    assert {p.name: p.read_text() for p in out.iterdir()} == before


def test_signals_during_commit_are_delivered_after(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        with output_set(out, "test") as outs:
            outs.write_text("a.csv", "x")
            real_replace = os.replace

            def replace_and_interrupt(src, dst):  # Ctrl-C arrives in the middle of the commit
                os.kill(os.getpid(), signal.SIGINT)
                real_replace(src, dst)
            os.replace = replace_and_interrupt
            try:
                outs.commit()
            finally:
                os.replace = real_replace
    assert (out / "a.csv").read_text() == "x" and (out / ".escalab-outputs.test.json").exists()


def test_output_name_must_be_plain(tmp_path: Path) -> None:
    with output_set(tmp_path / "o", "test") as outs:
        with pytest.raises(ValueError):
            outs.path("../escape.txt")


def test_a_run_that_publishes_nothing_leaves_no_folder_it_made(tmp_path: Path) -> None:
    """A command that fails after opening its output set (a sweep refused mid-way) must not leave the
    empty folders it created; a folder that existed before, or that now holds a user's file, stays."""
    with pytest.raises(RuntimeError):
        with output_set(tmp_path / "new" / "deeper", "test") as outs:
            outs.write_text("a.txt", "partial")
            raise RuntimeError("refused")
    assert not (tmp_path / "new").exists()

    (tmp_path / "kept").mkdir()
    with pytest.raises(RuntimeError):
        with output_set(tmp_path / "kept" / "made", "test") as outs:
            (tmp_path / "kept" / "made" / "user.txt").write_text("mine")      # put there meanwhile
            raise RuntimeError("refused")
    assert (tmp_path / "kept" / "made" / "user.txt").read_text() == "mine"

    with output_set(tmp_path / "fresh", "test") as outs:
        outs.write_text("a.txt", "whole")
    assert (tmp_path / "fresh" / "a.txt").read_text() == "whole"


def test_an_error_naming_a_staged_file_names_the_published_one(tmp_path: Path) -> None:
    """A full disk found while a staged file is written is reported with the name the user asked
    for, not the hidden staging folder's; an error naming any other file is left as it is."""
    with pytest.raises(OSError) as failed, output_set(tmp_path / "out", "test") as outs:
        raise OSError(28, "No space left on device", str(outs.path("big.csv")))
    assert failed.value.filename == str(tmp_path / "out" / "big.csv") and failed.value.errno == 28
    other = str(tmp_path / "elsewhere.txt")
    with pytest.raises(OSError) as failed, output_set(tmp_path / "out", "test"):
        raise OSError(13, "Permission denied", other)
    assert failed.value.filename == other
