"""Type aliases shared by the rules, the strategies and the kernel.

The rules and strategies are written once for a scalar (one run, inside the compiled kernel)
and for numpy arrays (any leading axes, for example one per run): ``Number`` says so.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["BoolArray", "FloatArray", "IntArray", "Number"]

type FloatArray = npt.NDArray[np.float64]
type IntArray = npt.NDArray[np.int64]
type BoolArray = npt.NDArray[np.bool_]
#: A float or an array of floats: the rules apply elementwise to either.
type Number = float | np.floating | FloatArray
