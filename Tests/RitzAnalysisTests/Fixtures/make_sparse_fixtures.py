"""Matrix Market fixtures written by SciPy for the .mtx reader (SparseEigenTests / MatrixMarketTests).

Run with NumPy and SciPy installed (bench/.venv works):
    python Tests/RitzAnalysisTests/Fixtures/make_sparse_fixtures.py
Writes, in Fixtures/sparse/:
  * weighted_sym.mtx  scipy.io.mmwrite of a symmetric 7x7 weighted sparse matrix (symmetry="symmetric"),
  * rect_general.mtx  a 4x6 general real matrix with a duplicate-free random pattern,
  * pattern_sym.mtx   the 5-cycle's adjacency as a symmetric pattern matrix,
  * dense_array.mtx   mmwrite of a dense 3x2 ndarray (array format),
  * expected.json     each file's dense matrix as scipy.io.mmread reads it back (float.hex strings, exact).
"""
import json
import os

import numpy as np
import scipy.io
import scipy.sparse

here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sparse")
os.makedirs(here, exist_ok=True)
rng = np.random.default_rng(19)

a = scipy.sparse.random(7, 7, density=0.3, random_state=rng, format="csr")
a = (a + a.T + scipy.sparse.diags(np.arange(1.0, 8.0))).tocoo()
scipy.io.mmwrite(os.path.join(here, "weighted_sym.mtx"), a, symmetry="symmetric", precision=17)

r = scipy.sparse.random(4, 6, density=0.4, random_state=rng, format="coo")
r.data = rng.standard_normal(r.nnz) * 1e3
scipy.io.mmwrite(os.path.join(here, "rect_general.mtx"), r, symmetry="general", precision=17)

c = scipy.sparse.coo_matrix((np.ones(10), ([0, 1, 2, 3, 4, 1, 2, 3, 4, 0], [1, 2, 3, 4, 0, 0, 1, 2, 3, 4])), shape=(5, 5))
scipy.io.mmwrite(os.path.join(here, "pattern_sym.mtx"), c, field="pattern", symmetry="symmetric")

d = np.array([[1.5, -2.0], [0.0, 3.25], [1e-300, 7.0]])
scipy.io.mmwrite(os.path.join(here, "dense_array.mtx"), d)

expected = {}
for name in ["weighted_sym", "rect_general", "pattern_sym", "dense_array"]:
    m = scipy.io.mmread(os.path.join(here, name + ".mtx"))
    dense = m.toarray() if scipy.sparse.issparse(m) else np.asarray(m)
    expected[name] = {"shape": list(dense.shape), "dense": [float(x).hex() for x in dense.astype(float).ravel()],
                      "sparse": bool(scipy.sparse.issparse(m))}
with open(os.path.join(here, "expected.json"), "w") as f:
    json.dump(expected, f, indent=1)
