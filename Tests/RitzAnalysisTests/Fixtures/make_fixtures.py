#!/usr/bin/env python3
"""Reference values for the Koopman, graph and Grassmann tests of RitzAnalysis.

Run from this directory:  python3 make_fixtures.py
Needs numpy, scipy, networkx, scikit-learn and pydmd (pip install pydmd). Every file written here
is JSON; complex numbers are stored as [re, im] pairs and matrices as lists of rows. The data the
Swift tests feed in is either written here too or rebuilt in Swift from the same formulas
(simulate's RK4, the graph builders), as each entry says.
"""
import json
import os

import networkx as nx
import numpy as np
import scipy.linalg as sla
import scipy.sparse.linalg as spla
from sklearn.preprocessing import PolynomialFeatures

HERE = os.path.dirname(os.path.abspath(__file__))


def cplx(a):
    a = np.asarray(a, dtype=complex)
    if a.ndim == 0:
        return [float(a.real), float(a.imag)]
    return [cplx(x) for x in a]


def mat(a):
    return np.asarray(a, dtype=float).tolist()


def dump(sub, name, obj):
    with open(os.path.join(HERE, sub, name), "w") as f:
        json.dump(obj, f, indent=None, separators=(",", ":"))
        f.write("\n")


# ---------------------------------------------------------------- Koopman

def rk4(f, x0, steps, dt):
    """The classical RK4 exactly as ritz's simulate writes it (t_j = j·dt)."""
    x = np.array(x0, dtype=float)
    out = [x.copy()]
    for j in range(1, steps + 1):
        t = (j - 1) * dt
        k1 = f(t, x)
        k2 = f(t + dt / 2, x + dt / 2 * k1)
        k3 = f(t + dt / 2, x + dt / 2 * k2)
        k4 = f(t + dt, x + dt * k3)
        x = x + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        out.append(x.copy())
    return np.array(out).T


def duffing(t, x, delta=0.5, alpha=-1.0, beta=1.0, gamma=0.0, omega=1.2):
    return np.array([x[1], -delta * x[1] - alpha * x[0] - beta * x[0] ** 3 + gamma * np.cos(omega * t)])


def lorenz(t, x, s=10.0, r=28.0, b=8.0 / 3.0):
    return np.array([s * (x[1] - x[0]), x[0] * (r - x[2]) - x[1], x[0] * x[1] - b * x[2]])


def henon(x0, steps, a=1.4, b=0.3):
    x = np.array(x0, dtype=float)
    out = [x.copy()]
    for _ in range(steps):
        # Plain float operations in the order ritz uses, so the chaotic orbit agrees bit for bit.
        x0, y0 = float(x[0]), float(x[1])
        x = np.array([1 - a * x0 * x0 + y0, b * x0])
        out.append(x.copy())
    return np.array(out).T


