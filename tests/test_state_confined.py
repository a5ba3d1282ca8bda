"""The build's state under build/ is never trusted with anything outside it: a manifest that
names a tracked source or a file outside the project deletes neither, and a FIFO in place of a
state file or of one of TeX's auxiliary files is refused with a message, never opened (which
would hang the build).  On the fixture document; slow."""

from __future__ import annotations

import json
import os

import pytest
from conftest import edit, invoke

pytestmark = pytest.mark.slow
HANG = 120   # seconds: far beyond a build of the fixture; a hang fails, it does not block the suite


def test_a_manifest_naming_a_tracked_source_and_a_file_outside_deletes_neither(fixture_copy):
    manifest = fixture_copy / "build" / "cache" / "manifest.json"
    state = json.loads(manifest.read_text(encoding="utf-8"))
    victim = fixture_copy.parent / "outside-victim.txt"
    victim.write_text("not the build's", encoding="utf-8")
    source = fixture_copy / "doc" / "part.tex"
    before = source.read_text(encoding="utf-8")
    entry = next(iter(state["artifacts"].values()))
    state["artifacts"]["mini.removed"] = {**entry, "outputs": {"doc/part.tex": "0" * 64,
                                                               "../outside-victim.txt": "0" * 64}}
    own = state["artifacts"]["mini.slope_at_one"]
    own["outputs"] = {**own["outputs"], "doc/main.tex": "0" * 64}
    manifest.write_text(json.dumps(state), encoding="utf-8")
    out = invoke(fixture_copy, "build-pdf", timeout=HANG)
    assert out.returncode == 0, out.stdout + out.stderr
    assert victim.read_text(encoding="utf-8") == "not the build's"
    assert source.read_text(encoding="utf-8") == before and (fixture_copy / "doc" / "main.tex").is_file()
    assert "mini.removed" not in json.loads(manifest.read_text(encoding="utf-8"))["artifacts"]


@pytest.mark.parametrize("state", ["build/tex/main.fls", "build/tex/main.aux", "build/tex/main.log",
                                   "build/cache/manifest.json", "build/cache/hashes.json",
                                   "build/generated/verified-names.tex", "build/.lock",
                                   "build/tex/fmt/main.fls", "build/tex/fmt/main-dump.tex"])
def test_a_fifo_in_place_of_a_state_file_is_refused_not_waited_on(fixture_copy, state):
    path = fixture_copy / state
    path.unlink(missing_ok=True)
    os.mkfifo(path)
    edit(fixture_copy / "doc" / "part.tex", "The slope", "Now the slope")     # TeX must run
    out = invoke(fixture_copy, "build-pdf", timeout=HANG)
    if out.returncode == 0:      # a file the build writes anew by renaming over it: replaced
        assert path.is_file() and not path.is_fifo(), out.stdout
    else:
        assert f"{state} is a FIFO (named pipe), not a regular file" in out.stderr, out.stdout + out.stderr
        assert "Traceback" not in out.stderr
        path.unlink()
    again = invoke(fixture_copy, "build-pdf", timeout=HANG)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "pdf: build/main.pdf" in again.stdout
