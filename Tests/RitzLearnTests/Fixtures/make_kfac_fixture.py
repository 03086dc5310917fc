"""Makes kfac.json: K-FAC factors and EKFAC eigenbasis scalings of a tiny mlp and a tiny CNN,
computed with NumPy alone (float64) from hand-written forward and backward passes.

Conventions (the ones `KroneckerStatistics` documents): n examples, loss L the mean
cross-entropy, g the gradient of one example's loss n·L at a layer's pre-activations, ā the
layer's input row with a 1 appended for the bias, T rows per example (1 for a dense layer, the
output positions of a "same" 3×3 convolution):
    A = (1/n) Σ_rows ā āᵀ,   G = (1/(n·T)) Σ_seeds w_s Σ_rows g gᵀ,
    EKFAC: s_ij = (1/n) Σ_i Σ_seeds w_s ((Q_Gᵀ ∇ᵢ Q_A)_ij)²,  ∇ᵢ = Σ_{rows of i} g āᵀ.
Seeds: "empirical" the data's labels (weight 1); "exact" the columns of the square root of the
softmax Hessian, √p_c (e_c − p) per example (weight 1).

Run: python3 make_kfac_fixture.py  (writes kfac.json beside itself).
"""
import json
import os

import numpy as np

rng = np.random.default_rng(17)


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def seeds(z, y, kind):
    p = softmax(z)
    n, k = z.shape
    if kind == "empirical":
        return [(p - np.eye(k)[y], 1.0)]
    out = []
    for c in range(k):
        u = np.sqrt(p[:, c:c + 1]) * (np.eye(k)[c][None, :] - p)
        out.append((u, 1.0))
    return out


def factors(abar, gs, n):
    """abar [rows, p]; gs list of ([rows, o], weight); rows example-major."""
    rows = abar.shape[0]
    t = rows // n
    A = abar.T @ abar / n
    G = sum(w * g.T @ g for g, w in gs) / (n * t)
    la, qa = np.linalg.eigh(A)
    lg, qg = np.linalg.eigh(G)
    s = np.zeros((G.shape[0], A.shape[0]))
    ah = abar @ qa
    for g, w in gs:
        gh = g @ qg
        for i in range(n):
            m = gh[i * t:(i + 1) * t].T @ ah[i * t:(i + 1) * t]
            s += w * m * m
    s /= n
    return {"A": A.ravel().tolist(), "G": G.ravel().tolist(), "ekfac": s.ravel().tolist(),
            "kfac": np.outer(lg, la).ravel().tolist(), "shapeA": list(A.shape), "shapeG": list(G.shape)}


def mlp_case():
    sizes = [3, 4, 3]
    n = 6
    w0 = rng.normal(size=(4, 3)) / np.sqrt(3)
    b0 = rng.normal(size=4) * 0.1
    w1 = rng.normal(size=(3, 4)) / 2
    b1 = rng.normal(size=3) * 0.1
    x = rng.normal(size=(n, 3))
    y = rng.integers(0, 3, size=n)
    h = np.tanh(x @ w0.T + b0)
    z = h @ w1.T + b1
    out = {"name": "mlp", "sizes": sizes, "activation": "tanh",
           "parameters": np.concatenate([w0.ravel(), b0, w1.ravel(), b1]).tolist(),
           "x": x.ravel().tolist(), "xshape": list(x.shape), "y": y.tolist()}
    for kind in ["empirical", "exact"]:
        s1 = seeds(z, y, kind)
        s0 = [((g @ w1) * (1 - h * h), w) for g, w in s1]
        out[kind] = [factors(np.hstack([x, np.ones((n, 1))]), s0, n),
                     factors(np.hstack([h, np.ones((n, 1))]), s1, n)]
    return out


def cnn_case():
    # cnn(input=[1, 4, 4], channels=[2], classes=3, kernel=3, pool=2, act="relu")
    n, c, hgt, wid, o, k = 5, 1, 4, 4, 2, 3
    wc = rng.normal(size=(o, c, k, k)) / 3
    bc = rng.normal(size=o) * 0.1
    feats = o * 2 * 2
    wd = rng.normal(size=(3, feats)) / np.sqrt(feats)
    bd = rng.normal(size=3) * 0.1
    x = rng.normal(size=(n, c * hgt * wid))
    y = rng.integers(0, 3, size=n)
    img = x.reshape(n, c, hgt, wid)
    pad = np.pad(img, ((0, 0), (0, 0), (1, 1), (1, 1)))
    # Patches, example-major then row-major position; features (channel, ky, kx).
    patches = np.zeros((n * hgt * wid, c * k * k))
    for i in range(n):
        for r in range(hgt):
            for q in range(wid):
                patches[(i * hgt + r) * wid + q] = pad[i, :, r:r + k, q:q + k].ravel()
    pre = (patches @ wc.reshape(o, -1).T + bc)  # [n·16, o]
    conv = pre.reshape(n, hgt, wid, o).transpose(0, 3, 1, 2)
    act = np.maximum(conv, 0)
    pooled = np.zeros((n, o, 2, 2))
    arg = np.zeros((n, o, 2, 2, 2), dtype=int)
    for i in range(n):
        for ch in range(o):
            for r in range(2):
                for q in range(2):
                    win = act[i, ch, 2 * r:2 * r + 2, 2 * q:2 * q + 2]
                    idx = int(np.argmax(win.ravel()))  # first maximum in row-major order
                    pooled[i, ch, r, q] = win.ravel()[idx]
                    arg[i, ch, r, q] = (2 * r + idx // 2, 2 * q + idx % 2)
    flat = pooled.reshape(n, feats)
    z = flat @ wd.T + bd
    out = {"name": "cnn", "input": [c, hgt, wid], "channels": [o], "classes": 3,
           "parameters": np.concatenate([wc.ravel(), bc, wd.ravel(), bd]).tolist(),
           "x": x.ravel().tolist(), "xshape": list(x.shape), "y": y.tolist()}
    for kind in ["empirical", "exact"]:
        s1 = seeds(z, y, kind)
        s0 = []
        for g, w in s1:
            dflat = (g @ wd).reshape(n, o, 2, 2)
            dact = np.zeros_like(act)
            for i in range(n):
                for ch in range(o):
                    for r in range(2):
                        for q in range(2):
                            a, b = arg[i, ch, r, q]
                            dact[i, ch, a, b] += dflat[i, ch, r, q]
            dconv = dact * (conv > 0)
            s0.append((dconv.transpose(0, 2, 3, 1).reshape(n * hgt * wid, o), w))
        out[kind] = [factors(np.hstack([patches, np.ones((patches.shape[0], 1))]), s0, n),
                     factors(np.hstack([flat, np.ones((n, 1))]), s1, n)]
    return out


cases = [mlp_case(), cnn_case()]
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "kfac.json")
with open(path, "w") as f:
    json.dump({"numpy": np.__version__, "cases": cases}, f)
print("wrote", path)
