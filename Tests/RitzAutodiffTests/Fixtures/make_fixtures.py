"""Reference values for the composite-function tests of RitzAutodiff, computed with JAX.

Run from this folder:  python3 make_fixtures.py   (writes composites.json)
JAX on CPU in float64 (jax_enable_x64); inputs come from numpy's default_rng(20240611) and are
stored in the fixture, so the Swift tests evaluate the same points. For each composite the file
holds the inputs, the value, the gradient, a Hessian-vector product along a stored direction v,
and for the small ones the dense Hessian.
"""
import json

import jax
import jax.numpy as jnp
import numpy as np

jax.config.update("jax_enable_x64", True)
rng = np.random.default_rng(20240611)


def flat(a):
    return [float(x) for x in np.asarray(a, dtype=np.float64).ravel()]


def entry(f, x, extra, hessian=True):
    x = jnp.asarray(x)
    v = jnp.asarray(rng.uniform(-1, 1, size=x.shape))
    g = jax.grad(f)(x)
    hv = jax.jvp(jax.grad(f), (x,), (v,))[1]
    out = {"shape": list(x.shape), "x": flat(x), "v": flat(v),
           "value": float(f(x)), "grad": flat(g), "hvp": flat(hv)}
    if hessian:
        out["hessian"] = flat(jax.hessian(f)(x))
    out.update(extra)
    return out


fixtures = {}

# Softmax cross-entropy: mean over rows of −log softmax(Z)[i, y_i].
Z = rng.normal(size=(5, 3))
labels = np.array([0, 2, 1, 1, 0])


def softmax_ce(z):
    return -jnp.mean(jax.nn.log_softmax(z, axis=1)[jnp.arange(5), labels])


fixtures["softmax_cross_entropy"] = entry(softmax_ce, Z, {"labels": [int(i) for i in labels]})

# A 4-5-3 tanh MLP with softmax cross-entropy, parameters as one flat vector
# θ = [W1 (4×5, row-major), b1 (5), W2 (5×3), b2 (3)].
X = rng.normal(size=(6, 4))
ylab = np.array([0, 1, 2, 2, 1, 0])
sizes = [(4, 5), (5,), (5, 3), (3,)]


def unflatten(theta):
    parts, i = [], 0
    for s in sizes:
        n = int(np.prod(s))
        parts.append(theta[i:i + n].reshape(s))
        i += n
    return parts


def mlp_loss(theta):
    W1, b1, W2, b2 = unflatten(theta)
    h = jnp.tanh(X @ W1 + b1)
    logits = h @ W2 + b2
    return -jnp.mean(jax.nn.log_softmax(logits, axis=1)[jnp.arange(6), ylab])


theta = rng.normal(size=(sum(int(np.prod(s)) for s in sizes),)) * 0.7
fixtures["mlp_loss"] = entry(mlp_loss, theta, {"X": flat(X), "labels": [int(i) for i in ylab]})

# Σ w_i · logsumexp(x_i, :) over the rows of a 4×5 matrix.
W = rng.uniform(-1, 1, size=(4,))
L = rng.normal(size=(4, 5)) * 3


def lse(x):
    return jnp.sum(W * jax.scipy.special.logsumexp(x, axis=1))


fixtures["logsumexp_rows"] = entry(lse, L, {"w": flat(W)})

# Residual norm ‖A x − b‖₂ of a 6×4 least-squares problem.
A = rng.normal(size=(6, 4))
b = rng.normal(size=(6,))


def resid_norm(x):
    return jnp.linalg.norm(A @ x - b)


fixtures["residual_norm"] = entry(resid_norm, rng.normal(size=(4,)), {"A": flat(A), "b": flat(b)})

with open("composites.json", "w") as fh:
    json.dump({"generator": "make_fixtures.py with jax " + jax.__version__ + ", float64",
               "fixtures": fixtures}, fh)
