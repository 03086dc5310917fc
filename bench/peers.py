"""The peer of `ritz-bench --peers`: NumPy, SciPy and JAX timing the workloads ritz-bench times.

ritz-bench starts this script once and talks to it over stdin/stdout, one line each way:

    run NAME INNER CLOCK [ARG...]   ->   SECONDS cpu=CPUSECONDS [NOTE...]
    quit

`run` first calls workload NAME untimed for at least WARM seconds (`--warm`, at least once), so
caches, the thread pool and the processors are back in their steady state after the other side's
turn, then performs it `INNER` times in a row and answers the seconds per call, measured
with CLOCK (`wall`: time.perf_counter; `cpu`: time.process_time, for one-thread Python loops on
a shared machine), and the process CPU seconds per call (all threads). The first `run` of a workload also prepares it (data, JIT compilation), so
ritz-bench discards each side's first round. A failure answers `error MESSAGE`. On start the
script prints `info ...` lines (versions, BLAS kernels, threads), `missing PACKAGE: REASON` for
each package it cannot import, then `ready`.

The data are ritz's: the digits CSV shipped in Sources/RitzLearn/Resources (pixels / 16, as
`Dataset.digits()` reads them), MLP weights that ritz-bench saves as .npy in ritz's flat layout
(each layer's out x in weights, then its biases), the model library's parameters, tokens and
labels saved the same way (the networks themselves in bench/jax_models.py), the Henon orbit
computed with ritz's arithmetic, the 100 x 100 grid graph.

Usage: python bench/peers.py --threads N --warm SECONDS
(N: the BLAS threads to allow, ritz's thread count; SECONDS: each turn's untimed warm-up)
"""

import argparse
import os
import sys
import time

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--warm", type=float, default=0.0)
options = parser.parse_args()

# Thread counts must be fixed before NumPy loads its OpenBLAS.
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(options.threads)
os.environ.setdefault("JAX_PLATFORMS", "cpu")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DIGITS = os.path.join(ROOT, "Sources", "RitzLearn", "Resources", "digits.csv")

missing = []
np = scipy = jax = jnp = threadpoolctl = None
try:
    import numpy as np
except ImportError as e:
    missing.append(("numpy", str(e)))
try:
    import scipy
    import scipy.linalg
    import scipy.sparse
    import scipy.sparse.linalg
except ImportError as e:
    missing.append(("scipy", str(e)))
try:
    import jax
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
except ImportError as e:
    missing.append(("jax", str(e)))
try:
    import threadpoolctl
except ImportError as e:
    missing.append(("threadpoolctl", str(e)))


