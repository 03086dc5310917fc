"""Reference values for the convolution and pooling tests of RitzAutodiff, computed with JAX.

Run from this folder:  python3 make_convolution_fixtures.py   (writes convolutions.json)
JAX on CPU in float64 (jax_enable_x64): `lax.conv_general_dilated` in NCHW/OIHW (NCH/OIH for
1-d) layout, `lax.reduce_window` for pooling. Inputs come from numpy's default_rng(20261205)
and are stored in the fixture, so the Swift tests evaluate the same points. For each case the
file holds the operands x (and w), the forward value y, a cotangent u with the VJP (x̄, w̄),
tangents (ẋ, ẇ) with the JVP ẏ, and the HVP of the scalar loss L = Σ u·tanh(y) along (ẋ, ẇ),
differentiated in x and w together.
"""
import json

import jax
import jax.numpy as jnp
import numpy as np

jax.config.update("jax_enable_x64", True)
rng = np.random.default_rng(20261205)


def flat(a):
    return [float(v) for v in np.asarray(a, dtype=np.float64).ravel()]


def conv(ndim, stride, pad, dilation):
    """The convolution as ritz defines it; pad a number or "same"."""
    spatial = "H" if ndim == 1 else "HW"
    numbers = ("NC" + spatial, "OI" + spatial, "NC" + spatial)
    padding = "SAME" if pad == "same" else [(pad, pad)] * ndim

    def f(x, w):
        return jax.lax.conv_general_dilated(x, w, window_strides=(stride,) * ndim, padding=padding,
                                            rhs_dilation=(dilation,) * ndim, dimension_numbers=numbers)
    return f


def maxpool(k, stride):
    return lambda x: jax.lax.reduce_window(x, -jnp.inf, jax.lax.max, (1, 1, k, k), (1, 1, stride, stride), "VALID")


def avgpool(k, stride):
    return lambda x: jax.lax.reduce_window(x, 0.0, jax.lax.add, (1, 1, k, k), (1, 1, stride, stride), "VALID") / (k * k)


def entry(name, op, params, f, operands):
    operands = [jnp.asarray(a) for a in operands]
    y = f(*operands)
    u = jnp.asarray(rng.uniform(-1, 1, size=y.shape))
    tangents = [jnp.asarray(rng.uniform(-1, 1, size=a.shape)) for a in operands]
    _, pullback = jax.vjp(f, *operands)
    cotangents = pullback(u)
    _, ydot = jax.jvp(f, tuple(operands), tuple(tangents))

    def loss(*args):
        return jnp.sum(u * jnp.tanh(f(*args)))

    argnums = tuple(range(len(operands)))
    hvp = jax.jvp(jax.grad(loss, argnums=argnums), tuple(operands), tuple(tangents))[1]
    out = {"name": name, "op": op, "params": params, "y_shape": list(y.shape), "y": flat(y), "u": flat(u),
           "jvp": flat(ydot), "loss": float(loss(*operands))}
    for key, a, t, c, h in zip(["x", "w"], operands, tangents, cotangents, hvp):
        out[key + "_shape"] = list(a.shape)
        out[key] = flat(a)
        out[key + "_tangent"] = flat(t)
        out[key + "_vjp"] = flat(c)
        out[key + "_hvp"] = flat(h)
    return out


cases = []
# conv2d: (name, x shape, w shape, stride, pad, dilation)
for name, xs, ws, s, p, d in [
    ("conv2d valid", (2, 3, 5, 5), (4, 3, 3, 3), 1, 0, 1),
    ("conv2d stride 2 pad 1", (2, 2, 7, 6), (3, 2, 3, 2), 2, 1, 1),
    ("conv2d same", (1, 2, 6, 6), (2, 2, 3, 3), 1, "same", 1),
    ("conv2d same stride 2 uneven", (2, 1, 7, 5), (3, 1, 2, 3), 2, "same", 1),
    ("conv2d dilation 2 pad 2", (1, 2, 8, 8), (2, 2, 3, 3), 1, 2, 2),
    ("conv2d digits layer", (2, 1, 8, 8), (4, 1, 3, 3), 1, "same", 1),
]:
    x, w = rng.normal(size=xs), rng.normal(size=ws)
    cases.append(entry(name, "conv2d", {"stride": s, "pad": p, "dilation": d}, conv(2, s, p, d), [x, w]))

