"""numpy arrays become the Arrow arrays `pa.array` makes of them, without loading numpy.ma."""

import subprocess
import sys

import numpy as np
import pyarrow as pa
import pytest

from rca.inputs.numpy_arrays import arrow, distinct


@pytest.mark.parametrize("values", [
    np.array([3, -1, 7], dtype=np.int64),
    np.array([3, 1, 7], dtype=np.int32),
    np.array([3, 1, 7], dtype=np.uint8),
    np.array([0.5, np.nan, -2.0]),
    np.array([True, False, True, True, False, False, True, False, True]),
    np.arange(20, dtype=np.int64)[::3],
    np.array([], dtype=np.int64),
    np.array([], dtype=bool),
])
def test_a_numeric_or_boolean_array_becomes_what_pa_array_makes(values):
    built = arrow(values)
    built.validate(full=True)
    made = pa.array(values)
    assert built.type == made.type
    assert built.null_count == made.null_count == 0
    assert np.array_equal(built.to_numpy(zero_copy_only=False), made.to_numpy(zero_copy_only=False), equal_nan=True)


def test_a_mask_makes_the_same_nulls_as_pa_array():
    values = np.array([1.5, np.nan, 3.0, 4.0, np.nan, 6.0, 7.0, 8.0, 9.0])
    mask = np.isnan(values)
    built = arrow(values, pa.float64(), mask=mask)
    built.validate(full=True)
    assert built.null_count == 2
    assert built.to_pylist() == pa.array(values, pa.float64(), mask=mask).to_pylist()


def test_a_mask_over_booleans_makes_the_same_nulls_as_pa_array():
    values = np.array([True, False, True])
    mask = np.array([False, True, False])
    assert arrow(values, mask=mask).equals(pa.array(values, mask=mask))


def test_a_type_asked_for_is_the_type_made():
    values = np.array([1, 2, 3], dtype=np.int32)
    assert arrow(values, pa.int64()).equals(pa.array(values, pa.int64()))
    assert arrow(values, pa.int64()).type == pa.int64()


def test_other_values_go_to_pa_array():
    assert arrow(np.array(["a", "b"])).equals(pa.array(["a", "b"]))
    masked = np.ma.masked_array([1, 2, 3], mask=[False, True, False])
    assert arrow(masked).to_pylist() == [1, None, 3]


def test_building_an_array_does_not_load_numpy_ma():
    code = ("import sys, numpy as np\nfrom rca.inputs.numpy_arrays import arrow, distinct\n"
            "arrow(np.arange(5)); arrow(np.arange(5) > 2, mask=np.arange(5) == 1); distinct(np.arange(5))\nprint('numpy.ma' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split() == ["False"]


@pytest.mark.parametrize("values", [np.array([5, -1, 5, 3, -1, 9]), np.array([], dtype=np.int64),
                                    np.array([7], dtype=np.int32), np.array([[2, 1], [2, 0]])])
def test_distinct_integers_are_what_np_unique_gives(values):
    got, want = distinct(values), np.unique(values)
    assert got.dtype == want.dtype
    assert got.tolist() == want.tolist()