def say(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def announce():
    """Prints what the peer runs: versions, each BLAS library's kernel and threads."""
    say("info python %s" % sys.version.split()[0])
    if np is not None:
        say("info numpy %s" % np.__version__)
    if scipy is not None:
        say("info scipy %s" % scipy.__version__)
    if jax is not None:
        say("info jax %s (x64 %s), devices %s; XLA's CPU thread pool spans the %d CPUs of the "
            "affinity mask" % (jax.__version__, jax.config.jax_enable_x64,
                               ",".join(str(d) for d in jax.devices()), len(os.sched_getaffinity(0))))
    if threadpoolctl is not None:
        threadpoolctl.threadpool_limits(options.threads)
        for pool in threadpoolctl.threadpool_info():
            path = pool.get("filepath", "")
            owner = os.path.basename(os.path.dirname(path)).replace(".libs", "") or "?"
            say("info %s's %s %s: kernel %s, %s thread(s) (%s)" % (
                owner, pool.get("internal_api"), pool.get("version"), pool.get("architecture", "?"),
                pool.get("num_threads"), os.path.basename(path)))
    else:
        say("info BLAS kernels unknown (threadpoolctl missing); threads limited by OPENBLAS_NUM_THREADS=%d"
            % options.threads)
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        if var in os.environ:
            say("info %s=%s in the peer's environment" % (var, os.environ[var]))
    for name, reason in missing:
        say("missing %s: %s" % (name, reason))
    say("ready")


def need(*packages):
    absent = [p for p, _ in missing if p in packages]
    if absent:
        raise RuntimeError("%s not installed" % ", ".join(absent))


# ---------------------------------------------------------------- dense linear algebra

_matrices = {}


def random_matrix(n, symmetric=False):
    key = (n, symmetric)
    if key not in _matrices:
        g = np.random.default_rng(1).standard_normal((n, n))
        _matrices[key] = g + g.T if symmetric else (g, np.random.default_rng(2).standard_normal((n, n)))
    return _matrices[key]


def dgemm(n):
    """C = A B with NumPy (its OpenBLAS dgemm), n x n float64."""
    need("numpy")
    a, b = random_matrix(int(n))
    return lambda: a @ b, None


def eigh(n):
    """All eigenpairs of a symmetric n x n matrix with scipy.linalg.eigh (LAPACK dsyevr)."""
    need("numpy", "scipy")
    s = random_matrix(int(n), symmetric=True)
    return lambda: scipy.linalg.eigh(s), None


# ---------------------------------------------------------------- the digits MLP in JAX

_digits = None


def digits():
    """The digits as ritz reads them: x = pixels / 16 (1797 x 64), one-hot labels (1797 x 10)."""
    global _digits
    if _digits is None:
        data = np.loadtxt(DIGITS, delimiter=",")
        x, y = data[:, :64] / 16, data[:, 64].astype(int)
        _digits = (jnp.asarray(x), jnp.asarray(np.eye(10)[y]))
    return _digits


def mlp_loss():
    """Softmax cross-entropy of the 64-64-10 tanh MLP over all digits, of ritz's flat weights."""
    x, y = digits()
    n = x.shape[0]

    def loss(w):
        w1 = w[0:4096].reshape(64, 64)
        b1 = w[4096:4160]
        w2 = w[4160:4800].reshape(10, 64)
        b2 = w[4800:4810]
        h = jnp.tanh(x @ w1.T + b1)
        z = h @ w2.T + b2
        return -jnp.sum(jax.nn.log_softmax(z, axis=1) * y) / n

    return loss


def weights(path):
    w = np.load(path)
    if w.shape != (4810,):
        raise RuntimeError("%s: expected 4810 weights, found shape %s" % (path, w.shape))
    return jnp.asarray(w)


def block(f):
    return lambda: jax.block_until_ready(f())


def mlp_grad(path):
    """The gradient of the loss, jax.jit(jax.grad)."""
    need("numpy", "jax")
    w = weights(path)
    g = jax.jit(jax.grad(mlp_loss()))
    return block(lambda: g(w)), None


def hvp_function():
    grad = jax.grad(mlp_loss())
    return jax.jit(lambda w, v: jax.jvp(grad, (w,), (v,))[1])


def mlp_hvp(path):
    """A Hessian-vector product, forward over reverse (jvp of grad), jitted, forward pass included."""
    need("numpy", "jax")
    w = weights(path)
    v = jnp.asarray(np.random.default_rng(1).standard_normal(w.shape[0]))
    hvp = hvp_function()
    return block(lambda: hvp(w, v)), None


def gd_steps(path, steps, lr):
    """`steps` full-batch gradient-descent steps, one jitted update per step from a Python loop."""
    need("numpy", "jax")
    w0, steps, lr = weights(path), int(steps), float(lr)
    grad = jax.grad(mlp_loss())
    step = jax.jit(lambda w: w - lr * grad(w))

    def run():
        w = w0
        for _ in range(steps):
            w = step(w)
        return jax.block_until_ready(w)

    return run, None


def gd_loop(path, steps, lr):
    """The same steps as one compiled program (jax.lax.fori_loop inside jax.jit)."""
    need("numpy", "jax")
    w0, steps, lr = weights(path), int(steps), float(lr)
    grad = jax.grad(mlp_loss())
    train = jax.jit(lambda w: jax.lax.fori_loop(0, steps, lambda i, w: w - lr * grad(w), w))
    return block(lambda: train(w0)), None


def eigs_top(path, k, tol):
    """The k largest eigenvalues of the loss's Hessian: scipy eigsh (ARPACK, which='LA') driving
    jitted JAX Hessian-vector products. The note gives the products used and the eigenvalues."""
    need("numpy", "scipy", "jax")
    w, k, tol = weights(path), int(k), float(tol)
    hvp = hvp_function()
    count = [0]

    def matvec(v):
        count[0] += 1
        return np.asarray(hvp(w, jnp.asarray(np.ravel(v))))

    op = scipy.sparse.linalg.LinearOperator((w.shape[0], w.shape[0]), matvec=matvec, dtype=np.float64)
    v0 = np.random.default_rng(0).standard_normal(w.shape[0])
    result = {}

    def run():
        count[0] = 0
        result["values"] = scipy.sparse.linalg.eigsh(op, k=k, which="LA", tol=tol, v0=v0,
                                                      return_eigenvectors=False)
        result["matvecs"] = count[0]

    return run, lambda: "matvecs=%d values=%s" % (
        result["matvecs"], ",".join("%.4f" % x for x in sorted(result["values"], reverse=True)))


# ---------------------------------------------------------------- model library

CNN = dict(input=(1, 8, 8), channels=(16, 32), classes=10, kernel=3, pool=2, act="relu")
TRANSFORMER = dict(vocab=128, seq=16, width=64, heads=4, depth=2, mlp=4, act="gelu", output="all")


def model_loss(kind, tokens_path=None, labels_path=None):
    """The loss of ritz's flat parameters for the library's `cnn` on all digit images, or its
    `transformer` on the tokens and per-position labels ritz-bench saved (bench/jax_models.py)."""
    import jax_models as jm
    if kind == "cnn":
        x, y = digits()
        images, labels = x.reshape(-1, *CNN["input"]), jnp.argmax(y, axis=1)
        blocks = jm.cnn_blocks(CNN["input"], CNN["channels"], CNN["classes"], CNN["kernel"], CNN["pool"])
        forward = lambda p: jm.cnn_forward(p, images, len(CNN["channels"]), CNN["pool"], CNN["act"])
    else:
        t = TRANSFORMER
        tokens, labels = jnp.asarray(np.load(tokens_path).astype(int)), jnp.asarray(np.load(labels_path).astype(int))
        blocks = jm.transformer_blocks(t["vocab"], t["seq"], t["width"], t["depth"], t["vocab"], t["mlp"])
        forward = lambda p: jm.transformer_forward(p, tokens, t["depth"], t["heads"], t["act"], t["output"])
    count = sum(int(np.prod(s)) for _, s in blocks)
    return (lambda theta: jm.cross_entropy(forward(jm.unflatten(theta, blocks)), labels)), count


def model_params(path, count):
    w = np.load(path)
    if w.shape != (count,):
        raise RuntimeError("%s: expected %d parameters, found shape %s" % (path, count, w.shape))
    return jnp.asarray(w)


def model_grad(kind, params_path, *data):
    """The gradient of a library model's loss, jax.jit(jax.grad)."""
    need("numpy", "jax")
    loss, count = model_loss(kind, *data)
    w = model_params(params_path, count)
    g = jax.jit(jax.grad(loss))
    return block(lambda: g(w)), None


def model_hvp(kind, params_path, direction_path, *data):
    """A Hessian-vector product of a library model's loss, forward over reverse (jvp of grad),
    jitted, forward pass included. The note gives XLA's planned temporary memory of the call
    (memory_analysis of the compiled program), when it reports one."""
    need("numpy", "jax")
    loss, count = model_loss(kind, *data)
    w, v = model_params(params_path, count), model_params(direction_path, count)
    grad = jax.grad(loss)
    hvp = jax.jit(lambda w, v: jax.jvp(grad, (w,), (v,))[1])
    note = None
    try:
        temp = hvp.lower(w, v).compile().memory_analysis().temp_size_in_bytes
        note = lambda: "xla_temp_bytes=%d" % temp
    except Exception:  # memory_analysis is optional on some backends
        pass
    return block(lambda: hvp(w, v)), note


# ---------------------------------------------------------------- Koopman and graphs

_henon = {}


def henon(steps, a=1.4, b=0.3):
    """The Henon orbit from (0.1, 0.1), plain float operations in ritz's order (so the chaotic
    orbit agrees with ritz's bit for bit), 2 x (steps + 1)."""
    if steps not in _henon:
        x, y = 0.1, 0.1
        out = np.empty((2, steps + 1))
        out[:, 0] = x, y
        for t in range(1, steps + 1):
            x, y = 1 - a * x * x + y, b * x
            out[:, t] = x, y
        _henon[steps] = out
    return _henon[steps]


def monomials(p, degree):
    """All monomials x^i y^j, i + j <= degree, of the rows of p (M x 2): M x (d+1)(d+2)/2."""
    x, y = p[:, 0], p[:, 1]
    return np.stack([x ** (total - j) * y ** j for total in range(degree + 1) for j in range(total + 1)], axis=1)


def edmd_henon(steps, degree):
    """EDMD with ResDMD residuals on consecutive Henon snapshots, the algorithm ritz's EDMD uses:
    one QR of [Psi_X Psi_Y X^T] / sqrt(M), K~ = R12 R11^-1, E = R22 R11^-1, eig(K~), residuals
    sqrt((|(K~ - lam) v|^2 + |E v|^2) / |v|^2), g = R11^-1 v, modes^T = V^-1 R13."""
    need("numpy", "scipy")
    orbit, degree = henon(int(steps)), int(degree)
    x, y = orbit[:, :-1].T, orbit[:, 1:].T

    def run():
        px, py = monomials(x, degree), monomials(y, degree)
        m, n = px.shape
        r = np.linalg.qr(np.hstack([px, py, x]) / np.sqrt(m), mode="r")
        r11, r12, r13, r22 = r[:n, :n], r[:n, n:2 * n], r[:n, 2 * n:], r[n:2 * n, n:2 * n]
        kt = scipy.linalg.solve_triangular(r11, r12.T, trans="T").T
        e = scipy.linalg.solve_triangular(r11, r22.T, trans="T").T
        lam, v = np.linalg.eig(kt)
        res = np.sqrt((np.linalg.norm(kt @ v - v * lam, axis=0) ** 2 + np.linalg.norm(e @ v, axis=0) ** 2)
                      / np.linalg.norm(v, axis=0) ** 2)
        g = scipy.linalg.solve_triangular(r11, v)
        modes = np.linalg.solve(v, r13.astype(complex)).T
        return lam, res, g, modes

    return run, None


def edmd_gram_henon(steps, degree):
    """EDMD with ResDMD residuals on consecutive Henon snapshots by the Gram form, the way one
    writes it in NumPy: Psi of the whole orbit once (Psi_X and Psi_Y are views of it), then
    G = Psi_X^T Psi_X, A = Psi_X^T Psi_Y, L = Psi_Y^T Psi_Y, B = Psi_X^T X^T (BLAS), K = G^-1 A,
    eig(K), residuals res^2 = (g*Lg - lam g*A*g - conj(lam) g*Ag + |lam|^2 g*Gg)/g*Gg, modes by
    least squares. The note is the peak RSS of the peer process."""
    need("numpy", "scipy")
    orbit, degree = henon(int(steps)), int(degree)

    def run():
        # Each monomial one multiplication from one of degree one less (x^a y^b = x^(a-1) y^b * x,
        # or x^0 y^(b-1) * y), into contiguous columns; the order is monomials'.
        n = (degree + 1) * (degree + 2) // 2
        psi = np.empty((orbit.shape[1], n), order="F")
        psi[:, 0] = 1
        start = [0]
        for total in range(1, degree + 1):
            start.append(start[-1] + total)
            for j in range(total + 1):
                k = start[total] + j
                if j < total:
                    np.multiply(psi[:, start[total - 1] + j], orbit[0], out=psi[:, k])
                else:
                    np.multiply(psi[:, start[total - 1] + j - 1], orbit[1], out=psi[:, k])
        px, py, x = psi[:-1], psi[1:], orbit[:, :-1].T
        m = px.shape[0]
        g, a, l, b = (px.T @ px) / m, (px.T @ py) / m, (py.T @ py) / m, (px.T @ x) / m
        lam, v = scipy.linalg.eig(a, g)
        gg = np.einsum("ij,ik,kj->j", v.conj(), g, v).real
        ga = np.einsum("ij,ik,kj->j", v.conj(), a, v)
        gl = np.einsum("ij,ik,kj->j", v.conj(), l, v).real
        res = np.sqrt(np.maximum(gl - 2 * (lam.conj() * ga).real + np.abs(lam) ** 2 * gg, 0) / gg)
        modes = np.linalg.lstsq(v, np.linalg.solve(g, b).astype(complex), rcond=None)[0].T
        return lam, res, modes

    def note():
        import resource
        return "peak RSS %.0f MB" % (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)

    return run, note


def laplacian_pe_grid(rows, cols, k):
    """The k + 1 smallest eigenpairs of the symmetric normalised Laplacian of the rows x cols
    grid graph (building it included): scipy eigsh in shift-invert mode about -1e-3."""
    need("numpy", "scipy")
    rows, cols, k = int(rows), int(cols), int(k)

    def path(n):
        return scipy.sparse.diags([np.ones(n - 1), np.ones(n - 1)], [-1, 1])

    def run():
        a = (scipy.sparse.kron(scipy.sparse.identity(rows), path(cols))
             + scipy.sparse.kron(path(rows), scipy.sparse.identity(cols))).tocsr()
        d = 1 / np.sqrt(np.asarray(a.sum(axis=1)).ravel())
        lap = (scipy.sparse.identity(rows * cols) - scipy.sparse.diags(d) @ a @ scipy.sparse.diags(d)).tocsc()
        return scipy.sparse.linalg.eigsh(lap, k=k + 1, sigma=-1e-3, which="LM")

    return run, None


# ---------------------------------------------------------------- the interpreter's loops

def tensor_loop(iterations):
    """x = x * 1.0000001 + 0.1 on a 3-element NumPy array, `iterations` times from Python."""
    need("numpy")
    iterations = int(iterations)

    def run():
        x = np.array([1.0, 2.0, 3.0])
        for _ in range(iterations):
            x = x * 1.0000001 + 0.1
        return x

    return run, None


def scalar_loop(iterations):
    """s = s + i * 0.5 for i in range(iterations), in CPython."""
    iterations = int(iterations)

    def run():
        s = 0
        for i in range(iterations):
            s = s + i * 0.5
        return s

    return run, None


WORKLOADS = {
    "dgemm": dgemm, "eigh": eigh,
    "mlp_grad": mlp_grad, "mlp_hvp": mlp_hvp, "gd_steps": gd_steps, "gd_loop": gd_loop,
    "eigs_top": eigs_top, "model_grad": model_grad, "model_hvp": model_hvp,
    "edmd_henon": edmd_henon, "edmd_gram_henon": edmd_gram_henon, "laplacian_pe_grid": laplacian_pe_grid,
    "tensor_loop": tensor_loop, "scalar_loop": scalar_loop,
}
CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


def serve():
    prepared = {}
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if words[0] == "quit":
            break
        try:
            if words[0] != "run" or len(words) < 4:
                raise RuntimeError("expected 'run NAME INNER CLOCK [ARG...]' or 'quit', got %r" % line.strip())
            name, inner, clock, args = words[1], int(words[2]), CLOCKS.get(words[3]), tuple(words[4:])
            if name not in WORKLOADS:
                raise RuntimeError("unknown workload %s" % name)
            if clock is None or inner < 1:
                raise RuntimeError("bad clock %r or count %d" % (words[3], inner))
            key = (name,) + args
            if key not in prepared:
                prepared[key] = WORKLOADS[name](*args)
            body, note = prepared[key]
            warm_until = time.perf_counter() + options.warm
            body()
            while time.perf_counter() < warm_until:
                body()
            t0, c0 = clock(), time.process_time()
            for _ in range(inner):
                body()
            seconds, cpu = (clock() - t0) / inner, (time.process_time() - c0) / inner
            say("%.9e cpu=%.9e%s" % (seconds, cpu, " " + note() if note else ""))
        except Exception as e:  # answer every request; ritz-bench reports the message
            say("error %s: %s" % (type(e).__name__, str(e).replace("\n", " ")))


if __name__ == "__main__":
    announce()
    serve()
