/// The guide `?language` and `ritz help language` show.
///
/// Every fenced block runs as a test (`LanguageGuideTests`): the blocks of the guide run in order
/// in one session, and a line ending in `# → text` must display `text`.
enum LanguageGuide {
    static let text = #"""
    the ritz language

    A cell is a few statements; the value of its last expression is shown as `Out[n]`
    (a trailing `;` hides it). `?name` shows a builtin's help, `ritz help` lists them all.

    ## Values

    Numbers are float64; `2im` is imaginary. Tensors are n-d arrays of float64 (complex128 where
    a result is complex, bool for comparisons). Lists hold anything. Records have named fields.
    Functions are values. Models, datasets, operators, runs and plots are objects whose fields
    are read with `.`.

    ```ritz
    x = 3
    z = 1 + 2im
    v = [1, 2, 3]                # a 1-d tensor
    A = [1, 2; 3, 4]             # `,` between columns, `;` between rows
    B = [[1, 2], [3, 4]]         # nested brackets make the same matrix
    names = ["loss", "acc"]      # not all numbers: a list
    cfg = (lr=0.1, steps=500)    # a record
    cfg.lr                       # → 0.1
    ```

    ## Lists and tensors

    Brackets make a tensor when every element is a number or the elements are tensors of one
    shape (they stack); anything else makes a list. Lists index like tensors along one axis.

    ```ritz
    [[1, 2], [3, 4]] == B        # (not a list: the rows stack)
    l = [[1, 2], [3]]            # rows of different lengths: a list of two tensors
    size(l)                      # → 2
    p = [1, "two", [3, 4]]
    p[1]                         # → "two"
    ```

    ## Broadcasting

    Elementwise operators and builtins broadcast as NumPy does: shapes are aligned at the
    right, and an axis of length 1 (or a missing one) stretches to match.

    ```ritz
    A * [10, 100]                # each row times [10, 100]
    [1, 2, 3] - mean([1, 2, 3])  # → [-1.  0.  1.]
    ones(2, 3) + [1; 2]          # a column against rows
    v[:, None] * v[None, :]      # the outer product, as in NumPy
    ```

    ## Operators

