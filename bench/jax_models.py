"""The model library's networks written in JAX, for `bench/peers.py` and the test fixture
Tests/RitzLearnTests/Fixtures/make_model_fixture.py.

Each is written from its documented definition in Sources/RitzLearn/FunctionModel+CNN.swift and
FunctionModel+Transformer.swift, independently of the Swift code: jax.lax.conv_general_dilated
with "SAME" padding, jax.lax.reduce_window for max pooling, causal softmax attention written with
einsum (jax.nn.dot_product_attention computes its softmax in float32), exact gelu. Parameters are
dicts by block name; `blocks` lists names and shapes in the models' flat order, and `unflatten`
cuts a flat vector (each block row-major) into such a dict. Callers enable float64
(jax_enable_x64) before use.
"""
import jax
import jax.numpy as jnp
import numpy as np

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


def unflatten(theta, blocks):
    out, offset = {}, 0
    for name, shape in blocks:
        size = int(np.prod(shape))
        out[name] = theta[offset:offset + size].reshape(shape)
        offset += size
    return out


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
    causal = jnp.tril(jnp.ones((length, length), dtype=bool))
    for l in range(depth):
        p = lambda name: params["block%d.%s" % (l, name)]
        a = layer_norm(h, p("ln1.g"), p("ln1.b"))
        # Heads as [batch, head, length, head width]; scores masked above the diagonal.
        split = lambda w: (a @ w.T).reshape(n, length, heads, width // heads).transpose(0, 2, 1, 3)
        q, k, v = split(p("attn.q")), split(p("attn.k")), split(p("attn.v"))
        scores = jnp.einsum("bhqd,bhkd->bhqk", q, k) / jnp.sqrt(width // heads)
        weights = jax.nn.softmax(jnp.where(causal, scores, -jnp.inf), axis=-1)
        y = jnp.einsum("bhqk,bhkd->bhqd", weights, v).transpose(0, 2, 1, 3)
        h = h + y.reshape(n, length, width) @ p("attn.o").T
        a = layer_norm(h, p("ln2.g"), p("ln2.b"))
        h = h + ACTIVATIONS[act](a @ p("mlp.w1").T + p("mlp.b1")) @ p("mlp.w2").T + p("mlp.b2")
    if output == "last":
        h = h[:, -1, :]
    return layer_norm(h, params["ln.g"], params["ln.b"]) @ params["head"].T
