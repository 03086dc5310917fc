"""Reference values for one and three optimizer steps (optimizer_steps.json).

Each rule is written here directly in NumPy from its published form, independently of the Swift
code: SGD with momentum / Nesterov / weight decay and Adam as documented for PyTorch's
torch.optim.SGD and torch.optim.Adam, AdamW with decoupled decay (Loshchilov & Hutter 2019,
torch.optim.AdamW), AdaHessian (Yao et al. 2021, Algorithm 1 and the reference implementation)
on the quadratic loss 0.5 p^T H p - b^T p with a diagonal H, where every Rademacher probe z
gives z * (H z) = diag(H) exactly, so the reference does not depend on the probes.

Run: python3 make_optimizer_fixture.py > optimizer_steps.json
"""
import json
import numpy as np

p0 = np.array([0.5, -1.25, 2.0, 0.125, -0.75])
H = np.array([2.0, 0.5, 3.0, 1.0, 0.25])
b = np.array([1.0, -0.5, 0.25, 2.0, -1.0])


def grad(p):
    return H * p - b


def sgd(lr, momentum=0.0, nesterov=False, wd=0.0, steps=3):
    p = p0.copy()
    buf = None
    for _ in range(steps):
        g = grad(p) + wd * p
        if momentum != 0:
            buf = g.copy() if buf is None else momentum * buf + g
            g = g + momentum * buf if nesterov else buf
        p = p - lr * g
    return p


def adam(lr, b1=0.9, b2=0.999, eps=1e-8, wd=0.0, decoupled=False, steps=3):
    p = p0.copy()
    m = np.zeros_like(p)
    v = np.zeros_like(p)
    for t in range(1, steps + 1):
        g = grad(p)
        if decoupled:
            p = p * (1 - lr * wd)
        else:
            g = g + wd * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        mhat = m / (1 - b1 ** t)
        vhat = v / (1 - b2 ** t)
        p = p - lr * mhat / (np.sqrt(vhat) + eps)
    return p


def adahessian(lr=0.15, b1=0.9, b2=0.999, eps=1e-4, wd=0.0, k=1.0, steps=3):
    p = p0.copy()
    m = np.zeros_like(p)
    v = np.zeros_like(p)
    for t in range(1, steps + 1):
        g = grad(p)
        d = H.copy()  # z * Hz for diagonal H
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * d * d
        bc1 = 1 - b1 ** t
        bc2 = 1 - b2 ** t
        denom = (np.sqrt(v) / np.sqrt(bc2)) ** k + eps
        p = p - lr * (m / bc1 / denom + wd * p)
    return p


cases = {}
for steps in (1, 3):
    cases[f"sgd plain {steps}"] = ("sgd", dict(lr=0.1), sgd(0.1, steps=steps), steps)
    cases[f"sgd momentum wd {steps}"] = ("sgd", dict(lr=0.1, momentum=0.9, weight_decay=0.01),
                                         sgd(0.1, 0.9, False, 0.01, steps), steps)
    cases[f"sgd nesterov {steps}"] = ("sgd", dict(lr=0.05, momentum=0.8, nesterov=True),
                                      sgd(0.05, 0.8, True, 0.0, steps), steps)
    cases[f"adam {steps}"] = ("adam", dict(lr=0.01), adam(0.01, steps=steps), steps)
    cases[f"adam l2 {steps}"] = ("adam", dict(lr=0.01, weight_decay=0.1), adam(0.01, wd=0.1, steps=steps), steps)
    cases[f"adamw {steps}"] = ("adamw", dict(lr=0.01, weight_decay=0.1),
                               adam(0.01, wd=0.1, decoupled=True, steps=steps), steps)
    cases[f"adahessian defaults {steps}"] = ("adahessian", dict(), adahessian(steps=steps), steps)
    cases[f"adahessian power half wd {steps}"] = ("adahessian", dict(lr=0.1, hessian_power=0.5, weight_decay=0.01),
                                                  adahessian(lr=0.1, k=0.5, wd=0.01, steps=steps), steps)

out = {
    "p0": p0.tolist(), "H": H.tolist(), "b": b.tolist(),
    "cases": [dict(name=k, rule=v[0], args=v[1], steps=v[3], expected=v[2].tolist()) for k, v in cases.items()],
}
print(json.dumps(out, indent=1))
