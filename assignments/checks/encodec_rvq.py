"""Otter checks for encodec_rvq, generated from its public checks by `autograder otter-tests`: do not edit."""
from otter.test_files import test_case

from autograder.engine.checks import public_check

OK_FORMAT = False
name = "encodec_rvq"
points = 60


@test_case(name='downsampling_factor [mono24]', points=1, hidden=False)
def test_1():
    public_check('encodec_rvq', 'test_downsampling_factor[mono24]')


@test_case(name='downsampling_factor [mono16]', points=1, hidden=False)
def test_2():
    public_check('encodec_rvq', 'test_downsampling_factor[mono16]')


@test_case(name='downsampling_factor [stereo48]', points=1, hidden=False)
def test_3():
    public_check('encodec_rvq', 'test_downsampling_factor[stereo48]')


@test_case(name='downsampling_factor [full24]', points=1, hidden=False)
def test_4():
    public_check('encodec_rvq', 'test_downsampling_factor[full24]')


@test_case(name='num_quantizers at the target bandwidths and between them [mono24]', points=1, hidden=False)
def test_5():
    public_check('encodec_rvq', 'test_num_quantizers[mono24]')


@test_case(name='num_quantizers at the target bandwidths and between them [mono16]', points=1, hidden=False)
def test_6():
    public_check('encodec_rvq', 'test_num_quantizers[mono16]')


@test_case(name='num_quantizers at the target bandwidths and between them [stereo48]', points=1, hidden=False)
def test_7():
    public_check('encodec_rvq', 'test_num_quantizers[stereo48]')


@test_case(name='num_quantizers at the target bandwidths and between them [full24]', points=1, hidden=False)
def test_8():
    public_check('encodec_rvq', 'test_num_quantizers[full24]')


@test_case(name='num_quantizers at the target bandwidths and between them [codebook-1000]', points=1, hidden=False)
def test_9():
    public_check('encodec_rvq', 'test_num_quantizers[codebook-1000]')


@test_case(name='num_quantizers at the target bandwidths and between them [mono16-edges]', points=1, hidden=False)
def test_10():
    public_check('encodec_rvq', 'test_num_quantizers[mono16-edges]')


@test_case(name='num_quantizers at the target bandwidths and between them [mono16-no-limit]', points=1, hidden=False)
def test_11():
    public_check('encodec_rvq', 'test_num_quantizers[mono16-no-limit]')


@test_case(name='encode real music [mono24-1.5kbps]', points=1, hidden=False)
def test_12():
    public_check('encodec_rvq', 'test_encode[mono24-1.5kbps]')


@test_case(name='encode real music [mono24-3kbps]', points=1, hidden=False)
def test_13():
    public_check('encodec_rvq', 'test_encode[mono24-3kbps]')


@test_case(name='encode real music [mono24-6kbps]', points=1, hidden=False)
def test_14():
    public_check('encodec_rvq', 'test_encode[mono24-6kbps]')


@test_case(name='encode real music [mono24-12kbps]', points=1, hidden=False)
def test_15():
    public_check('encodec_rvq', 'test_encode[mono24-12kbps]')


@test_case(name='encode real music [mono24-24kbps]', points=1, hidden=False)
def test_16():
    public_check('encodec_rvq', 'test_encode[mono24-24kbps]')


@test_case(name='encode real music [mono24-12kbps-int]', points=1, hidden=False)
def test_17():
    public_check('encodec_rvq', 'test_encode[mono24-12kbps-int]')


@test_case(name='encode real music [mono24-200-samples]', points=1, hidden=False)
def test_18():
    public_check('encodec_rvq', 'test_encode[mono24-200-samples]')


@test_case(name='encode rejects audio at another rate (ValueError giving both rates) [mono24-given-16kHz]', points=1, hidden=False)
def test_19():
    public_check('encodec_rvq', 'test_encode_wrong_rate[mono24-given-16kHz]')


@test_case(name='encode rejects a bandwidth that is not a target (ValueError listing them) [mono24-5kbps]', points=1, hidden=False)
def test_20():
    public_check('encodec_rvq', 'test_encode_wrong_bandwidth[mono24-5kbps]')


@test_case(name='decode codes of real music [mono24-1.5kbps]', points=1, hidden=False)
def test_21():
    public_check('encodec_rvq', 'test_decode[mono24-1.5kbps]')


@test_case(name='decode codes of real music [mono24-1.5kbps-1-codebook]', points=1, hidden=False)
def test_22():
    public_check('encodec_rvq', 'test_decode[mono24-1.5kbps-1-codebook]')


@test_case(name='decode codes of real music [mono24-24kbps]', points=1, hidden=False)
def test_23():
    public_check('encodec_rvq', 'test_decode[mono24-24kbps]')


@test_case(name='compression_ratio [docstring-example]', points=1, hidden=False)
def test_24():
    public_check('encodec_rvq', 'test_compression_ratio[docstring-example]')


@test_case(name='compression_ratio [mono24-6kbps]', points=1, hidden=False)
def test_25():
    public_check('encodec_rvq', 'test_compression_ratio[mono24-6kbps]')


@test_case(name='compression_ratio [1000-rows]', points=1, hidden=False)
def test_26():
    public_check('encodec_rvq', 'test_compression_ratio[1000-rows]')


