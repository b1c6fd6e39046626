"""Fixtures: deterministic on every machine, current, and a difference is explained."""
import io
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
from typer.testing import CliRunner

from autograder.cli import app
from autograder.engine import fixtures, handsons

OTHER_KERNELS = {"ATEN_CPU_CAPABILITY": "default", "MKL_ENABLE_INSTRUCTIONS": "SSE4_2",
                 "OPENBLAS_CORETYPE": "Prescott"}


def npy(array) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def test_every_stored_fixture_is_current_and_regenerates_byte_for_byte():
    """The shipped fixtures and grading variant 1 of every hands-on (the other-CPU test below takes
    variant 2; every variant: `autograder fixtures verify`, a TA's step, minutes per variant)."""
    report = fixtures.verify(handsons.names(), numbers={1})
    assert report.problems == []
    verified = {f.name.split("/")[2] for f in report.files if f.name.split("/")[1] == "variants"}
    assert verified == {"1"}, verified
    # Anything not byte-identical (on another machine than the one that made them) is float drift
    # of an expected output, within its bound.
    assert all(f.status == "identical" or (f.status == "equivalent" and "of its bound" in f.detail)
               for f in report.files)
    assert report.count("identical") + report.count("equivalent") == len(report.files) > 200


def test_fixtures_verify_passes_on_other_cpu_kernels():
    """Another CPU's kernels (torch's default, MKL's SSE4.2, OpenBLAS's Prescott): every input,
    integer, MIDI file and checkpoint is identical; float outputs move within their bounds only
    (the shipped fixtures and grading variant 2)."""
    run = subprocess.run([sys.executable, "-m", "autograder", "fixtures", "verify", "--variants", "2"], capture_output=True,
                         text=True, timeout=3600, env={**os.environ, **OTHER_KERNELS, "COLUMNS": "200"})
    assert run.returncode == 0, run.stdout[-5000:] + run.stderr[-3000:]
    assert " 0 different" in run.stdout and "Traceback" not in run.stdout + run.stderr
    assert "forced: ATEN_CPU_CAPABILITY=default" in run.stdout          # verified on: this run's kernels
    assert "made on" in run.stdout
    for line in run.stdout.splitlines():
        if line.startswith("EQUIVALENT"):
            assert ".npy" in line and "of its bound" in line, line
            assert "/models/" not in line and "safetensors" not in line and ".codes." not in line, line


def test_public_and_hidden_are_separate_and_listed_in_the_manifest():
    manifest = fixtures.read_manifest()
    for name, entry in manifest["files"].items():
        module, visibility, _ = name.split("/", 2)
        if visibility == "variants":   # fixtures/<module>/variants/<k>/<visibility>/...: a grading variant
            _, _, number, visibility, _ = name.split("/", 4)
            assert int(number) == entry["variant"] >= 1
        assert module in handsons.names() and visibility == entry["visibility"]
        assert entry["recipe"] == f"autograder/handsons/{module}/recipe.py"
        assert {"python", "numpy"} <= set(entry["versions"])
        if "drift" in entry:   # only expected float outputs may drift
            assert name.endswith(".npy") and set(entry["drift"]) - {"log_floor"} == {"kind", "rtol", "peak", "graders"}
    for module in handsons.names():   # the machine that made them
        assert {"cpu", "torch_kernels", "blas"} <= set(manifest["made_on"][module]), module


def test_a_changed_file_is_reported_with_what_changed(tmp_path):
    root = tmp_path / "fixtures"
    shutil.copytree(handsons.FIXTURES_DIR, root)
    tokens = root / "midi_tokens" / "public" / "bach_bwv66_6.tokens.json"
    values = json.loads(tokens.read_text())
    values[1] += 1
    tokens.write_text(json.dumps(values))
    (root / "midi_tokens" / "public" / "stray.json").write_text("{}")
    joined = "\n".join(fixtures.verify(["midi_tokens"], root).problems)
    assert "bach_bwv66_6.tokens.json: the manifest does not match" in joined
    assert "stray.json: stored, but the recipe no longer makes it" in joined
    # The manifest updated too: the content itself is compared and explained.
    manifest = json.loads((root / "manifest.json").read_text())
    manifest["files"]["midi_tokens/public/bach_bwv66_6.tokens.json"]["sha256"] = fixtures.sha256(tokens)
    (root / "manifest.json").write_text(json.dumps(manifest))
    joined = "\n".join(fixtures.verify(["midi_tokens"], root).problems)
    assert "bach_bwv66_6.tokens.json: regenerated differently: /: float drift: max abs difference 1" in joined


