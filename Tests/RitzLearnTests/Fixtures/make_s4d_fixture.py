"""Reference values for the S4D classifier of RitzLearn (S4D.swift), computed with JAX.

Run from this folder:  ../../../bench/.venv/bin/python make_s4d_fixture.py   (writes s4d.json)
JAX on CPU in float64. The model is written here independently, in complex arithmetic:
A = -exp(log_a) + i a_im, dt = exp(log_dt), Abar = exp(dt A), Ctil = C (Abar - 1) / A,
K[l] = 2 Re sum_n Ctil_n Abar_n^l, y_i = sum_{j<=i} K[i-j] u_j (a direct causal sum),
then gelu (exact, erf form), a residual connection, the mean over the sequence and a linear
decoder; the loss is the mean softmax cross-entropy. Parameters, inputs, labels and a direction
v come from numpy's default_rng(20261205) and are stored flat in the model's block order.
Stored: the loss, its gradient and the Hessian-vector product along v (jvp of grad).
"""
import json

import jax
import jax.numpy as jnp
import numpy as np

jax.config.update("jax_enable_x64", True)
rng = np.random.default_rng(20261205)

N, L, d, H, n, classes, depth = 4, 5, 2, 3, 2, 3, 2
shapes = [("encoder.w", (H, d)), ("encoder.b", (H,))]
for k in range(depth):
    shapes += [(f"layer{k}.log_dt", (H,)), (f"layer{k}.log_a", (H, n)), (f"layer{k}.a_im", (H, n)),
               (f"layer{k}.c_re", (H, n)), (f"layer{k}.c_im", (H, n)), (f"layer{k}.d", (H,))]
shapes += [("decoder.w", (classes, H)), ("decoder.b", (classes,))]
params = []
for name, s in shapes:
    if name.endswith("log_dt"):
        params.append(rng.uniform(np.log(1e-2), np.log(0.5), size=s))
    elif name.endswith("log_a"):
        params.append(rng.normal(size=s) * 0.3 + np.log(0.5))
    elif name.endswith("a_im"):
        params.append(rng.normal(size=s) * 3)
    else:
        params.append(rng.normal(size=s) * 0.7)
x = rng.normal(size=(N, L, d))
y = rng.integers(0, classes, size=N)
sizes = [int(np.prod(s)) for _, s in shapes]
flat0 = np.concatenate([p.ravel() for p in params])
v = rng.normal(size=flat0.shape)


def unflatten(flat):
    out, o = [], 0
    for (_, s), c in zip(shapes, sizes):
        out.append(flat[o:o + c].reshape(s))
        o += c
    return out


def loss(flat):
    w = unflatten(flat)
    u = jnp.transpose(x @ w[0].T + w[1], (0, 2, 1))            # [N, H, L]
    for k in range(depth):
        log_dt, log_a, a_im, c_re, c_im, dd = w[2 + 6 * k: 8 + 6 * k]
        A = -jnp.exp(log_a) + 1j * a_im
        dt = jnp.exp(log_dt)[:, None]
        abar = jnp.exp(dt * A)
        ctil = (c_re + 1j * c_im) * (abar - 1) / A
        ls = jnp.arange(L)
        K = 2 * jnp.real(jnp.sum(ctil[:, :, None] * abar[:, :, None] ** ls, axis=1))   # [H, L]
        ys = []
        for i in range(L):
            ys.append(sum(K[:, i - j] * u[:, :, j] for j in range(i + 1)))
        conv = jnp.stack(ys, axis=-1)
        u = jax.nn.gelu(conv + u * dd[:, None], approximate=False) + u
    z = jnp.mean(u, axis=2) @ w[-2].T + w[-1]
    lp = jax.nn.log_softmax(z, axis=-1)
    return -jnp.mean(lp[jnp.arange(N), y])


value = float(loss(jnp.asarray(flat0)))
g = jax.grad(loss)(jnp.asarray(flat0))
hv = jax.jvp(jax.grad(loss), (jnp.asarray(flat0),), (jnp.asarray(v),))[1]
out = dict(sizes=dict(N=N, L=L, d=d, H=H, n=n, classes=classes, depth=depth),
           blocks=[name for name, _ in shapes], params=[float(t) for t in flat0],
           x=[float(t) for t in x.ravel()], y=[int(t) for t in y], v=[float(t) for t in v],
           loss=value, grad=[float(t) for t in g], hvp=[float(t) for t in hv])
with open("s4d.json", "w") as f:
    json.dump(out, f)
print("loss", value)
