#!/usr/bin/env python3
"""Makes the reference values the RitzTensor tests compare against.

Run from this folder:  python3 make_fixtures.py
Writes `reference.json` (inputs and NumPy/SciPy results; floats written with Python's repr,
so every double is exact), `npy/*.npy` (files written by NumPy in every dtype, byte order,
memory order and format version ritz reads), `table.csv` (written by numpy.savetxt) and
`linalg_hard.json` (hard matrices for the LAPACK builtins with references computed by mpmath
at 50 significant digits from the stored doubles, so they are exact to double rounding, not
LAPACK's own answers; see `hard_linalg`).
Made with NumPy 2.4, SciPy 1.17 and mpmath 1.4; inputs come from numpy.random.default_rng(seed)
with fixed seeds, so re-running gives the same inputs (NumPy/SciPy results may change in the
last bit with the BLAS kernels of the machine; the mpmath references do not).
"""
import json
import math
import os

import numpy as np
import scipy.linalg as sla
import scipy.signal as ss
import scipy.special as sp

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20240607)


def t(a):
    """A tensor as {"shape", "data"} (complex: "re" and "im" instead of "data")."""
    a = np.asarray(a)
    if np.iscomplexobj(a):
        return {"shape": list(a.shape), "re": [float(v) for v in a.real.ravel()],
                "im": [float(v) for v in a.imag.ravel()]}
    return {"shape": list(a.shape), "data": [float(v) for v in a.astype(float).ravel()]}


out = {}

# ---------------------------------------------------------------- elementwise
x = rng.normal(size=(3, 4)) * 2
x[0, :4] = [0.5, 1.5, -2.5, -0.5]          # halves, to test round-half-even
pos = rng.uniform(0.1, 3.0, size=(3, 4))
y = rng.normal(size=(3, 4))
row = rng.normal(size=(4,))
col = rng.normal(size=(3, 1))
unary = {
    "neg": -x, "exp": np.exp(x), "log": np.log(pos), "log1p": np.log1p(pos), "sqrt": np.sqrt(pos),
    "abs": np.abs(x), "sign": np.sign(x), "floor": np.floor(x), "ceil": np.ceil(x), "round": np.round(x),
    "sin": np.sin(x), "cos": np.cos(x), "tan": np.tan(x), "tanh": np.tanh(x), "sigmoid": sp.expit(x),
    "relu": np.maximum(x, 0), "gelu": 0.5 * x * (1 + sp.erf(x / math.sqrt(2))),
    "softplus": np.logaddexp(0, x),
}
out["unary"] = {"x": t(x), "pos": t(pos), "positive_ops": ["log", "log1p", "sqrt"],
                "results": {k: t(v) for k, v in unary.items()}}
binary = {}
for name, other in [("same", y), ("row", row), ("col", col), ("scalar", np.array(0.75))]:
    binary[name] = {
        "other": t(other),
        "add": t(x + other), "sub": t(x - other), "mul": t(x * other), "div": t(x / other),
        "pow": t(pos ** other), "mod": t(np.mod(x, other)),
        "maximum": t(np.maximum(x, other)), "minimum": t(np.minimum(x, other)),
        "lt": t(x < other), "ge": t(x >= other), "eq": t(x == x),
    }
out["binary"] = binary
zc = x[:2, :2] + 1j * y[:2, :2]
wc = y[:2, :2] - 0.5j * x[:2, :2]
out["complex"] = {"z": t(zc), "w": t(wc), "mul": t(zc * wc), "div": t(zc / wc), "exp": t(np.exp(zc)),
                  "abs": t(np.abs(zc)), "sqrt": t(np.sqrt(zc)), "angle": t(np.angle(zc))}

# ---------------------------------------------------------------- reductions
r = rng.normal(size=(2, 3, 4))
red = []
for op, f in [("sum", np.sum), ("mean", np.mean), ("max", np.max), ("min", np.min), ("prod", np.prod),
              ("std", np.std), ("var", np.var), ("argmax", np.argmax), ("argmin", np.argmin)]:
    for axis in [None, 0, 1, -1, -3]:
        for keep in [False, True]:
            if op.startswith("arg") and keep:
                continue
            kw = {"axis": axis}
            if not op.startswith("arg"):
                kw["keepdims"] = keep
            red.append({"op": op, "axis": axis, "keepDims": keep, "result": t(f(r, **kw))})
