#!/usr/bin/env python3
"""Reference values for the state-space tests of RitzAnalysis (StateSpaceTests.swift).

Run from this directory:  python3 make_statespace_fixtures.py   (needs numpy and scipy)
Writes statespace/statespace.json. Complex numbers are [re, im] pairs, matrices lists of rows.

* hippo: each kind built from the papers' own forms, not from ritz's entrywise formulas:
  LegS as T M T^-1 with the unnormalised M of HiPPO (2020) and T = diag(sqrt(2n+1)); LegT from
  the 2020 paper's (2n+1)-scaled matrix, turned orthonormal by D = diag((-1)^n) and T; LagT as
  -(tril(1) - I/2); FouT from the case list of "How to Train Your HiPPO".
* discretize: scipy.signal.cont2discrete (zoh and bilinear) on real, complex-dense and complex
  diagonal systems.
* s4d_legs: numpy.linalg.eig of the normal part of HiPPO-LegS of order 2n, the eigenvalues with
  positive imaginary part, ascending.
* kernel: 2 Re sum_i C_i Bbar_i Abar_i^l of a bilinear-discretised S4D-Lin system, by numpy
  powers.
* pseudospectrum: sigma_min(zI - A) by numpy.linalg.svd of the complex matrix on a small grid.
"""
import json
import os

import numpy as np
import scipy
from scipy.signal import cont2discrete

HERE = os.path.dirname(os.path.abspath(__file__))


def cplx(a):
    a = np.asarray(a, dtype=complex)
    if a.ndim == 0:
        return [float(a.real), float(a.imag)]
    return [cplx(x) for x in a]


def mat(a):
    return np.asarray(a, dtype=float).tolist()


def hippo_legs(n):
    q = np.arange(n, dtype=float)
    # HiPPO 2020, LegS: A_nk = (2n+1)^(1/2)(2k+1)^(1/2) below, n+1 on the diagonal (dc/dt = -A c / t + ...)
    # written as M = -(lower (2k+1) with diagonal n+1) before the similarity T M T^-1.
    m = -np.tril(np.tile(2 * q + 1, (n, 1)))
    m[np.diag_indices(n)] = -(q + 1)
    t = np.diag(np.sqrt(2 * q + 1))
    return t @ m @ np.linalg.inv(t), np.sqrt(2 * q + 1)


def hippo_legt(n):
    q = np.arange(n, dtype=float)
    rows, cols = np.meshgrid(q, q, indexing="ij")
    # HiPPO 2020, LegT (theta = 1): dc/dt = -A c + B f, A_nk = (2n+1)(-1)^(n-k) for k <= n, (2n+1) for k >= n,
    # B_n = (2n+1)(-1)^n.
    a_orig = (2 * rows + 1) * np.where(cols <= rows, (-1.0) ** (rows - cols), 1.0)
    b_orig = (2 * q + 1) * (-1.0) ** q
    d = np.diag((-1.0) ** q)
    t = np.diag(np.sqrt(2 * q + 1))
    return -np.linalg.inv(t) @ d @ a_orig @ d @ t, np.linalg.inv(t) @ d @ b_orig


def hippo_lagt(n):
    return -(np.tril(np.ones((n, n))) - np.eye(n) / 2), np.ones(n)


def hippo_fout(n):
    a = np.zeros((n, n))
    b = np.zeros(n)
    for i in range(n):
        b[i] = 2.0 if i == 0 else (2 * np.sqrt(2) if i % 2 == 1 else 0.0)
        for k in range(n):
            if i == 0 and k == 0:
                a[i, k] = -2
            elif (i == 0 and k % 2 == 1) or (k == 0 and i % 2 == 1):
                a[i, k] = -2 * np.sqrt(2)
            elif i % 2 == 1 and k % 2 == 1:
                a[i, k] = -4
            elif i - k == 1 and k % 2 == 1:
                a[i, k] = 2 * np.pi * (k + 1) / 2
            elif k - i == 1 and i % 2 == 1:
                a[i, k] = -2 * np.pi * (i + 1) / 2
    return a, b