for name, xs, ws, s, p, d in [
    ("conv1d valid", (2, 3, 10), (4, 3, 3), 1, 0, 1),
    ("conv1d stride 2 pad 1 dilation 2", (2, 2, 11), (3, 2, 3), 2, 1, 2),
    ("conv1d same even kernel", (1, 2, 9), (2, 2, 4), 1, "same", 1),
    ("conv1d same stride 3 dilation 2", (2, 2, 10), (2, 2, 3), 3, "same", 2),
]:
    x, w = rng.normal(size=xs), rng.normal(size=ws)
    cases.append(entry(name, "conv1d", {"stride": s, "pad": p, "dilation": d}, conv(1, s, p, d), [x, w]))

# pooling: (name, op, x shape, k, stride, ties)
for name, op, xs, k, s, ties in [
    ("maxpool 2", "maxpool2d", (2, 3, 6, 6), 2, 2, False),
    ("maxpool 3 stride 2 overlapping", "maxpool2d", (1, 2, 7, 7), 3, 2, False),
    ("maxpool 2 ragged edge", "maxpool2d", (2, 2, 5, 5), 2, 2, False),
    ("maxpool 2 ties", "maxpool2d", (2, 2, 4, 4), 2, 2, True),
    ("maxpool 3 stride 1 ties", "maxpool2d", (1, 2, 5, 5), 3, 1, True),
    ("avgpool 2", "avgpool2d", (2, 3, 6, 6), 2, 2, False),
    ("avgpool 3 stride 2", "avgpool2d", (1, 2, 7, 7), 3, 2, False),
    ("avgpool 2 stride 1", "avgpool2d", (2, 2, 5, 4), 2, 1, False),
]:
    x = rng.integers(0, 3, size=xs).astype(np.float64) if ties else rng.normal(size=xs)
    f = maxpool(k, s) if op == "maxpool2d" else avgpool(k, s)
    cases.append(entry(name, op, {"k": k, "stride": s, "ties": ties}, f, [x]))

# A small CNN end to end, as a function of its two filter banks:
# conv 3×3 same (1→2) → relu → maxpool 2 → conv 3×3 same (2→3) → tanh → avgpool 3 →
# softmax cross-entropy against fixed labels, mean over the batch.
images = rng.normal(size=(4, 1, 6, 6))
labels = np.array([0, 2, 1, 2])


def cnn_loss(w1, w2):
    h = jax.nn.relu(conv(2, 1, "same", 1)(images, w1))
    h = jnp.tanh(conv(2, 1, "same", 1)(maxpool(2, 2)(h), w2))
    logits = avgpool(3, 3)(h).reshape(4, 3)
    return -jnp.mean(jax.nn.log_softmax(logits, axis=1)[jnp.arange(4), labels])


w1, w2 = rng.normal(size=(2, 1, 3, 3)), rng.normal(size=(3, 2, 3, 3))
v1, v2 = rng.uniform(-1, 1, size=w1.shape), rng.uniform(-1, 1, size=w2.shape)
g1, g2 = jax.grad(cnn_loss, argnums=(0, 1))(w1, w2)
h1, h2 = jax.jvp(jax.grad(cnn_loss, argnums=(0, 1)), (w1, w2), (v1, v2))[1]
cnn = {"images": flat(images), "labels": [int(i) for i in labels], "w1": flat(w1), "w2": flat(w2),
       "v1": flat(v1), "v2": flat(v2), "loss": float(cnn_loss(w1, w2)),
       "grad1": flat(g1), "grad2": flat(g2), "hvp1": flat(h1), "hvp2": flat(h2)}

with open("convolutions.json", "w") as fh:
    json.dump({"jax": jax.__version__, "cases": cases, "cnn": cnn}, fh)