out["reduce"] = {"x": t(r), "cases": red}
out["cumsum"] = {"x": t(r), "none": t(np.cumsum(r)), "axis0": t(np.cumsum(r, axis=0)),
                 "axis_1": t(np.cumsum(r, axis=-1))}
big = r * 300                                         # exp overflows without the max shift
out["logsumexp"] = {"x": t(big), "none": t(sp.logsumexp(big)), "axis1": t(sp.logsumexp(big, axis=1)),
                    "axis_1_keep": t(sp.logsumexp(big, axis=-1, keepdims=True))}
out["softmax"] = {"x": t(big), "axis_1": t(sp.softmax(big, axis=-1)), "axis0": t(sp.softmax(big, axis=0))}
out["norm"] = {"x": t(r), "p2": float(np.linalg.norm(r.ravel())), "p1": float(np.linalg.norm(r.ravel(), 1)),
               "pinf": float(np.linalg.norm(r.ravel(), np.inf)), "p3": float(np.sum(np.abs(r) ** 3) ** (1 / 3))}

# ---------------------------------------------------------------- products
mm = []
for name, sa, sb in [("mat_mat", (3, 4), (4, 5)), ("vec_mat", (4,), (4, 5)), ("mat_vec", (3, 4), (4,)),
                     ("vec_vec", (4,), (4,)), ("stack_mat", (2, 3, 4), (4, 5)),
                     ("broadcast_stacks", (2, 1, 3, 4), (3, 4, 2)), ("vec_stack", (4,), (2, 4, 3)),
                     ("row_col", (1, 4), (4, 1)), ("outer_shape", (3, 1), (1, 2))]:
    a = rng.normal(size=sa)
    b = rng.normal(size=sb)
    mm.append({"name": name, "a": t(a), "b": t(b), "result": t(np.matmul(a, b))})
out["matmul"] = mm
u = rng.normal(size=5)
v = rng.normal(size=5)
k1 = rng.normal(size=(2, 2))
k2 = rng.normal(size=(2, 3))
sq = rng.normal(size=(4, 4))
out["products"] = {"u": t(u), "v": t(v), "dot": float(np.dot(u, v)), "outer": t(np.outer(u, v[:3])),
                   "k1": t(k1), "k2": t(k2), "kron": t(np.kron(k1, k2)), "kron1d": t(np.kron(u[:2], v[:3])),
                   "sq": t(sq), "trace": float(np.trace(sq))}

# ---------------------------------------------------------------- indexing and shapes
A = np.arange(20.0).reshape(4, 5) * 1.5 - 7


def index_case(name, items):
    key = []
    for it in items:
        if "at" in it:
            key.append(it["at"])
        elif "slice" in it:
            key.append(slice(*it["slice"]))
        elif "array" in it:
            key.append(np.array(it["array"], dtype=int))
        else:
            key.append(np.array(it["mask"], dtype=bool))
    return {"name": name, "items": items, "result": t(A[tuple(key)])}


out["index"] = {"A": t(A), "cases": [
    index_case("element", [{"at": 1}, {"at": 2}]),
    index_case("negative", [{"at": -1}, {"at": -2}]),
    index_case("row", [{"at": 0}]),
    index_case("column", [{"slice": [None, None, None]}, {"at": 1}]),
    index_case("slice", [{"slice": [1, 3, None]}, {"slice": [None, None, 2]}]),
    index_case("negative_slice", [{"slice": [-3, -1, None]}, {"slice": [-1, None, -2]}]),
    index_case("reversed", [{"slice": [None, None, -1]}]),
    index_case("empty_slice", [{"slice": [3, 1, None]}]),
    index_case("fancy_rows", [{"array": [3, 0, -1, 0]}]),
    index_case("fancy_cols", [{"slice": [1, 3, None]}, {"array": [4, 0]}]),
    index_case("row_mask", [{"mask": [True, False, True, False]}]),
    index_case("col_mask", [{"at": 2}, {"mask": [False, True, True, False, True]}]),
]}
out["mask_full"] = {"A": t(A), "result": t(A[A > 2]), "assigned": t(np.where(A > 2, 0.0, A))}
assign = A.copy()
assign[1:3, ::2] = np.array([10.0, 20.0, 30.0])
out["assign"] = {"result": t(assign)}
r3 = rng.normal(size=(2, 3, 4))
out["shape"] = {
    "x": t(r3), "reshape": t(r3.reshape(4, -1)), "transpose": t(np.transpose(r3)),
    "transpose_perm": t(np.transpose(r3, (1, 2, 0))), "T2": t(A.T),
    "concat0": t(np.concatenate([r3, r3 * 2], axis=0)), "concat_1": t(np.concatenate([r3, r3[:, :, :2]], axis=-1)),
    "stack0": t(np.stack([A, A + 1], axis=0)), "stack2": t(np.stack([A, A + 1], axis=2)),
    "stack_neg": t(np.stack([A, A + 1], axis=-1)),
}