def discretize_case(name, a, b, dt):
    out = {"name": name, "dt": dt}
    diagonal = a.ndim == 1
    dense = np.diag(a) if diagonal else a
    bm = b.reshape(len(b), -1)
    for key, x in [("A", a), ("B", b)]:
        out[key] = {"shape": list(x.shape), "complex": bool(np.iscomplexobj(x)), "values": cplx(x.ravel())}
    for method in ["zoh", "bilinear"]:
        ad, bd, _, _, _ = cont2discrete((dense, bm, np.zeros((1, len(dense))), np.zeros((1, bm.shape[1]))), dt, method=method)
        if diagonal:
            ad = np.diag(ad)
        bd = bd.reshape(b.shape)
        out[method] = {"A": cplx(ad), "B": cplx(bd)}
    return out


def main():
    rng = np.random.default_rng(7)
    data = {"versions": {"numpy": np.__version__, "scipy": scipy.__version__}}
    data["hippo"] = []
    for kind, f in [("legs", hippo_legs), ("legt", hippo_legt), ("lagt", hippo_lagt), ("fout", hippo_fout)]:
        for n in [1, 2, 5, 8]:
            a, b = f(n)
            data["hippo"].append({"kind": kind, "n": n, "A": mat(a), "B": mat(b)})

    lam = -0.5 + 1j * np.pi * np.arange(3)
    data["discretize"] = [
        discretize_case("legs4", *hippo_legs(4), 0.1),
        discretize_case("random5x2", rng.standard_normal((5, 5)), rng.standard_normal((5, 2)), 0.3),
        discretize_case("complex3", rng.standard_normal((3, 3)) + 1j * rng.standard_normal((3, 3)), rng.standard_normal(3), 0.2),
        discretize_case("s4dlin3", lam, np.array([1.0, 0.5, -2.0]), 0.25),
        discretize_case("realdiag", np.array([-1.0, 0.0, 2.0]), np.array([1.0, 1.0, 1.0]), 0.5),
    ]

    data["s4d_legs"] = []
    for n in [1, 3, 8]:
        a, _ = hippo_legs(2 * n)
        p = np.sqrt(np.arange(2 * n) + 0.5)
        w = np.linalg.eigvals(a + np.outer(p, p))
        w = np.sort_complex(w[w.imag > 0]) if n > 0 else w
        w = w[np.argsort(w.imag)]
        data["s4d_legs"].append({"n": n, "values": cplx(w)})

    n, dt, length = 4, 0.1, 12
    lam = -0.5 + 1j * np.pi * np.arange(n)
    bvec = np.array([1.0, -0.5, 2.0, 0.25])
    cvec = np.array([0.3, 1.0, -1.0, 0.5]) + 1j * np.array([0.1, 0.0, 0.2, -0.4])
    abar = (1 + dt / 2 * lam) / (1 - dt / 2 * lam)
    bbar = dt / (1 - dt / 2 * lam) * bvec
    kern = np.array([2 * np.real(np.sum(cvec * bbar * abar**l)) for l in range(length)])
    data["kernel"] = {"A": cplx(lam), "B": mat(bvec), "C": cplx(cvec), "dt": dt, "L": length, "K": mat(kern)}

    data["pseudospectrum"] = []
    re = np.linspace(-9, 1, 5)
    im = np.linspace(3, -3, 4)
    grid = re[None, :] + 1j * im[:, None]
    for name, a in [("legs6", hippo_legs(6)[0]), ("random5", rng.standard_normal((5, 5)))]:
        sig = [[float(np.linalg.svd(z * np.eye(len(a)) - a, compute_uv=False)[-1]) for z in row] for row in grid]
        data["pseudospectrum"].append({"name": name, "A": mat(a), "grid": cplx(grid), "sigma": sig})

    os.makedirs(os.path.join(HERE, "statespace"), exist_ok=True)
    with open(os.path.join(HERE, "statespace", "statespace.json"), "w") as f:
        json.dump(data, f, indent=None, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