@test_case(name='compression_ratio [8-bit]', points=1, hidden=False)
def test_27():
    public_check('encodec_rvq', 'test_compression_ratio[8-bit]')


@test_case(name='pre_quantize on a padded batch whose padding is not zero [mono24-noise]', points=2, hidden=False)
def test_28():
    public_check('encodec_rvq', 'test_pre_quantize[mono24-noise]')


@test_case(name='pre_quantize on a padded batch whose padding is not zero [mono16-nan-bool-mask]', points=2, hidden=False)
def test_29():
    public_check('encodec_rvq', 'test_pre_quantize[mono16-nan-bool-mask]')


@test_case(name='codebooks at a bandwidth [mono24-1.5kbps]', points=1, hidden=False)
def test_30():
    public_check('encodec_rvq', 'test_codebooks[mono24-1.5kbps]')


@test_case(name='codebooks at a bandwidth [mono24-7kbps]', points=1, hidden=False)
def test_31():
    public_check('encodec_rvq', 'test_codebooks[mono24-7kbps]')


@test_case(name='codebooks at a bandwidth [stereo48-6kbps]', points=1, hidden=False)
def test_32():
    public_check('encodec_rvq', 'test_codebooks[stereo48-6kbps]')


@test_case(name='codebooks at a bandwidth [full24-24kbps]', points=1, hidden=False)
def test_33():
    public_check('encodec_rvq', 'test_codebooks[full24-24kbps]')


@test_case(name='codebooks at a bandwidth [mono16-10kbps]', points=1, hidden=False)
def test_34():
    public_check('encodec_rvq', 'test_codebooks[mono16-10kbps]')


@test_case(name='quantize gives a nearest row (Euclidean) to every vector [docstring-example]', points=2, hidden=False)
def test_35():
    public_check('encodec_rvq', 'test_quantize[docstring-example]')


@test_case(name='quantize gives a nearest row (Euclidean) to every vector [music-mono24]', points=2, hidden=False)
def test_36():
    public_check('encodec_rvq', 'test_quantize[music-mono24]')


@test_case(name='quantize gives a nearest row (Euclidean) to every vector [music-residuals-mono24]', points=2, hidden=False)
def test_37():
    public_check('encodec_rvq', 'test_quantize[music-residuals-mono24]')


@test_case(name='quantize gives a nearest row (Euclidean) to every vector [duplicate-rows]', points=2, hidden=False)
def test_38():
    public_check('encodec_rvq', 'test_quantize[duplicate-rows]')


@test_case(name='rvq_encode takes a nearest row to the residual at every step [docstring-example]', points=2, hidden=False)
def test_39():
    public_check('encodec_rvq', 'test_rvq_encode[docstring-example]')


@test_case(name='rvq_encode takes a nearest row to the residual at every step [music-mono24-6kbps]', points=2, hidden=False)
def test_40():
    public_check('encodec_rvq', 'test_rvq_encode[music-mono24-6kbps]')


@test_case(name='rvq_decode sums the chosen rows [docstring-example]', points=1, hidden=False)
def test_41():
    public_check('encodec_rvq', 'test_rvq_decode[docstring-example]')


@test_case(name='rvq_decode sums the chosen rows [music-mono24-6kbps]', points=1, hidden=False)
def test_42():
    public_check('encodec_rvq', 'test_rvq_decode[music-mono24-6kbps]')


@test_case(name='rvq_decode sums the chosen rows [fewer-rows-than-codebooks]', points=1, hidden=False)
def test_43():
    public_check('encodec_rvq', 'test_rvq_decode[fewer-rows-than-codebooks]')


@test_case(name='rvq_decode sums the chosen rows [music-mono24-float64]', points=1, hidden=False)
def test_44():
    public_check('encodec_rvq', 'test_rvq_decode[music-mono24-float64]')


@test_case(name='distance_curve [music-mono24-6kbps]', points=1, hidden=False)
def test_45():
    public_check('encodec_rvq', 'test_distance_curve[music-mono24-6kbps]')


@test_case(name='distance_curve [docstring-example]', points=1, hidden=False)
def test_46():
    public_check('encodec_rvq', 'test_distance_curve[docstring-example]')


@test_case(name='several calls in one worker, as the notebook makes them (no state kept between calls) [model-functions]', points=2, hidden=False)
def test_47():
    public_check('encodec_rvq', 'test_calls_in_sequence[model-functions]')


@test_case(name='several calls in one worker, as the notebook makes them (no state kept between calls) [rvq-functions]', points=2, hidden=False)
def test_48():
    public_check('encodec_rvq', 'test_calls_in_sequence[rvq-functions]')


@test_case(name="quantize on the docstring's size (20000 vectors, 1024 rows of 128 dimensions) within the time and memory limits [20000x1024x128]", points=1, hidden=False)
def test_49():
    public_check('encodec_rvq', 'test_quantize_at_scale[20000x1024x128]')


@test_case(name='rvq_encode on 20000 vectors and 1024-row codebooks within the time and memory limits [20000x2x1024x128]', points=1, hidden=False)
def test_50():
    public_check('encodec_rvq', 'test_rvq_encode_at_scale[20000x2x1024x128]')
