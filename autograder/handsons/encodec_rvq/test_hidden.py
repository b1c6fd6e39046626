"""Hidden checks of Hands-on 1: the same kinds of checks on other inputs (other configs, other music,
edge bandwidths, NaN padding, larger and tied tables, other sequences of calls in one worker), and
the speed of quantize and rvq_encode timed against the reference in the same sandbox (fresh vectors
at every timed run, each run's result checked).

The models are the tiny checkpoints in the fixtures (and the full-size
``facebook/encodec_24khz`` architecture on the meta device); the audio is real
music rendered with FluidSynth. Nearest rows are checked by distance: where
rows tie, any of them is right.
"""
import pytest

from ...engine import fixtures
from . import runs, scale

FIXTURES = fixtures.load("encodec_rvq", "hidden")


@pytest.mark.points(1)
@pytest.mark.parametrize("case", FIXTURES.cases("downsampling_factor"), ids=fixtures.case_id)
def test_downsampling_factor(student, case):
    """downsampling_factor"""
    runs.run_case(student, FIXTURES, case)


@pytest.mark.points(1)
@pytest.mark.parametrize("case", FIXTURES.cases("num_quantizers"), ids=fixtures.case_id)
def test_num_quantizers(student, case):
    """num_quantizers (other configs, exact edges, no limit)"""
    runs.run_case(student, FIXTURES, case)


@pytest.mark.points(1)
@pytest.mark.parametrize("case", FIXTURES.cases("encode"), ids=fixtures.case_id)
def test_encode(student, case):
    """encode real music"""
    runs.run_case(student, FIXTURES, case)


@pytest.mark.points(1)
@pytest.mark.parametrize("case", FIXTURES.cases("wrong_rate"), ids=fixtures.case_id)
def test_encode_wrong_rate(student, case):
    """encode rejects audio at another rate (ValueError giving both rates)"""
    runs.run_case(student, FIXTURES, case)


@pytest.mark.points(1)
@pytest.mark.parametrize("case", FIXTURES.cases("wrong_bandwidth"), ids=fixtures.case_id)
def test_encode_wrong_bandwidth(student, case):
    """encode rejects a bandwidth that is not a target (ValueError listing them)"""
    runs.run_case(student, FIXTURES, case)


@pytest.mark.points(1)
@pytest.mark.parametrize("case", FIXTURES.cases("decode"), ids=fixtures.case_id)
def test_decode(student, case):
    """decode codes of real music"""
    runs.run_case(student, FIXTURES, case)


@pytest.mark.points(1)
@pytest.mark.parametrize("case", FIXTURES.cases("compression_ratio"), ids=fixtures.case_id)
def test_compression_ratio(student, case):
    """compression_ratio"""
    runs.run_case(student, FIXTURES, case)


@pytest.mark.points(2)
@pytest.mark.parametrize("case", FIXTURES.cases("pre_quantize"), ids=fixtures.case_id)
def test_pre_quantize(student, case):
    """pre_quantize on a padded batch whose padding is not zero"""
    runs.run_case(student, FIXTURES, case)


@pytest.mark.points(1)
@pytest.mark.parametrize("case", FIXTURES.cases("codebooks"), ids=fixtures.case_id)
def test_codebooks(student, case):
    """codebooks at a bandwidth"""
    runs.run_case(student, FIXTURES, case)


@pytest.mark.points(2)
@pytest.mark.parametrize("case", FIXTURES.cases("quantize"), ids=fixtures.case_id)
def test_quantize(student, case):
    """quantize gives a nearest row (Euclidean) to every vector"""
    runs.run_case(student, FIXTURES, case)


@pytest.mark.points(2)
@pytest.mark.parametrize("case", FIXTURES.cases("rvq_encode"), ids=fixtures.case_id)
def test_rvq_encode(student, case):
    """rvq_encode takes a nearest row to the residual at every step"""
    runs.run_case(student, FIXTURES, case)


@pytest.mark.points(1)
@pytest.mark.parametrize("case", FIXTURES.cases("rvq_decode"), ids=fixtures.case_id)
def test_rvq_decode(student, case):
    """rvq_decode sums the chosen rows"""
    runs.run_case(student, FIXTURES, case)


@pytest.mark.points(1)
@pytest.mark.parametrize("case", FIXTURES.cases("distance_curve"), ids=fixtures.case_id)
def test_distance_curve(student, case):
    """distance_curve"""
    runs.run_case(student, FIXTURES, case)


@pytest.mark.points(2)
@pytest.mark.parametrize("case", FIXTURES.cases("sequence"), ids=fixtures.case_id)
def test_calls_in_sequence(student, case):
    """several calls in one worker, as the notebook makes them (no state kept between calls)"""
    runs.run_sequence(student, FIXTURES, case)


@pytest.mark.points(1.5)
@pytest.mark.rules("quantize-vectorised")
def test_quantize_is_vectorised(student, reference):
    """quantize is vectorised (timed against the reference: 20000 vectors, 1024 rows of 128 dimensions)"""
    scale.check_speed(student, reference, "quantize")


@pytest.mark.points(1.5)
@pytest.mark.rules("rvq-speed")
def test_rvq_encode_is_vectorised(student, reference):
    """rvq_encode is vectorised (timed against the reference: 20000 vectors, 1024-row codebooks)"""
    scale.check_speed(student, reference, "rvq_encode")
