"""Reference values for the layer primitives of RitzAutodiff (Var+Layers.swift), computed with JAX.

Run from this folder:  python3 make_layer_fixtures.py   (writes layers.json)
JAX on CPU in float64 (jax_enable_x64); inputs come from numpy's default_rng(20261205) and are
stored in the fixture. Each case differentiates a scalar s(x):
  losses (cross_entropy, mse): s is the loss itself;
  layers (take, layernorm):    s(x) = Σ w · tanh(layer(x)) with a stored weight w of the
                               layer's output shape, so the Hessian is not zero for linear layers.
Stored: the inputs, the layer's forward output ("forward"), s(x), ∇s(x) and the Hessian-vector
product along a stored direction v (jax.jvp of jax.grad: forward over reverse).
"""
import json

import jax
import jax.numpy as jnp
import numpy as np

jax.config.update("jax_enable_x64", True)
rng = np.random.default_rng(20261205)


def flat(a):
    return [float(x) for x in np.asarray(a, dtype=np.float64).ravel()]


def layernorm(x, axis, eps):
    m = jnp.mean(x, axis=axis, keepdims=True)
    var = jnp.mean((x - m) ** 2, axis=axis, keepdims=True)
    return (x - m) / jnp.sqrt(var + eps)


def cross_entropy(z, y):
    lp = jax.nn.log_softmax(z, axis=-1)
    return -jnp.mean(jnp.take_along_axis(lp, y[..., None], axis=-1))


cases = []


def add(name, op, x, params, layer, weighted):
    x = jnp.asarray(x)
    v = jnp.asarray(rng.uniform(-1, 1, size=x.shape))
    forward = layer(x)
    case = {"name": name, "op": op, "shape": list(x.shape), "x": flat(x), "v": flat(v),
            "forward": flat(forward), "forward_shape": list(np.shape(forward))}
    case.update(params)
    if weighted:
        w = jnp.asarray(rng.uniform(-1, 1, size=np.shape(forward)))
        case["w"] = flat(w)
        s = lambda t: jnp.sum(w * jnp.tanh(layer(t)))
    else:
        s = layer
    case["value"] = float(s(x))
    case["grad"] = flat(jax.grad(s)(x))
    case["hvp"] = flat(jax.jvp(jax.grad(s), (x,), (v,))[1])
    cases.append(case)


for name, shape in [("batch 5×3", (5, 3)), ("sequence 2×3×4", (2, 3, 4)), ("one row of 4", (4,))]:
    z = rng.normal(size=shape) * 2
    y = rng.integers(0, shape[-1], size=shape[:-1])
    add("cross_entropy " + name, "cross_entropy", z, {"labels": flat(y), "labels_shape": list(y.shape)},
        lambda t, y=y: cross_entropy(t, jnp.asarray(y)), weighted=False)

for name, shape in [("3×4", (3, 4)), ("vector of 5", (5,))]:
    target = rng.normal(size=shape)
    add("mse " + name, "mse", rng.normal(size=shape), {"target": flat(target)},
        lambda t, target=target: jnp.mean((t - target) ** 2), weighted=False)

for name, shape, idx, axis in [("rows with repeats and a negative index", (5, 3), [4, 0, 4, -1], 0),
                               ("2-d indices on the middle axis", (2, 4, 3), [[1, 0], [3, 3]], 1),
                               ("last axis", (3, 4), [3, 1], -1),
                               ("scalar index", (4, 2), 2, 0)]:
    idx = np.asarray(idx)
    add("take " + name, "take", rng.normal(size=shape),
        {"indices": flat(idx), "indices_shape": list(idx.shape), "axis": axis},
        lambda t, idx=idx, axis=axis: jnp.take(t, jnp.asarray(idx), axis=axis), weighted=True)

for name, shape, axis, eps in [("rows of 5", (3, 5), -1, 1e-5), ("middle axis, eps 0.1", (2, 3, 4), 1, 0.1),
                               ("vector of 6", (6,), 0, 1e-5)]:
    add("layernorm " + name, "layernorm", rng.normal(size=shape) * 3 + 1, {"axis": axis, "eps": eps},
        lambda t, axis=axis, eps=eps: layernorm(t, axis, eps), weighted=True)

