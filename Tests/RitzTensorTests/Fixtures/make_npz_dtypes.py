#!/usr/bin/env python3
"""Makes the .npz fixtures of every dtype ritz reads, and checks that NumPy reads what ritz writes.

Run from this folder:  python3 make_npz_dtypes.py
Writes `npz/dtypes.npz` (np.savez) and `npz/dtypes_deflated.npz` (np.savez_compressed), one
member per dtype ritz reads (f8 f4 i8 i4 i2 i1 u8 u4 u2 u1 b1 c16 c8), with a big-endian, a
Fortran-ordered, a 0-d and an empty member, and `npz/dtypes.json`: each member's shape and its
values as float64 (complex as [re, im] pairs), every double exact (Python repr).

When `npz/written_by_ritz.npz` exists (ritz writes it: `save("written_by_ritz.npz", (w=[1.5, -2; 0.25, 1e300],
i=argsort([3, 1, 2]), mask=[1, 0, 2] > 0, z=[1 + 2im, -0.5im]), compressed=true)`), the script
loads it with numpy.load and asserts the arrays and dtypes, so the committed file is one NumPy
has read; the Swift test then requires ritz to write those exact bytes again.
Made with NumPy 2.x; the values are fixed, so re-running gives the same files.
"""
import json
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "npz")
os.makedirs(OUT, exist_ok=True)

base = np.array([[0, 1, -2], [3, -4, 5]])
members = {
    "f8": np.array([[0.1, -2.5, 1e-300], [np.inf, -0.0, 3.0]], dtype="<f8"),
    "f8_big": np.array([1.5, -2.25, 1e300], dtype=">f8"),
    "f4": np.array([[0.1, -2.5, 3.0e38], [1e-7, 0.0, 7.0]], dtype="<f4"),
    "i8": np.array([-(2 ** 53), 0, 2 ** 53], dtype="<i8"),
    "i4": base.astype("<i4"),
    "i4_big": base.astype(">i4"),
    "i2": base.astype("<i2"),
    "i1": base.astype("i1"),
    "u8": np.array([0, 1, 2 ** 40], dtype="<u8"),
    "u4": np.array([0, 4000000000], dtype="<u4"),
    "u2": np.array([0, 65535], dtype="<u2"),
    "u1": np.array([0, 255, 7], dtype="u1"),
    "b1": np.array([[True, False], [False, True]]),
    "c16": np.array([1 + 2j, -0.5j, 3.0], dtype="<c16"),
    "c8": np.array([1.5 - 2j, 0.25j], dtype="<c8"),
    "f8_fortran": np.asfortranarray(np.arange(6.0).reshape(2, 3) / 4),
    "scalar": np.float64(2.5),
    "empty": np.zeros((0, 3)),
}
np.savez(os.path.join(OUT, "dtypes.npz"), **members)
np.savez_compressed(os.path.join(OUT, "dtypes_deflated.npz"), **members)


def values(a):
    a = np.asarray(a)
    if np.iscomplexobj(a):
        return [[float(z.real), float(z.imag)] for z in a.astype(np.complex128).ravel()]
    return [repr(float(v)) if not np.isfinite(v) else float(v) for v in a.astype(np.float64).ravel()]


ref = {name: {"shape": list(np.shape(a)), "dtype": np.asarray(a).dtype.str, "values": values(a)} for name, a in members.items()}
with open(os.path.join(OUT, "dtypes.json"), "w") as f:
    json.dump(ref, f, indent=1)
    f.write("\n")

written = os.path.join(OUT, "written_by_ritz.npz")
if os.path.exists(written):
    with np.load(written) as z:
        assert list(z.keys()) == ["w", "i", "mask", "z"], list(z.keys())
        assert z["w"].dtype == np.float64 and np.array_equal(z["w"], [[1.5, -2], [0.25, 1e300]])
        assert z["i"].dtype == np.int64 and np.array_equal(z["i"], [1, 2, 0])
        assert z["mask"].dtype == np.bool_ and np.array_equal(z["mask"], [True, False, True])
        assert z["z"].dtype == np.complex128 and np.array_equal(z["z"], [1 + 2j, -0.5j])
    print("numpy.load reads written_by_ritz.npz: w f8, i i8, mask b1, z c16 as written")