def koopman():
    from scipy.integrate import solve_ivp
    from pydmd import DMD

    sims = {
        # Independent check of RK4: scipy's adaptive DOP853 at rtol=atol=1e-12.
        "duffing": dict(x0=[1.0, 0.0], steps=500, dt=0.01, rk4=rk4(duffing, [1.0, 0.0], 500, 0.01)[:, -1],
                        ivp=solve_ivp(duffing, (0, 5.0), [1.0, 0.0], method="DOP853", rtol=1e-12, atol=1e-12).y[:, -1]),
        "forced_duffing": dict(x0=[0.5, 0.0], steps=300, dt=0.01,
                               rk4=rk4(lambda t, x: duffing(t, x, gamma=0.3), [0.5, 0.0], 300, 0.01)[:, -1],
                               ivp=solve_ivp(lambda t, x: duffing(t, x, gamma=0.3), (0, 3.0), [0.5, 0.0],
                                             method="DOP853", rtol=1e-12, atol=1e-12).y[:, -1]),
        "lorenz": dict(x0=[1.0, 1.0, 1.0], steps=100, dt=0.01, rk4=rk4(lorenz, [1.0, 1.0, 1.0], 100, 0.01)[:, -1],
                       ivp=solve_ivp(lorenz, (0, 1.0), [1.0, 1.0, 1.0], method="DOP853", rtol=1e-12, atol=1e-12).y[:, -1]),
        "henon": dict(x0=[0.1, 0.1], steps=50, dt=1.0, rk4=henon([0.1, 0.1], 50)[:, -1], ivp=henon([0.1, 0.1], 50)[:, -1]),
    }
    dump("koopman", "simulate.json", {k: {kk: (mat(vv) if isinstance(vv, np.ndarray) else vv) for kk, vv in v.items()}
                                      for k, v in sims.items()})

    # DMD: a noisy linear system of 3 damped oscillation modes in 12 dimensions, 80 snapshots.
    rng = np.random.default_rng(7)
    n, m, dt = 12, 80, 0.1
    lams = np.exp(dt * np.array([-0.05 + 2j, -0.05 - 2j, -0.2 + 5j, -0.2 - 5j, -0.5]))
    modes = rng.standard_normal((n, 5)) + 0j
    modes[:, 1] = modes[:, 0].conj(); modes[:, 0] += 1j * rng.standard_normal(n); modes[:, 1] = modes[:, 0].conj()
    modes[:, 2] += 1j * rng.standard_normal(n); modes[:, 3] = modes[:, 2].conj()
    amps = np.array([1.0, 1.0, 0.5, 0.5, 2.0])
    t = np.arange(m)
    data = (modes * amps) @ (lams[:, None] ** t[None, :])
    data = data.real + 1e-3 * rng.standard_normal((n, m))
    d0 = DMD(svd_rank=0, exact=True)
    d0.fit(data)
    d5 = DMD(svd_rank=5, exact=True)
    d5.fit(data)
    s = np.linalg.svd(data[:, :-1], compute_uv=False)
    beta = min(data[:, :-1].shape) / max(data[:, :-1].shape)
    omega = 0.56 * beta ** 3 - 0.95 * beta ** 2 + 1.82 * beta + 1.43
    dump("koopman", "dmd.json", {
        "comment": "pydmd DMD(svd_rank=..., exact=True).fit(X); X = data (12x80)",
        "X": mat(data), "dt": dt,
        "svht_rank": int(np.sum(s > omega * np.median(s))), "pydmd_rank0": int(len(d0.eigs)),
        "eigs5": cplx(d5.eigs), "modes5": cplx(d5.modes), "amplitudes5": cplx(d5.amplitudes),
    })

    # EDMD / ResDMD on the Hénon map with poly(3) (10 functions) and on Duffing with poly(4).
    pf = PolynomialFeatures(3)
    Xh = henon([0.1, 0.1], 400)
    psi_small = pf.fit_transform(np.array([[0.3, -0.2], [1.1, 0.25]]))

    def edmd_ref(X, Y, deg, Xt=None, Yt=None):
        p = PolynomialFeatures(deg)
        PX, PY = p.fit_transform(X.T), p.fit_transform(Y.T)
        K = np.linalg.lstsq(PX, PY, rcond=None)[0]
        lam, G = np.linalg.eig(K)
        if Xt is not None:
            PX, PY = p.fit_transform(Xt.T), p.fit_transform(Yt.T)
        # Plain Gram-matrix residuals (Colbrook & Townsend, with W = I/M), and the direct
        # M-vector form ||PY g - lam PX g|| / ||PX g|| (no squaring of the condition number).
        M = PX.shape[0]
        Gm, Am, Lm = PX.T @ PX / M, PX.T @ PY / M, PY.T @ PY / M
        gram, direct = [], []
        for j in range(len(lam)):
            g = G[:, j]
            num = g.conj() @ (Lm - lam[j] * Am.conj().T - lam[j].conj() * Am + abs(lam[j]) ** 2 * Gm) @ g
            gram.append(float(np.sqrt(max(num.real, 0) / (g.conj() @ Gm @ g).real)))
            direct.append(float(np.linalg.norm(PY @ g - lam[j] * (PX @ g)) / np.linalg.norm(PX @ g)))
        return lam, np.array(gram), np.array(direct), PX, PY

    lam_h, res_h, _, PX, PY = edmd_ref(Xh[:, :-1], Xh[:, 1:], 3)
    zs = [0.5 + 0.2j, -0.3 + 0.0j, 1.0 + 0.5j]
    Q, R = np.linalg.qr(PX)
    C = PY @ np.linalg.inv(R)
    sig = [float(np.linalg.svd(C - z * Q, compute_uv=False)[-1]) for z in zs]
    # Duffing, poly(4): train on one orbit, hold out another (cond(PX) ~ 1e4-1e5, where the Gram
    # form loses digits, so the reference is the direct form).
    Xd = rk4(duffing, [1.2, 0.3], 400, 0.02)
    Xo = rk4(duffing, [-0.9, 0.6], 200, 0.02)
    lam_d, _, res_d, _, _ = edmd_ref(Xd[:, :-1], Xd[:, 1:], 4)
    _, _, res_dh, _, _ = edmd_ref(Xd[:, :-1], Xd[:, 1:], 4, Xo[:, :-1], Xo[:, 1:])
    dump("koopman", "edmd.json", {
        "comment": "numpy lstsq EDMD + plain Gram-matrix residuals; sklearn PolynomialFeatures order",
        "poly3_points": [[0.3, -0.2], [1.1, 0.25]], "poly3_values": mat(psi_small),
        "henon": {"x0": [0.1, 0.1], "steps": 400, "degree": 3, "data": mat(Xh), "eigs": cplx(lam_h), "res_gram": res_h.tolist(),
                  "pseudo_z": cplx(zs), "pseudo_sigma": sig},
        "duffing": {"x0": [1.2, 0.3], "steps": 400, "other_x0": [-0.9, 0.6], "other_steps": 200, "dt": 0.02,
                    "degree": 4, "eigs": cplx(lam_d), "res_direct": res_d.tolist(), "res_heldout_direct": res_dh.tolist()},
    })