# ---------------------------------------------------------------- LAPACK
n = 6
S = rng.normal(size=(n, n)); S = S + S.T
G = rng.normal(size=(n, n))
R = rng.normal(size=(8, 5))
W = rng.normal(size=(3, 5))
P = R.T @ R + 0.5 * np.eye(5)
b = rng.normal(size=n)
B = rng.normal(size=(n, 3))
D = rng.normal(size=(6, 3)) @ rng.normal(size=(3, 5))          # rank 3
bR = rng.normal(size=8)
BR = rng.normal(size=(8, 2))
bW = rng.normal(size=3)
bD = rng.normal(size=6)
ev, evec = np.linalg.eigh(S)
gw, gv = np.linalg.eig(G)
U, s, Vt = np.linalg.svd(R, full_matrices=False)
Uf, sf, Vtf = np.linalg.svd(W, full_matrices=True)
Q, Rr = np.linalg.qr(R)
Qw, Rw = np.linalg.qr(W)
d = rng.normal(size=7)
e = rng.normal(size=6)
tw, tv = sla.eigh_tridiagonal(d, e)
expm_cases = {}
for scale in [0.005, 0.1, 0.5, 1.5, 4.0, 25.0]:
    M = G / np.linalg.norm(G, 1) * scale                      # ‖M‖₁ = scale: every Padé degree and scaling
    expm_cases[repr(scale)] = {"a": t(M), "result": t(sla.expm(M))}
rot = np.array([[0.0, -2.0], [2.0, 0.0]])                    # e^rot is a rotation by 2 rad
out["linalg"] = {
    "S": t(S), "G": t(G), "R": t(R), "W": t(W), "P": t(P), "D": t(D), "b": t(b), "B": t(B),
    "bR": t(bR), "BR": t(BR), "bW": t(bW), "bD": t(bD),
    "eigh_values": t(ev), "eigh_vectors": t(evec), "eigvalsh": t(np.linalg.eigvalsh(S)),
    "eig_values": t(gw), "eig_vectors": t(gv),
    "svd_u": t(U), "svd_s": t(s), "svd_vt": t(Vt),
    "svd_full_u": t(Uf), "svd_full_s": t(sf), "svd_full_vt": t(Vtf),
    "qr_q": t(Q), "qr_r": t(Rr), "qr_wide_q": t(Qw), "qr_wide_r": t(Rw),
    "solve_vec": t(np.linalg.solve(G, b)), "solve_mat": t(np.linalg.solve(G, B)),
    "lstsq_tall": t(np.linalg.lstsq(R, bR)[0]), "lstsq_tall_mat": t(np.linalg.lstsq(R, BR)[0]),
    "lstsq_wide": t(np.linalg.lstsq(W, bW)[0]), "lstsq_deficient": t(np.linalg.lstsq(D, bD)[0]),
    "inv": t(np.linalg.inv(G)), "det": float(np.linalg.det(G)), "det_S": float(np.linalg.det(S)),
    "pinv_R": t(np.linalg.pinv(R)), "pinv_D": t(np.linalg.pinv(D)), "pinv_W": t(np.linalg.pinv(W)),
    "rank_R": int(np.linalg.matrix_rank(R)), "rank_D": int(np.linalg.matrix_rank(D)),
    "rank_D_tol": int(np.linalg.matrix_rank(D, tol=float(np.linalg.svd(D, compute_uv=False)[1]) * 1.0001)),
    "cholesky": t(np.linalg.cholesky(P)), "cond_G": float(np.linalg.cond(G)), "cond_R": float(np.linalg.cond(R)),
    "expm": expm_cases, "expm_rot": t(sla.expm(rot)), "rot": t(rot),
    "tri_d": t(d), "tri_e": t(e), "tri_values": t(tw), "tri_vectors": t(tv),
}

