#!/usr/bin/env python3
"""Makes the NumPy references for sort, argsort, unique, searchsorted, median, quantile,
histogram, cov, corrcoef, isclose, tril/triu, roll, flip, repeat, tile, meshgrid, matrix norms
and .npz files.

Run from this folder:  python3 make_numpy_habits.py
Writes `numpy_habits.json` (inputs and results; floats with Python's repr, so every double is
exact; NaN and infinities as the strings "nan", "inf", "-inf") and `npz/*.npz` (np.savez and
np.savez_compressed). Made with NumPy 2.4; inputs come from numpy.random.default_rng with a fixed
seed, so re-running gives the same files.
"""
import json
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(14)


def num(v):
    v = float(v)
    if np.isnan(v):
        return "nan"
    if np.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def t(a):
    """A tensor as {"shape", "data", "dtype"}."""
    a = np.asarray(a)
    kind = "int64" if a.dtype.kind in "iu" else ("bool" if a.dtype.kind == "b" else "float64")
    return {"shape": list(a.shape), "data": [num(v) for v in a.astype(float).ravel()], "dtype": kind}


out = {}

# Inputs: ties, NaN, an empty vector, a matrix for axis choices.
ties = np.array([3.0, 1.0, 2.0, 1.0, 3.0, 0.5, 2.0])
with_nan = np.array([2.0, np.nan, -1.0, 4.0, np.nan, 0.0])
empty = np.array([], dtype=float)
M = np.round(rng.normal(size=(4, 5)) * 3, 1)
M[1, 2] = M[0, 2]                                   # a tie along axis 0
out["inputs"] = {"ties": t(ties), "with_nan": t(with_nan), "empty": t(empty), "M": t(M)}

sorts = {}
for name, x in [("ties", ties), ("with_nan", with_nan), ("empty", empty)]:
    u, idx, cnt = np.unique(x, return_index=True, return_counts=True)
    sorts[name] = {"sort": t(np.sort(x)), "argsort": t(np.argsort(x, kind="stable")),
                   "unique": t(u), "unique_index": t(idx), "unique_counts": t(cnt)}
sorts["M"] = {"sort_axis0": t(np.sort(M, axis=0)), "sort_axis1": t(np.sort(M, axis=1)),
              "sort_flat": t(np.sort(M, axis=None)),
              "argsort_axis0": t(np.argsort(M, axis=0, kind="stable")),
              "argsort_axis1": t(np.argsort(M, axis=1, kind="stable"))}
out["sort"] = sorts

a = np.sort(ties)
v = np.array([0.0, 0.5, 1.0, 2.5, 3.0, 9.0, np.nan])
out["searchsorted"] = {"a": t(a), "v": t(v), "left": t(np.searchsorted(a, v, side="left")),
                       "right": t(np.searchsorted(a, v, side="right"))}

qs = np.array([0.0, 0.1, 0.25, 0.5, 0.9, 1.0])
with np.errstate(all="ignore"):
    import warnings
    warnings.simplefilter("ignore")
    out["order_statistics"] = {
        "q": t(qs),
        "median_ties": num(np.median(ties)), "median_nan": num(np.median(with_nan)),
        "median_empty": num(np.median(empty)),
        "median_M_axis0": t(np.median(M, axis=0)), "median_M_axis1": t(np.median(M, axis=1)),
        "quantile_ties": t(np.quantile(ties, qs)), "quantile_M_axis0": t(np.quantile(M, qs, axis=0)),
        "quantile_M_axis1_scalar": t(np.quantile(M, 0.3, axis=1)),
        "quantile_nan": t(np.quantile(with_nan, qs)),
        "percentile_M": t(np.percentile(M, [5.0, 50.0, 95.0])),
    }