def test_float_drift_is_reported_with_its_size():
    old = np.linspace(-1, 1, 1000, dtype=np.float32)
    new = old.copy()
    new[10] += 3e-6
    text = fixtures.describe_difference("x.npy", npy(old), npy(new))
    assert text.startswith("float drift: max abs difference 2.98e-06 at (10,)") and "1 of 1000" in text
    assert "changed from float32[1000] to float64[1000]" in fixtures.describe_difference(
        "x.npy", npy(old), npy(old.astype(np.float64)))


def test_drift_within_its_bound_is_equivalent_and_beyond_is_not():
    bound = fixtures.Drift("test values", rtol=1e-5, peak=1e-6, graders="a test's rtol 1e-4").as_json()
    old = np.linspace(-2, 2, 1001, dtype=np.float32)
    near = old + np.float32(1e-6)
    within, measured = fixtures.drift_within(npy(old), npy(near), bound)
    assert within and measured.startswith("drift 1e-06,") and "test values" in measured
    assert not fixtures.drift_within(npy(old), npy(old + np.float32(1e-4)), bound)[0]
    assert not fixtures.drift_within(npy(old), npy(old[:-1]), bound)[0]               # shape
    assert not fixtures.drift_within(npy(old), npy(old.astype(np.float64)), bound)[0]  # dtype
    nan = old.copy()
    nan[3] = np.nan
    assert not fixtures.drift_within(npy(old), npy(nan), bound)[0]
    assert fixtures.drift_within(npy(nan), npy(nan), bound)[0]


def test_logs_of_quiet_values_may_drift_as_far_as_the_linear_floor_allows():
    """Log-mels: a quiet bin's log moves most when the linear value moves by a float32 rounding;
    the linear-domain floor (a tenth of the graders' absolute tolerance) allows that, and no more."""
    floor = fixtures.Drift("log values", rtol=0.0, peak=1e-5, log_floor=1e-7, graders="test").as_json()
    old = np.array([-10.6, 0.0, 1.2], dtype=np.float32)               # e^-10.6 = 2.5e-5: a quiet bin
    quiet_moved = old + np.array([9e-4, 0.0, 0.0], dtype=np.float32)  # measured on another CPU
    assert not fixtures.drift_within(npy(old), npy(quiet_moved), {**floor, "log_floor": 0.0})[0]
    assert fixtures.drift_within(npy(old), npy(quiet_moved), floor)[0]
    loud_moved = old + np.array([0.0, 9e-4, 0.0], dtype=np.float32)   # the same move of a loud bin is not drift
    assert not fixtures.drift_within(npy(old), npy(loud_moved), floor)[0]
    assert "log1p(1e-07 / exp(old))" in fixtures.describe_drift(floor)


def test_verify_tells_drift_from_change(tmp_path, monkeypatch):
    """identical, equivalent (a float output moved within its bound), or different (an output
    beyond its bound, an input or an integer array that moved at all, changed JSON)."""
    drift = fixtures.Drift("test values", rtol=1e-5, peak=1e-6, graders="rtol 1e-4")
    values = np.linspace(0.5, 1.5, 100, dtype=np.float32)
    stored = {"a.npy": (values, drift), "b.npy": (values, drift), "c.npy": (values, None),
              "d.npy": (np.arange(5), None), "e.json": ([1, 2], None)}
    fresh = {"a.npy": (values * np.float32(1 + 3e-7), drift), "b.npy": (values + np.float32(1e-3), drift),
             "c.npy": (values * np.float32(1 + 3e-7), None), "d.npy": (np.arange(5), None),
             "e.json": ([1, 3], None)}

    def write(root, files) -> dict:
        writer = fixtures.FixtureWriter(root / "fake" / "public")
        for name, (value, bound) in files.items():
            writer.add_json(name, value) if name.endswith(".json") else writer.add_array(name, value, drift=bound)
        entries = {f"fake/public/{n}": {"sha256": fixtures.sha256(writer.folder / n), "visibility": "public",
                                        **({"drift": writer.drift[n].as_json()} if n in writer.drift else {})}
                   for n in writer.files}
        return entries

    root = tmp_path / "stored"
    (root / "manifest.json").parent.mkdir(parents=True)
    (root / "manifest.json").write_bytes(fixtures.dumps({"files": write(root, stored)}))
    monkeypatch.setattr(fixtures, "build_into", lambda module, target, term=None, numbers=None: write(target, fresh))
    report = fixtures.verify(["fake"], root)
    status = {f.name.rsplit("/", 1)[1]: f.status for f in report.files}
    assert status == {"a.npy": "equivalent", "b.npy": "different", "c.npy": "different",
                      "d.npy": "identical", "e.json": "different"}
    assert "beyond the drift bound" in next(f.detail for f in report.files if f.name.endswith("b.npy"))
    assert list(report.bounds) == ["test values"] and "a tenth of what the graders allow" in report.bounds[
        "test values"]
    with pytest.raises(ValueError, match="only float arrays may drift"):
        fixtures.FixtureWriter(tmp_path / "x").add_array("i.npy", np.arange(3), drift=drift)