    `+ - * /` elementwise, `@` matrix product, `^` power (`**` is the same operator),
    `//` floor division and `%` the matching remainder (NumPy's `floor_divide` and `mod`: the
    result takes the divisor's sign), comparisons elementwise, `and or not`; `x += 1` and
    `-= *= /= **= //=` update a name, an element or a field.
    Precedence, lowest first: `|>`, `->`, `or`, `and`, `not`, comparisons, `:`, `+ -`,
    `* / // % @`, unary `-`, `^ **`, then calls, indexing, `.field`. Powers are
    right-associative and bind tighter than unary minus.

    ```ritz
    2 ** 3 ** 2                  # → 512
    -2 ^ 2                       # → -4
    7 // 2                       # → 3
    -7 // 2                      # → -4
    -7 % 3                       # → 2
    7 / 2                        # → 3.5
    A @ [1, 1]                   # → [3. 7.]
    ```

    ## Indexing

    Indices start at 0; slices `a:b:c` are half-open; negative positions count from the end.
    A boolean mask or a tensor of positions selects elements. `None` (or `none`) inserts an
    axis of length 1, and `...` stands for all the axes the other items leave. The same
    subscripts work on the left of `=`, and inside `grad`.

    ```ritz
    v = [3, 1, 4, 1, 5]
    v[-1]                        # → 5
    v[1:3]                       # → [1. 4.]
    v[::-1]                      # → [5. 1. 4. 1. 3.]
    v[v > 2]                     # → [3. 4. 5.]
    v[[0, 2]]                    # → [3. 4.]
    A[..., 0]                    # → [1. 3.]
    A[0, :]                      # → [1. 2.]
    v[None, :] @ v[:, None]      # a 1x1 matrix
    A[:, 0] = 0                  # indexed assignment
    ```

    ## Integer results

    Index-valued results (`argmax`, `argmin`, `shape`, …) are whole numbers, usable as indices
    as they are. Arithmetic stays float64: `7 / 2` is 3.5; `7 // 2` floors.

    ```ritz
    v[argmax(v)]                 # → 5
    ```

    ## Names and scoping

    `x = …` rebinds the innermost existing `x`, else creates a local of the enclosing function
    (a global at the top of a cell). Blocks `{ }` do not open scopes. Functions see the names
    around them when they are defined.

    ```ritz
    count = 0
    fn bump() { count = count + 1 }
    bump(); bump()
    count                        # → 2
    fn helper() { tmp = 5; tmp }  # tmp is helper's own local
    helper()                     # → 5
    ```

    ## Functions, lambdas and pipes

    `fn name(a, b=1) { … }` names a function; its last expression is its value and `return`
    leaves early. `x -> …` and `(x, y) -> …` are lambdas. `x |> f |> g` is `g(f(x))`, and
    `x |> f(k=2)` puts `x` first: `f(x, k=2)`. Calls take keyword arguments.

    ```ritz
    fn pnorm(x, p=2) { sum(abs(x) ^ p) ^ (1 / p) }
    pnorm([3, 4])                # → 5
    pnorm([3, 4], p=1)           # → 7
    [1, 4, 9] |> sqrt |> sum     # → 6
    square = x -> x ^ 2
    square(3)                    # → 9
    ```

    ## Records, tuples and unpacking

    `(name=value, …)` is a record; results that carry more than one number are records
    (`eigh(A)` → `(values=, vectors=)`). `a, b` on the right of `=`, after `return` or alone,
    and `(a, b)` or `(x,)` in parentheses, is a tuple, which ritz holds as a list. `a, b = value` unpacks a list, a tensor along its
    first axis, or a record's fields in the order written; `for a, b in items` unpacks each
    item the same way, so `for i, x in enumerate(xs)` and `for a, b in zip(as, bs)` read as in
    Python.

    ```ritz
    r = (lr=0.1, steps=5)
    r.steps                      # → 5
    a, b = 1, 2
    a, b = b, a
    a                            # → 2
    (1, "two")                   # → [1, "two"]
    values, vectors = eigh([2, 1; 1, 2])
    values                       # → [1. 3.]
    fn minmax(x) { return min(x), max(x) }
    lo, hi = minmax([4, 2, 8])
    hi - lo                      # → 6
    for i, w in [[0, 10], [1, 20]] { print(i, w) }
    for i, name in enumerate(["loss", "acc"]) { print(i, name) }
    for name, value in zip(["lr", "steps"], [0.1, 5]) { print(name, value) }
    ```

    ## Values, not references

    Assignment copies: every tensor, list and record is a value, so changing one name never
    changes another (NumPy shares arrays, and `y = x; y[0] = 1` changes `x` there). `copy(x)`
    exists for NumPy habits and returns `x`. Objects (models, runs, plots) are the exception:
    they are shared.

    ```ritz
    x = [1, 2, 3]
    y = x
    y[0] = 100
    x                            # → [1. 2. 3.]
    cfg2 = cfg
    cfg2.lr = 1
    cfg.lr                       # → 0.1
    ```

    ## Control flow

    `if` is an expression; `for x in …` runs over a range `0:n`, a list, or a tensor's first
    axis; `while`, `break`, `continue`.

    ```ritz
    if 2 > 1 { "yes" } else { "no" }   # → "yes"
    total = 0
    for k in 0:5 { total += k }
    total                        # → 10
    ```

    ## Derivatives

    Transforms return functions, as in JAX: `grad(f)` is the gradient function of a scalar
    `f`, called as `grad(f)(x)`; `argnum=` picks the argument. `value_and_grad`, `jacobian`
    and `hessian` work the same way; `hessian(f, x)`, `jacobian(f, x)`, `hvp(f, x, v)` and
    `jvp(f, x, v)` evaluate at a point. Derivatives flow through operators, indexing, loops,
    user functions and the differentiable builtins (including grad of grad). A dense layer in
    PyTorch's weight layout, `x @ w.T`, is one product that reads `w` in place: no transposed
    copy is made or differentiated; `x @ w.T + b` and `tanh(x @ w.T + b)` (or `sigmoid`,
    `relu`, `gelu`) are one fused layer, the bias and the activation in the product's pass.

    ```ritz
    f = x -> sum(x ^ 3)
    grad(f)([1, 2])              # → [ 3. 12.]
    grad(x -> grad(t -> t ^ 3)(x))(2)   # → 12
    hvp(f, [1, 2], [1, 0])       # → [6. 0.]
    ```

    ## Curvature of models

    Curvature matrices of a model on data are operators: `hessian_op`, `ggn_op`, `fisher_op`,
    `jacobian_op` and `kfac_op` (K-FAC or `kind="ekfac"`, one Kronecker block A ⊗ G per `linear`
    or `conv2d` layer, `.factors` per layer). `inv(K, damping=)` solves with them, certifying each
    solve (`.iters`, `.residual`); a kfac_op inverts exactly through its factors. The optimizers
    `kfac` and `mkor` precondition training with the same factors.

    ```ritz
    net = model((p, x) -> linear(x, p.w, p.b), (w=[1, 0;], b=[0]))
    K = kfac_op(net, dataset([1, 0; 0, 1], [1; 2]), fisher="exact")
    K.factors[0].G               # → [[2.]]
    (inv(K, damping=1) @ [1, 1, 1]).shape   # → [3]
    ```

    ## Conventions worth knowing

    * `eigh(A)` returns eigenvalues ascending, as NumPy and LAPACK do; `eigs(H, k)` (Lanczos on
      an operator) orders them from the requested end: largest first for `which="LA"`.
    * `time(expr)` runs `expr`, prints the seconds and returns them (a number, not the value of
      `expr`); to keep a value, assign it inside a block: `time({ y = f(x) })`.
    * `std` and `var` divide by n, as NumPy's defaults do.
    * NumPy's names: most builtins have them (`linspace`, `arange`, `eigh`, `svd`); where ritz
      spells one differently (`concat` for `concatenate`, `size` for `len`), the error for the
      NumPy name says what to write. There are no modules: `np.linalg.eigh(A)` is `eigh(A)`.
    * From MATLAB or Julia: the transpose is `A.T` (a `'` starts a string), a row is written
      with commas, `[1, 2, 3]`, elements are taken with brackets from 0, `x[0]`, `A \ b` is
      `solve(A, b)`, a loop is `for i in a:b { … }`, and `and or not` are words; the error for
      each of the other spellings says so, as it does for C's `i++` and `&&`.

    ```ritz
    eigh([2, 0; 0, 1]).values    # → [1. 2.]
    eigs(op([2, 0; 0, 1]), k=2).values   # → [2. 1.]
    std([1, 3])                  # → 1
    ```
    """#
}