# einsum, differentiated in its first operand; the others are stored in "operands".
for spec, shapes in [("ij,jk->ik", [(3, 4), (4, 2)]), ("ij,jk", [(2, 3), (3, 4)]),
                     ("bij,bjk->bik", [(2, 3, 4), (2, 4, 2)]), ("ij->ji", [(3, 2)]), ("ij->", [(2, 3)]),
                     ("i,i->", [(5,), (5,)]), ("i,j->ij", [(3,), (2,)]), ("ijk,ik->j", [(2, 3, 4), (2, 4)]),
                     ("bhqd,bhkd->bhqk", [(1, 2, 3, 4), (1, 2, 5, 4)]), ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
                     ("abc,cd,a->db", [(2, 3, 4), (4, 2), (2,)])]:
    ops = [rng.normal(size=sh) for sh in shapes]
    add("einsum " + spec, "einsum", ops[0],
        {"spec": spec, "operands": [flat(o) for o in ops[1:]], "operand_shapes": [list(o.shape) for o in ops[1:]]},
        lambda t, spec=spec, ops=ops: jnp.einsum(spec, t, *[jnp.asarray(o) for o in ops[1:]]), weighted=True)

# attention, differentiated in one of q, k, v ("wrt"); the other two are stored in "operands"
# (in q, k, v order without the differentiated one). The reference is written out with einsum
# and cross-checked against jax.nn.dot_product_attention where its layout applies (4-d).
def attention_reference(q, k, v, causal):
    s = jnp.einsum("...qd,...kd->...qk", q, k) / jnp.sqrt(q.shape[-1])
    if causal:
        s = jnp.where(jnp.tril(jnp.ones((q.shape[-2], k.shape[-2]), dtype=bool)), s, -jnp.inf)
    return jnp.einsum("...qk,...kd->...qd", jax.nn.softmax(s, axis=-1), v)


for name, (sq, sk, sv), causal, wrts in [("3 heads", ((3, 4, 2), (3, 5, 2), (3, 5, 3)), False, "qkv"),
                                         ("causal", ((2, 4, 3), (2, 4, 3), (2, 4, 2)), True, "qkv"),
                                         ("causal 4-d batch", ((2, 2, 3, 2), (2, 2, 3, 2), (2, 2, 3, 2)), True, "k"),
                                         ("one query", ((1, 2), (3, 2), (3, 1)), False, "q")]:
    q, k, v = rng.normal(size=sq), rng.normal(size=sk), rng.normal(size=sv)
    ref = attention_reference(jnp.asarray(q), jnp.asarray(k), jnp.asarray(v), causal)
    if q.ndim == 4:
        # Cross-check the masking and layout with JAX's own attention ([B, T, heads, D]); it
        # agrees to ~1e-7 only (it does not keep full float64 precision inside), so it checks
        # the formula while the float64 einsum reference gives the stored values.
        theirs = jax.nn.dot_product_attention(jnp.swapaxes(q, 1, 2), jnp.swapaxes(k, 1, 2), jnp.swapaxes(v, 1, 2), is_causal=causal)
        assert np.allclose(np.swapaxes(np.asarray(theirs), 1, 2), np.asarray(ref), rtol=1e-5, atol=1e-6)
    for wrt in wrts:
        i = "qkv".index(wrt)
        ops = [q, k, v]
        rest = [o for j, o in enumerate(ops) if j != i]

        def layer(t, i=i, ops=ops, causal=causal):
            args = [jnp.asarray(o) for o in ops]
            args[i] = t
            return attention_reference(*args, causal)

        add("attention " + name + " in " + wrt, "attention", ops[i],
            {"wrt": wrt, "causal": causal, "operands": [flat(o) for o in rest], "operand_shapes": [list(o.shape) for o in rest]},
            layer, weighted=True)

with open("layers.json", "w") as fh:
    json.dump({"generator": "make_layer_fixtures.py with jax " + jax.__version__ + ", float64", "cases": cases}, fh)