def test_a_recipe_that_cannot_build_a_case_says_which_and_why(tmp_path, monkeypatch):
    from autograder.handsons.midi_tokens import exact_times
    root = tmp_path / "fixtures"
    shutil.copytree(handsons.FIXTURES_DIR, root)
    before = {p: p.read_bytes() for p in (root / "midi_tokens").rglob("*") if p.is_file()}
    monkeypatch.setattr(exact_times, "ambiguous_program_changes", lambda midi: ["a tick"])
    with pytest.raises(fixtures.RecipeError, match=r"the midi_tokens recipe could not build \w+: a program_change "
                                                   r"and a note-on of its channel share a tick"):
        fixtures.regenerate("midi_tokens", root)
    assert {p: p.read_bytes() for p in (root / "midi_tokens").rglob("*") if p.is_file()} == before


def test_fixture_commands_print_a_recipe_failure_without_a_traceback(monkeypatch):
    def broken(*args, **kwargs):
        raise fixtures.RecipeError("the midi_tokens recipe could not build drums: why it could not")
    monkeypatch.setattr(fixtures, "regenerate", broken)
    monkeypatch.setattr(fixtures, "verify", broken)
    for command in (["fixtures", "regen", "midi_tokens"], ["fixtures", "verify", "midi_tokens"]):
        result = CliRunner().invoke(app, command)
        assert result.exit_code == 1, result.output
        assert "could not build drums: why it could not" in result.output
        assert "Traceback" not in result.output and result.exception is None or isinstance(result.exception,
                                                                                            SystemExit)


def test_other_failures_of_a_recipe_name_the_recipe_and_the_line(tmp_path, monkeypatch):
    from autograder.handsons.midi_tokens import inputs

    def broken():
        raise KeyError("no such score")
    monkeypatch.setattr(inputs, "real_music_midis", broken)
    with pytest.raises(fixtures.RecipeError, match=r"the midi_tokens recipe failed \(at "
                                                   r"(recipe|inputs)\.py:\d+\): KeyError: 'no such score'"):
        fixtures.build_into("midi_tokens", tmp_path)


def test_library_metadata_never_changes_a_fixture(tmp_path):
    """A checkpoint's config.json as save_pretrained writes it records the transformers version that
    wrote it: stored without it, so a transformers release changes no fixture; every value stays."""
    written = tmp_path / "config.json"
    config = {"sampling_rate": 24000, "transformers_version": "5.24.0", "upsampling_ratios": [8, 5]}
    writer = fixtures.FixtureWriter(tmp_path / "out")
    stored = []
    for version in ("5.24.0", "5.99.1"):
        written.write_text(json.dumps({**config, "transformers_version": version}, indent=2))
        stored.append(fixtures.without_metadata(written.read_bytes()))
    assert stored[0] == stored[1] and json.loads(stored[0]) == {"sampling_rate": 24000, "upsampling_ratios": [8, 5]}
    writer.add_file("models/m/config.json", written)
    assert b"transformers_version" not in (writer.folder / "models/m/config.json").read_bytes()
    written.write_text(json.dumps({**config, "sampling_rate": 16000}))
    assert fixtures.without_metadata(written.read_bytes()) != stored[0]      # a value still shows
    for path in handsons.FIXTURES_DIR.rglob("*.json"):
        assert b'"transformers_version"' not in path.read_bytes(), path


def test_verify_says_which_library_versions_differ_from_the_recorded_ones():
    manifest = {"m/public/a.npy": {"versions": {"numpy": "0.0.1", "python": fixtures.library_versions()["python"]}},
                "n/public/b.npy": {"versions": fixtures.library_versions()}}
    changes = fixtures.version_changes(["m", "n"], manifest)
    assert changes == {"m": {"numpy": ("0.0.1", fixtures.library_versions()["numpy"])}}