# ---------------------------------------------------------------- FFT
fx = rng.normal(size=(4, 6))
fz = rng.normal(size=5) + 1j * rng.normal(size=5)
fo = rng.normal(size=(7,))
half = np.fft.rfft(fx, axis=-1)
out["fft"] = {
    "x": t(fx), "z": t(fz), "odd": t(fo),
    "fft_last": t(np.fft.fft(fx)), "fft_axis0": t(np.fft.fft(fx, axis=0)), "fft_z": t(np.fft.fft(fz)),
    "ifft_z": t(np.fft.ifft(fz)), "ifft_axis0": t(np.fft.ifft(fx, axis=0)),
    "rfft_last": t(half), "rfft_axis0": t(np.fft.rfft(fx, axis=0)), "rfft_odd": t(np.fft.rfft(fo)),
    "irfft_default": t(np.fft.irfft(half)), "irfft_n7": t(np.fft.irfft(half, n=7)),
    "irfft_n3": t(np.fft.irfft(half, n=3)), "irfft_axis0": t(np.fft.irfft(np.fft.rfft(fx, axis=0), n=4, axis=0)),
    "fftfreq_7_01": t(np.fft.fftfreq(7, d=0.1)), "fftfreq_8": t(np.fft.fftfreq(8)), "fftfreq_1": t(np.fft.fftfreq(1)),
}
sig_even = np.sin(2 * np.pi * 0.125 * np.arange(16)) + 0.3 + rng.normal(size=16) * 0.1
sig_odd = rng.normal(size=9)
pg = {}
for name, sig in [("even", sig_even), ("odd", sig_odd), ("matrix", fx), ("complex", fz)]:
    f, p = ss.periodogram(sig) if not np.iscomplexobj(sig) else ss.periodogram(sig, return_onesided=False)
    pg[name] = {"x": t(sig), "freq": t(f), "power": t(p)}
out["periodogram"] = pg


# ---------------------------------------------------------------- RNG: xoshiro256** seeded by SplitMix64
M64 = (1 << 64) - 1


def splitmix(state):
    state = (state + 0x9E3779B97F4A7C15) & M64
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return state, z ^ (z >> 31)


def rotl(v, k):
    return ((v << k) | (v >> (64 - k))) & M64


class Xoshiro:
    """xoshiro256** 1.0 (Blackman and Vigna, https://prng.di.unimi.it/xoshiro256starstar.c)."""

    def __init__(self, seed):
        st = seed
        self.s = []
        for _ in range(4):
            st, z = splitmix(st)
            self.s.append(z)

    def next(self):
        s = self.s
        result = (rotl((s[1] * 5) & M64, 7) * 9) & M64
        tt = (s[1] << 17) & M64
        s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]
        s[2] ^= tt
        s[3] = rotl(s[3], 45)
        return result

    def uniform(self):
        return (self.next() >> 11) * 2.0 ** -53


rngs = []
for seed in [0, 42, 2 ** 63 + 5]:
    g = Xoshiro(seed)
    bits = [str(g.next()) for _ in range(6)]
    g = Xoshiro(seed)
    uni = [g.uniform() for _ in range(6)]
    g = Xoshiro(seed)
    normals = []
    for _ in range(2):                                  # Box–Muller, cosine first, then sine
        u1 = g.uniform()
        while u1 == 0:
            u1 = g.uniform()
        u2 = g.uniform()
        rr = math.sqrt(-2 * math.log(u1))
        normals += [rr * math.cos(2 * math.pi * u2), rr * math.sin(2 * math.pi * u2)]
    rngs.append({"seed": str(seed), "bits": bits, "uniform": uni, "normal": normals})