data = rng.normal(size=200)
counts, edges = np.histogram(data, bins=7)
c_const, e_const = np.histogram(np.full(5, 2.0), bins=4)
c_range, e_range = np.histogram(data, bins=5, range=(-1.0, 1.0))
c_edge, e_edge = np.histogram(np.array([0.0, 0.1, 0.2, 0.3, 1.0]), bins=10)
out["histogram"] = {"data": t(data), "counts": t(counts), "edges": t(edges),
                    "const_counts": t(c_const), "const_edges": t(e_const),
                    "range_counts": t(c_range), "range_edges": t(e_range),
                    "edge_data": t(np.array([0.0, 0.1, 0.2, 0.3, 1.0])),
                    "edge_counts": t(c_edge), "edge_edges": t(e_edge)}

X = rng.normal(size=(3, 12))
X[2] = 0.5 * X[0] - X[1] + 0.1 * X[2]
out["cov"] = {"X": t(X), "cov": t(np.cov(X)), "cov_ddof0": t(np.cov(X, ddof=0)),
              "corrcoef": t(np.corrcoef(X)), "cov_vector": num(np.cov(X[0]))}

ca = np.array([1.0, 1.0 + 1e-6, 1.0 + 2e-5, np.inf, -np.inf, np.nan, 0.0, 1e-9])
cb = np.array([1.0, 1.0, 1.0, np.inf, np.inf, np.nan, 5e-9, 0.0])
out["isclose"] = {"a": t(ca), "b": t(cb), "default": t(np.isclose(ca, cb)),
                  "equal_nan": t(np.isclose(ca, cb, equal_nan=True)),
                  "tight": t(np.isclose(ca, cb, rtol=1e-7, atol=0.0)),
                  "allclose_first3": bool(np.allclose(ca[:3], cb[:3]))}

T = np.round(rng.normal(size=(2, 3, 4)), 2)
out["arrange"] = {
    "T": t(T), "M": t(M),
    "tril": t(np.tril(M)), "tril_k1": t(np.tril(M, k=1)), "tril_km2": t(np.tril(M, k=-2)),
    "triu": t(np.triu(M)), "triu_k2": t(np.triu(M, k=2)), "triu_T": t(np.triu(T, k=-1)),
    "roll_flat": t(np.roll(M, 7)), "roll_axis0": t(np.roll(M, -1, axis=0)), "roll_axis1": t(np.roll(M, 12, axis=1)),
    "flip_all": t(np.flip(T)), "flip_axis1": t(np.flip(T, axis=1)),
    "repeat_flat": t(np.repeat(M, 2)), "repeat_axis1": t(np.repeat(T, 3, axis=1)),
    "tile_2": t(np.tile(M, 2)), "tile_2_1_3": t(np.tile(T, (2, 1, 3))), "tile_3_2": t(np.tile(np.array([1.0, 2.0]), (3, 2))),
}
mx, my = np.meshgrid(np.array([1.0, 2.0, 3.0]), np.array([10.0, 20.0]))
out["arrange"]["meshgrid_x"] = t(mx)
out["arrange"]["meshgrid_y"] = t(my)

out["norms"] = {"M": t(M), "fro": num(np.linalg.norm(M)), "fro_named": num(np.linalg.norm(M, "fro")),
                "nuc": num(np.linalg.norm(M, "nuc")), "two": num(np.linalg.norm(M, 2)),
                "minus_two": num(np.linalg.norm(M, -2)), "one": num(np.linalg.norm(M, 1)),
                "minus_one": num(np.linalg.norm(M, -1)), "inf": num(np.linalg.norm(M, np.inf)),
                "minus_inf": num(np.linalg.norm(M, -np.inf))}

# .npz: a float matrix, an int vector, a bool mask and a 0-d value, stored and deflated.
os.makedirs(os.path.join(HERE, "npz"), exist_ok=True)
members = {"M": M, "idx": np.array([3, 0, 2], dtype=np.int64), "mask": M[0] > 0, "scalar": np.float64(2.5)}
np.savez(os.path.join(HERE, "npz", "stored.npz"), **members)
np.savez_compressed(os.path.join(HERE, "npz", "deflated.npz"), **members)
out["npz"] = {k: t(v) for k, v in members.items()}

with open(os.path.join(HERE, "numpy_habits.json"), "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
