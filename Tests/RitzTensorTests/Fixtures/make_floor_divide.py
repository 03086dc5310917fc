#!/usr/bin/env python3
"""Makes `floor_divide.csv`: x, y and NumPy's floor_divide(x, y) for the `//` operator's tests.

Run from this folder:  python3 make_floor_divide.py   (made with NumPy 2.4)
Rows: hand-picked edge cases (signs, signed zeros, a divisor that is not exact in binary,
infinities, NaN, division by zero, huge quotients), then 200 random pairs from
numpy.random.default_rng(7). Every double is written with Python's repr, so it reads back exactly.
"""
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
inf, nan = float("inf"), float("nan")
cases = [
    (7, 2), (-7, 2), (7, -2), (-7, -2), (7.5, 2), (-7.5, 2), (1, 0.1), (-1, 0.1), (0.3, 0.1),
    (0.0, 3), (-0.0, 3), (0.0, -3), (-0.0, -3), (1, -3), (-1, 3), (6, 3), (-6, 3), (6, -3),
    (7, 0), (-7, 0), (0, 0), (inf, 2), (-inf, 2), (2, inf), (-2, inf), (2, -inf), (nan, 2), (2, nan),
    (1e308, 1e-308), (-1e308, 1e-10), (5e-324, 1), (-5e-324, 1), (2 ** 53 + 2, 3), (1e16, 7),
]
rng = np.random.default_rng(7)
xs = rng.normal(size=200) * 10.0 ** rng.integers(-3, 4, size=200)
ys = rng.normal(size=200) * 10.0 ** rng.integers(-3, 4, size=200)
cases += list(zip(xs.tolist(), ys.tolist()))
x = np.array([c[0] for c in cases], dtype=float)
y = np.array([c[1] for c in cases], dtype=float)
with np.errstate(all="ignore"):
    q = np.floor_divide(x, y)
with open(os.path.join(HERE, "floor_divide.csv"), "w") as f:
    f.write("x,y,floor_divide\n")
    for a, b, c in zip(x.tolist(), y.tolist(), q.tolist()):
        f.write(f"{a!r},{b!r},{c!r}\n")