# ---------------------------------------------------------------- graphs

def canonical_sign(v):
    m = np.max(np.abs(v))
    i = int(np.nonzero(np.abs(v) >= (1 - 1e-8) * m)[0][0])
    return v if v[i] > 0 else -v


def graphs():
    cases = {}
    weighted = nx.Graph()
    weighted.add_nodes_from(range(7))
    for (i, j, w) in [(0, 1, 2.0), (1, 2, 0.5), (2, 3, 1.5), (3, 0, 1.0), (2, 2, 0.7), (4, 5, 3.0)]:
        weighted.add_edge(i, j, weight=w)          # node 6 isolated, self-loop at 2
    builders = {
        "weighted": (weighted, None),
        "path6": (nx.path_graph(6), "path"),
        "cycle7": (nx.cycle_graph(7), "cycle"),
        "grid3x4": (nx.convert_node_labels_to_integers(nx.grid_2d_graph(3, 4)), "grid"),
        "complete5": (nx.complete_graph(5), "complete"),
        "lollipop": (nx.lollipop_graph(4, 3), None),
    }
    for name, (G, kind) in builders.items():
        nodes = sorted(G.nodes())
        L = nx.laplacian_matrix(G, nodelist=nodes).toarray()
        Ls = nx.normalized_laplacian_matrix(G, nodelist=nodes).toarray()
        A = nx.to_numpy_array(G, nodelist=nodes)
        d = A.sum(axis=1)
        dinv = np.where(d > 0, 1 / np.where(d > 0, d, 1), 0)
        Lrw = dinv[:, None] * L
        P = dinv[:, None] * A
        rw = np.stack([np.diag(np.linalg.matrix_power(P, t)) for t in range(1, 5)], axis=1)
        edges = [[int(i), int(j), float(w)] for i, j, w in G.edges(data="weight", default=1.0)]
        entry = {"n": len(nodes), "edges": edges, "none": mat(L), "sym": mat(Ls), "rw": mat(Lrw), "rwpe4": mat(rw)}
        if nx.is_connected(G):
            lam, V = np.linalg.eigh(Ls)
            entry["sym_eigs"] = lam.tolist()
            entry["sym_vectors_canonical"] = mat(np.stack([canonical_sign(V[:, j]) for j in range(len(lam))], axis=1))
        cases[name] = entry
    dump("graphs", "laplacians.json", {"comment": "networkx laplacian_matrix / normalized_laplacian_matrix; rw = D^-1 L; rwpe4 = diag((D^-1 A)^t), t=1..4; eigh + canonical sign (first entry within 1e-8 of max |v| made positive)", "cases": cases})

    # The 100x100 grid, symmetric normalised Laplacian: the 9 smallest eigenvalues by eigsh
    # (shift-invert about -1e-3, tol 0), which a dense eigh of a 400-node grid agrees with in spirit.
    G = nx.convert_node_labels_to_integers(nx.grid_2d_graph(100, 100))
    Ls = nx.normalized_laplacian_matrix(G, nodelist=sorted(G.nodes())).astype(float).tocsc()
    vals = spla.eigsh(Ls, k=12, sigma=-1e-3, which="LM", tol=0, return_eigenvectors=False)
    dump("graphs", "grid100.json", {"comment": "scipy eigsh(normalized_laplacian_matrix(grid 100x100), k=12, sigma=-1e-3, tol=0)",
                                    "smallest": sorted(vals.tolist())})


# ---------------------------------------------------------------- Grassmann

def grassmann():
    rng = np.random.default_rng(3)
    cases = []
    for (n, p, q) in [(8, 3, 3), (10, 4, 2), (20, 5, 5)]:
        A = rng.standard_normal((n, p)); B = rng.standard_normal((n, q))
        cases.append({"A": mat(A), "B": mat(B), "angles_ascending": sorted(sla.subspace_angles(A, B).tolist())})
    # Exactly known tiny angles: V = U cos θ + W sin θ with [U W] orthonormal.
    Q, _ = np.linalg.qr(rng.standard_normal((12, 6)))
    U, W = Q[:, :3], Q[:, 3:]
    theta = np.array([1e-9, 3e-5, 0.7])
    V = U * np.cos(theta) + W * np.sin(theta)
    dump("grassmann", "angles.json", {
        "comment": "scipy.linalg.subspace_angles, sorted ascending; tiny: angles known by construction",
        "cases": cases, "tiny": {"U": mat(U), "V": mat(V), "theta": theta.tolist(),
                                 "scipy": sorted(sla.subspace_angles(U, V).tolist())}})


if __name__ == "__main__":
    koopman()
    graphs()
    grassmann()
