"""Fixtures: deterministic, current, and a difference is explained."""
import io
import json
import shutil

import numpy as np

from autograder.engine import fixtures, handsons


def test_every_stored_fixture_is_current_and_regenerates_byte_for_byte():
    assert fixtures.verify(handsons.names()) == []


def test_public_and_hidden_are_separate_and_listed_in_the_manifest():
    manifest = fixtures.read_manifest()["files"]
    for name, entry in manifest.items():
        module, visibility, _ = name.split("/", 2)
        assert module in handsons.names() and visibility == entry["visibility"]
        assert entry["recipe"] == f"autograder/handsons/{module}/recipe.py"
        assert {"python", "numpy"} <= set(entry["versions"])


def test_a_changed_file_is_reported_with_what_changed(tmp_path):
    root = tmp_path / "fixtures"
    shutil.copytree(handsons.FIXTURES_DIR, root)
    tokens = root / "midi_tokens" / "public" / "bach_bwv66_6.tokens.json"
    values = json.loads(tokens.read_text())
    values[1] += 1
    tokens.write_text(json.dumps(values))
    (root / "midi_tokens" / "public" / "stray.json").write_text("{}")
    problems = fixtures.verify(["midi_tokens"], root)
    joined = "\n".join(problems)
    assert "bach_bwv66_6.tokens.json: the manifest does not match" in joined
    assert "bach_bwv66_6.tokens.json: regenerated differently: /: float drift: max abs difference 1" in joined
    assert "stray.json: stored, but the recipe no longer makes it" in joined


def test_float_drift_is_reported_with_its_size():
    def npy(array):
        buffer = io.BytesIO()
        np.save(buffer, array)
        return buffer.getvalue()

    old = np.linspace(-1, 1, 1000, dtype=np.float32)
    new = old.copy()
    new[10] += 3e-6
    text = fixtures.describe_difference("x.npy", npy(old), npy(new))
    assert text.startswith("float drift: max abs difference 2.98e-06 at (10,)") and "1 of 1000" in text
    assert "changed from float32[1000] to float64[1000]" in fixtures.describe_difference(
        "x.npy", npy(old), npy(old.astype(np.float64)))
