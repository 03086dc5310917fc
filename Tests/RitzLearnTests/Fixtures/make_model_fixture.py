"""Reference values for the model library's CNN and transformer (model_library.json).

The networks are the JAX versions in bench/jax_models.py (float64, CPU), written from their
documented definitions independently of the Swift code and shared with the benchmark's peer.
The parameters are drawn here with seeded NumPy (not by the models' own initialisation),
written flat in the models' block order (each block row-major), and the script records for
each case the outputs, the mean softmax cross-entropy, its gradient, and the Hessian-vector
product (jvp of grad) with a fixed direction. The Swift tests load the parameters into the
models' flat vectors.

Run (bench/.venv has jax):  bench/.venv/bin/python make_model_fixture.py > model_library.json
"""
import json
import pathlib
import sys

import jax
import jax.numpy as jnp
import numpy as np

jax.config.update("jax_enable_x64", True)
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[3] / "bench"))
from jax_models import (cnn_blocks, cnn_forward, cross_entropy, transformer_blocks,  # noqa: E402
                        transformer_forward, unflatten)


# ---------------------------------------------------------------- cases

def draw_params(blocks, rng):
    """Nonzero everywhere: weights N(0, 1/fan_in)-ish, norm gains 1 + N(0, 0.1²), biases N(0, 0.1²)."""
    params = {}
    for name, shape in blocks:
        if name.endswith(".g"):
            params[name] = 1 + 0.1 * rng.standard_normal(shape)
        elif len(shape) == 1:
            params[name] = 0.1 * rng.standard_normal(shape)
        else:
            fan_in = int(np.prod(shape[1:]))
            params[name] = rng.standard_normal(shape) / np.sqrt(fan_in)
    return params


def record(name, config, blocks, forward, x, y, rng):
    params = draw_params(blocks, rng)
    flat = np.concatenate([params[n].ravel() for n, _ in blocks])
    direction = rng.standard_normal(flat.shape)

    xj, yj = jnp.asarray(x), jnp.asarray(y)
    loss = lambda theta: cross_entropy(forward(unflatten(theta, blocks), xj), yj)
    theta = jnp.asarray(flat)
    grad = jax.grad(loss)
    hvp = jax.jvp(grad, (theta,), (jnp.asarray(direction),))[1]
    return {
        "name": name,
        "config": config,
        "blocks": [{"name": n, "shape": list(s)} for n, s in blocks],
        "x_shape": list(x.shape),
        "x": np.asarray(x, dtype=float).ravel().tolist(),
        "y_shape": list(y.shape),
        "y": np.asarray(y, dtype=float).ravel().tolist(),
        "params": flat.tolist(),
        "direction": direction.tolist(),
        "outputs": np.asarray(forward(unflatten(theta, blocks), xj)).ravel().tolist(),
        "loss": float(loss(theta)),
        "gradient": np.asarray(grad(theta)).tolist(),
        "hvp": np.asarray(hvp).tolist(),
    }


def main():
    rng = np.random.default_rng(20240613)
    cases = []
    for name, cfg, n in [
        ("cnn relu 1x8x8 [3, 4] k3 pool2", dict(input=[1, 8, 8], channels=[3, 4], classes=5, kernel=3, pool=2, act="relu"), 6),
        ("cnn gelu 2x7x6 [3] k2 pool3", dict(input=[2, 7, 6], channels=[3], classes=4, kernel=2, pool=3, act="gelu"), 5),
        ("cnn tanh 1x5x5 [2, 2] k3 pool1", dict(input=[1, 5, 5], channels=[2, 2], classes=3, kernel=3, pool=1, act="tanh"), 4),
    ]:
        blocks = cnn_blocks(cfg["input"], cfg["channels"], cfg["classes"], cfg["kernel"], cfg["pool"])
        x = rng.standard_normal([n] + cfg["input"])
        y = rng.integers(0, cfg["classes"], size=n)
        forward = lambda p, x, cfg=cfg: cnn_forward(p, x, len(cfg["channels"]), cfg["pool"], cfg["act"])
        cases.append(record(name, dict(kind="cnn", **cfg), blocks, forward, x, y, rng))
    for name, cfg, n, length in [
        ("transformer 1 block, last, L 5 < seq 6", dict(vocab=7, seq=6, width=8, heads=2, depth=1, classes=5, mlp=2,
                                                        act="gelu", output="last"), 3, 5),
        ("transformer 1 block, all positions", dict(vocab=6, seq=4, width=6, heads=3, depth=1, classes=6, mlp=2,
                                                    act="relu", output="all"), 3, 4),
        ("transformer 2 blocks, last", dict(vocab=5, seq=5, width=4, heads=1, depth=2, classes=3, mlp=1,
                                            act="gelu", output="last"), 2, 5),
    ]:
        blocks = transformer_blocks(cfg["vocab"], cfg["seq"], cfg["width"], cfg["depth"], cfg["classes"], cfg["mlp"])
        x = rng.integers(0, cfg["vocab"], size=(n, length))
        y = rng.integers(0, cfg["classes"], size=(n,) if cfg["output"] == "last" else (n, length))
        forward = lambda p, x, cfg=cfg: transformer_forward(p, x, cfg["depth"], cfg["heads"], cfg["act"], cfg["output"])
        cases.append(record(name, dict(kind="transformer", **cfg), blocks, forward, x, y, rng))
    print(json.dumps({"jax": jax.__version__, "cases": cases}, indent=None))


if __name__ == "__main__":
    main()