out["rng"] = rngs

# ---------------------------------------------------------------- .npy files written by NumPy
npy_dir = os.path.join(HERE, "npy")
os.makedirs(npy_dir, exist_ok=True)
base = np.arange(24.0).reshape(2, 3, 4) / 7 - 1.3
mat = base[0]
files = {
    "f8_c": mat.astype("<f8"),
    "f8_fortran": np.asfortranarray(mat.astype("<f8")),
    "f8_big": mat.astype(">f8"),
    "f8_3d_fortran": np.asfortranarray(base),
    "f4_c": mat.astype("<f4"),
    "f4_big_fortran": np.asfortranarray(mat.astype(">f4")),
    "i8_c": (np.arange(12) - 5).reshape(3, 4).astype("<i8"),
    "i8_fortran": np.asfortranarray((np.arange(12) - 5).reshape(3, 4).astype("<i8")),
    "i4_c": (np.arange(12) * 1000 - 5000).reshape(4, 3).astype("<i4"),
    "i4_big": (np.arange(12) * 1000 - 5000).reshape(4, 3).astype(">i4"),
    "b1_c": mat > 0,
    "b1_fortran": np.asfortranarray(mat > 0),
    "c16_c": (mat + 1j * mat[::-1]).astype("<c16"),
    "c16_fortran": np.asfortranarray((mat + 1j * mat[::-1]).astype("<c16")),
    "c16_big": (mat + 1j * mat[::-1]).astype(">c16"),
    "scalar": np.array(3.25),
    "vector": np.linspace(-1, 1, 5),
    "empty": np.zeros((0, 3)),
}
expected = {}
for name, arr in files.items():
    np.save(os.path.join(npy_dir, name + ".npy"), arr)
    # The dtype ritz gives: integer files load as int64 (their values are within ±2^53).
    kind = "bool" if arr.dtype == bool else ("complex128" if np.iscomplexobj(arr) else
                                             ("int64" if arr.dtype.kind in "iu" else "float64"))
    expected[name] = {"dtype": kind, **t(arr)}
from numpy.lib import format as npformat  # noqa: E402
for version in [(2, 0), (3, 0)]:
    name = "f8_v%d" % version[0]
    with open(os.path.join(npy_dir, name + ".npy"), "wb") as fh:
        npformat.write_array(fh, mat, version=version)
    expected[name] = {"dtype": "float64", **t(mat)}
np.save(os.path.join(npy_dir, "object.npy"), np.array([1, "a", None], dtype=object), allow_pickle=True)
np.save(os.path.join(npy_dir, "strings.npy"), np.array(["ab", "cd"]))
np.save(os.path.join(npy_dir, "structured.npy"), np.zeros(2, dtype=[("a", "<f8"), ("b", "<i4")]))
out["npy"] = expected

# ---------------------------------------------------------------- CSV written by numpy.savetxt
table = rng.normal(size=(4, 3)) * 1e3
table[0, 0] = 1 / 3
np.savetxt(os.path.join(HERE, "table.csv"), table, delimiter=",", header="alpha,beta,gamma", comments="", fmt="%.17g")
out["csv"] = {"table": t(table)}



