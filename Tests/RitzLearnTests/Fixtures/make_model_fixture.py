"""Reference values for the model library's CNN and transformer (model_library.json).

Each network is written here directly in JAX (float64, CPU) from its documented definition in
Sources/RitzLearn/FunctionModel+CNN.swift and FunctionModel+Transformer.swift, independently of
the Swift code: jax.lax.conv_general_dilated with "SAME" padding, jax.lax.reduce_window for max
pooling, causal softmax attention written with einsum (jax.nn.dot_product_attention computes
its softmax in float32), exact gelu. The parameters
are drawn here with seeded NumPy (not by the models' own initialisation), written flat in the
models' block order (each block row-major), and the script records for each case the outputs,
the mean softmax cross-entropy, its gradient, and the Hessian-vector product (jvp of grad) with a
fixed direction. The Swift tests load the parameters into the models' flat vectors.

Run (bench/.venv has jax):  bench/.venv/bin/python make_model_fixture.py > model_library.json
"""
import json

import jax
import jax.numpy as jnp
import numpy as np

jax.config.update("jax_enable_x64", True)

ACTIVATIONS = {
    "relu": jax.nn.relu,
    "tanh": jnp.tanh,
    "gelu": lambda x: jax.nn.gelu(x, approximate=False),
}


def cross_entropy(logits, labels):
    """Mean over every labelled position of -log softmax(logits)[label]."""
    logp = jax.nn.log_softmax(logits, axis=-1)
    picked = jnp.take_along_axis(logp, labels[..., None], axis=-1)
    return -jnp.mean(picked)


# ---------------------------------------------------------------- CNN

def cnn_blocks(input_shape, channels, classes, kernel, pool):
    blocks = []
    c, h, w = input_shape
    for l, out in enumerate(channels):
        blocks += [("conv%d.w" % l, (out, c, kernel, kernel)), ("conv%d.b" % l, (out,))]
        c, h, w = out, (h - pool) // pool + 1, (w - pool) // pool + 1
    blocks += [("dense.w", (classes, c * h * w)), ("dense.b", (classes,))]
    return blocks


def cnn_forward(params, x, layers, pool, act):
    h = x
    for l in range(layers):
        w, b = params["conv%d.w" % l], params["conv%d.b" % l]
        h = jax.lax.conv_general_dilated(h, w, (1, 1), "SAME", dimension_numbers=("NCHW", "OIHW", "NCHW"))
        h = ACTIVATIONS[act](h + b[None, :, None, None])
        if pool > 1:
            h = jax.lax.reduce_window(h, -jnp.inf, jax.lax.max, (1, 1, pool, pool), (1, 1, pool, pool), "VALID")
    return h.reshape(h.shape[0], -1) @ params["dense.w"].T + params["dense.b"]


# ---------------------------------------------------------------- transformer

def transformer_blocks(vocab, seq, width, depth, classes, mlp):
    blocks = [("embed", (vocab, width)), ("pos", (seq, width))]
    for l in range(depth):
        b = "block%d." % l
        blocks += [(b + "ln1.g", (width,)), (b + "ln1.b", (width,)),
                   (b + "attn.q", (width, width)), (b + "attn.k", (width, width)),
                   (b + "attn.v", (width, width)), (b + "attn.o", (width, width)),
                   (b + "ln2.g", (width,)), (b + "ln2.b", (width,)),
                   (b + "mlp.w1", (mlp * width, width)), (b + "mlp.b1", (mlp * width,)),
                   (b + "mlp.w2", (width, mlp * width)), (b + "mlp.b2", (width,))]
    blocks += [("ln.g", (width,)), ("ln.b", (width,)), ("head", (classes, width))]
    return blocks


def layer_norm(x, g, b, eps=1e-5):
    mean = jnp.mean(x, axis=-1, keepdims=True)
    var = jnp.mean((x - mean) ** 2, axis=-1, keepdims=True)
    return (x - mean) / jnp.sqrt(var + eps) * g + b


def transformer_forward(params, tokens, depth, heads, act, output):
    n, length = tokens.shape
    h = params["embed"][tokens] + params["pos"][:length]
    width = h.shape[-1]
    for l in range(depth):
        p = lambda name: params["block%d.%s" % (l, name)]
        a = layer_norm(h, p("ln1.g"), p("ln1.b"))
        # Heads as [batch, head, length, head width]; scores masked above the diagonal.
        split = lambda w: (a @ w.T).reshape(n, length, heads, width // heads).transpose(0, 2, 1, 3)
        q, k, v = split(p("attn.q")), split(p("attn.k")), split(p("attn.v"))
        scores = jnp.einsum("bhqd,bhkd->bhqk", q, k) / jnp.sqrt(width // heads)
        causal = jnp.tril(jnp.ones((length, length), dtype=bool))
        weights = jax.nn.softmax(jnp.where(causal, scores, -jnp.inf), axis=-1)
        y = jnp.einsum("bhqk,bhkd->bhqd", weights, v).transpose(0, 2, 1, 3)
        h = h + y.reshape(n, length, width) @ p("attn.o").T
        a = layer_norm(h, p("ln2.g"), p("ln2.b"))
        h = h + ACTIVATIONS[act](a @ p("mlp.w1").T + p("mlp.b1")) @ p("mlp.w2").T + p("mlp.b2")
    if output == "last":
        h = h[:, -1, :]
    return layer_norm(h, params["ln.g"], params["ln.b"]) @ params["head"].T


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

    def unflatten(theta):
        out, offset = {}, 0
        for n, shape in blocks:
            size = int(np.prod(shape))
            out[n] = theta[offset:offset + size].reshape(shape)
            offset += size
        return out

    xj, yj = jnp.asarray(x), jnp.asarray(y)
    loss = lambda theta: cross_entropy(forward(unflatten(theta), xj), yj)
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
        "outputs": np.asarray(forward(unflatten(theta), xj)).ravel().tolist(),
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
