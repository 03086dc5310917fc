"""JAX reference for the CNN line of `ritz-bench autodiff`: gradient and HVP wall time.

The network of issue 13 on all 1797 digit images [N, 1, 8, 8] (pixels / 16), float64 on CPU,
jit-compiled: conv 3×3 "SAME" → 16 (+ bias) → relu → 2×2 max-pool → conv 3×3 "SAME" → 32
(+ bias) → relu → 2×2 max-pool → dense 128 → 10 (+ bias) → softmax cross-entropy (mean).
The HVP is forward over reverse, jvp(grad). Prints the median of 21 timed calls after warm-up.

Run:  python3 -m venv /tmp/venv && /tmp/venv/bin/pip install jax scikit-learn
      /tmp/venv/bin/python bench/cnn_jax.py
(the digits come from the CSV shipped with ritz, so scikit-learn is not needed).
"""
import pathlib
import time

import jax
import jax.numpy as jnp
import numpy as np

jax.config.update("jax_enable_x64", True)
root = pathlib.Path(__file__).resolve().parent.parent
data = np.loadtxt(root / "Sources/RitzLearn/Resources/digits.csv", delimiter=",")
x = jnp.asarray(data[:, :64].reshape(-1, 1, 8, 8) / 16)
y = jnp.asarray(data[:, 64].astype(int))
n = x.shape[0]
rng = np.random.default_rng(0)
params = [jnp.asarray(rng.normal(size=s) * 0.1) for s in [(16, 1, 3, 3), (16,), (32, 16, 3, 3), (32,), (10, 128), (10,)]]
direction = [jnp.asarray(rng.normal(size=p.shape)) for p in params]


def conv(h, w, b):
    out = jax.lax.conv_general_dilated(h, w, (1, 1), "SAME", dimension_numbers=("NCHW", "OIHW", "NCHW"))
    return out + b[None, :, None, None]


def pool(h):
    return jax.lax.reduce_window(h, -jnp.inf, jax.lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")


def loss(p):
    w1, b1, w2, b2, w3, b3 = p
    h = pool(jax.nn.relu(conv(x, w1, b1)))
    h = pool(jax.nn.relu(conv(h, w2, b2)))
    logits = h.reshape(n, -1) @ w3.T + b3
    return -jnp.mean(jax.nn.log_softmax(logits)[jnp.arange(n), y])


gradient = jax.jit(jax.grad(loss))
hvp = jax.jit(lambda p, v: jax.jvp(jax.grad(loss), (p,), (v,))[1])


def median_ms(f, *args):
    jax.block_until_ready(f(*args))
    times = []
    for _ in range(21):
        t0 = time.perf_counter()
        jax.block_until_ready(f(*args))
        times.append(time.perf_counter() - t0)
    return 1e3 * sorted(times)[len(times) // 2]


print(f"jax {jax.__version__}: gradient {median_ms(gradient, params):.1f} ms, HVP {median_ms(hvp, params, direction):.1f} ms")