# ---------------------------------------------------------------- hard matrices for LAPACK builtins
def hard_linalg():
    """Badly scaled, nearly singular, graded, clustered, repeated and non-normal matrices, each
    with references from mpmath at 50 digits (the true values for the stored doubles):
    `sigma` (singular values, descending), `norm2` = σ₁, `cond2` = σ₁/σₙ and for square
    nonsingular ones `cond1` = ‖A‖₁‖A⁻¹‖₁, `inv`, `det`, `b` and `x` = A⁻¹b; symmetric ones
    `eigh` (ascending); general ones `eig` with `eig_cond` = 1/|yᴴx| (unit left y, right x);
    with the balancing T⁻¹AT dgeev applies (`balance`, `balance_inv`: SciPy's matrix_balance,
    which is dgebal); rectangular or rank-deficient ones `rank` (σ > max(m, n)·ε·σ₁ as NumPy), the truncated
    minimum-norm `lstsq` solution of `b` with `lstsq_cond` = κ_r + κ_r²·‖r‖/(σ₁‖x‖) (Wedin;
    Higham, Accuracy and Stability §20.1) and `pinv` truncated at `pinv_rcond`·σ₁."""
    import mpmath as mp
    mp.mp.dps = 50
    hr = np.random.default_rng(20261205)
    eps = np.finfo(float).eps

    def orthogonal(n):
        q, r = np.linalg.qr(hr.normal(size=(n, n)))
        return q * np.sign(np.diag(r))

    def with_singular_values(sig):
        # Q·diag(σ) with its columns permuted: each stored entry is rounded relatively, so the
        # stored matrix keeps σ to a few ulps each, even σ far below ε·σ₁.
        n = len(sig)
        return (orthogonal(n) * np.asarray(sig, dtype=float))[:, hr.permutation(n)]

    def symmetric_with_eigenvalues(lam):
        q = orthogonal(len(lam))
        a = q @ np.diag(lam) @ q.T
        return (a + a.T) / 2

    n21 = 21
    wilkinson = np.diag(np.abs(np.arange(n21) - 10.0)) + np.diag(np.ones(n21 - 1), 1) + np.diag(np.ones(n21 - 1), -1)
    theta = 1.2
    kahan = np.diag(np.sin(theta) ** np.arange(20)) @ (np.eye(20) - np.cos(theta) * np.triu(np.ones((20, 20)), 1))
    frank = np.array([[12.0 - max(i, j) if j >= i - 1 else 0.0 for j in range(12)] for i in range(12)])
    d9 = 10.0 ** np.arange(-4, 5)
    graded = np.diag(d9) @ hr.normal(size=(9, 9)) @ np.diag(1 / d9)
    jordan_eps = 2 * np.eye(6) + np.diag(np.ones(5), 1)
    jordan_eps[5, 0] = 1e-10                                  # (λ − 2)⁶ = 1e-10: a ring of radius 1e-10^(1/6)
    x_int = hr.integers(-3, 4, size=(10, 3)).astype(float)
    y_int = hr.integers(-3, 4, size=(3, 7)).astype(float)
    rank_deficient = x_int @ y_int                            # small integers: exactly rank 3 as stored
    p7 = hr.normal(size=(7, 7)); p7 = p7 @ p7.T + 7 * np.eye(7)
    dg = 10.0 ** np.arange(-6, 7, 2)
    graded_spd = np.diag(dg) @ p7 @ np.diag(dg)
    graded_spd = (graded_spd + graded_spd.T) / 2
    hilbert_tall = 1.0 / (np.arange(12)[:, None] + np.arange(8)[None, :] + 1)
    mats = {
        "hilbert8": (1.0 / (np.arange(8)[:, None] + np.arange(8)[None, :] + 1), "sym"),
        "hilbert12": (1.0 / (np.arange(12)[:, None] + np.arange(12)[None, :] + 1), "sym"),
        "kahan20": (kahan, "gen"),
        "wilkinson21": (wilkinson, "sym"),
        "frank12": (frank, "gen"),
        "graded9": (graded, "gen"),
        "jordan_eps6": (jordan_eps, "gen"),
        "jordan4": (np.eye(4) + np.diag(np.ones(3), 1), "none"),
        "clustered6": (symmetric_with_eigenvalues([1, 1 + 1e-13, 1 + 2e-13, 2, 2, 5]), "sym"),
        "indefinite5": (symmetric_with_eigenvalues([-1e-3, 1, 1, 1, 3]), "sym"),
        "nearly_singular6": (with_singular_values([1, 0.5, 1e-3, 1e-6, 1e-10, 1e-13]), "none"),
        "singular_to_precision6": (with_singular_values([1, 0.5, 1e-3, 1e-6, 1e-10, 1e-18]), "none"),
        "badly_scaled7": (np.diag(10.0 ** np.array([-8, -5, -2, 0, 3, 6, 8])) @ hr.normal(size=(7, 7)), "gen"),
        "graded_spd7": (graded_spd, "sym"),
        "rank_deficient10x7": (rank_deficient, "none"),
        "rank_deficient7x10": (rank_deficient.T.copy(), "none"),
        "hilbert_tall12x8": (hilbert_tall, "none"),
    }
    cases = {}
    for name, (a, kind) in mats.items():
        m, n = a.shape
        am = mp.matrix(a.tolist())
        sig = sorted([abs(v) for v in mp.svd_r(am, compute_uv=False)], reverse=True)
        c = {"a": t(a), "sigma": [float(v) for v in sig], "norm2": float(sig[0])}
        c["cond2"] = float(sig[0] / sig[-1]) if sig[-1] != 0 else None
        tol = max(m, n) * eps * sig[0]
        c["rank"] = sum(1 for v in sig if v > tol)
        # The rank must not hinge on rounding: every σ is 5× away from the threshold.
        c["rank_clear"] = all(v > 5 * tol or v < tol / 5 for v in sig)
        b = hr.normal(size=m)
        if name == "hilbert_tall12x8":
            b = a @ hr.normal(size=n)                         # consistent: the residual is only rounding
        c["b"] = t(b)
        bm = mp.matrix(b.tolist())
        if m == n and sig[-1] != 0:
            ainv = mp.inverse(am)
            c["inv"] = t(np.array(ainv.tolist(), dtype=float))
            c["det"] = float(mp.det(am))
            c["cond1"] = float(mp.mnorm(am, 1) * mp.mnorm(ainv, 1))
            c["x"] = t(np.array((ainv * bm).tolist(), dtype=float).ravel())
        if m != n or name.startswith("rank_deficient") or name.startswith("nearly"):
            u, sv, v = mp.svd_r(am)
            r = c["rank"]

            def truncated_pinv(k):
                out = mp.matrix(n, m)
                for l in range(k):
                    out += (v[l, :].T * u[:, l].T) / sv[l]
                return out
            xp = truncated_pinv(r) * bm
            res = mp.norm(bm - am * xp)
            kr = sig[0] / sig[r - 1]
            c["lstsq"] = t(np.array(xp.tolist(), dtype=float).ravel())
            c["lstsq_cond"] = float(kr + kr ** 2 * res / (sig[0] * mp.norm(xp)))
            c["pinv_rcond"] = 1e-10 if name.startswith("rank_deficient") else 1e-15
            kp = sum(1 for s_ in sig if s_ > c["pinv_rcond"] * sig[0])
            c["pinv"] = t(np.array(truncated_pinv(kp).tolist(), dtype=float))
            c["pinv_cond"] = float(sig[0] / sig[kp - 1])
        if kind == "sym":
            w, _ = mp.eigsy(am)
            c["eigh"] = sorted(float(v) for v in w)
        if kind == "gen":
            e, el, er = mp.eig(am, left=True, right=True)
            vals, conds = [], []
            for i in range(n):
                x_ = er[:, i]; y_ = el[i, :]
                dot = sum(y_[k] * x_[k] for k in range(n))
                conds.append(float(mp.norm(x_) * mp.norm(y_) / abs(dot)))
                vals.append(complex(e[i]))
            c["eig"] = t(np.array(vals))
            c["eig_cond"] = conds
            # dgeev balances first (dgebal): it is backward stable for B = T⁻¹AT, T a permuted
            # diagonal of powers of 2 (so T⁻¹ is exact), not for A itself when A is badly scaled.
            _, tb = sla.matrix_balance(a, permute=True, scale=True, separate=False)
            c["balance"] = t(tb)
            c["balance_inv"] = t(np.linalg.inv(tb))
        cases[name] = c
    # Both are singular to working precision: κ₁ ≥ 5/ε, so solve must warn (rcond < ε).
    assert cases["hilbert12"]["cond1"] > 5 / eps and cases["singular_to_precision6"]["cond1"] > 5 / eps
    with open(os.path.join(HERE, "linalg_hard.json"), "w") as fh:
        json.dump(cases, fh, allow_nan=False, separators=(",", ":"))


hard_linalg()

with open(os.path.join(HERE, "reference.json"), "w") as fh:
    json.dump(out, fh, allow_nan=False, separators=(",", ":"))
print("wrote reference.json, linalg_hard.json, %d npy files, table.csv" % len(os.listdir(npy_dir)))
