/// "Did you mean …?": near misspellings, and the names NumPy and JAX users bring that ritz
/// spells another way.

/// The Damerau–Levenshtein distance of `a` and `b` (optimal string alignment: insertions,
/// deletions, substitutions and swaps of two adjacent characters each cost one).
///
/// - Parameters:
///   - a: One string, as characters.
///   - b: The other.
/// - Returns: The least number of edits turning `a` into `b`.
func editDistance(_ a: [Character], _ b: [Character]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    // d[i][j]: distance of a[..<i] and b[..<j]; Wagner–Fischer with the transposition step.
    var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
    for i in 0...a.count { d[i][0] = i }
    for j in 0...b.count { d[0][j] = j }
    for i in 1...a.count {
        for j in 1...b.count {
            let cost = a[i - 1] == b[j - 1] ? 0 : 1
            d[i][j] = Swift.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
            if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                d[i][j] = Swift.min(d[i][j], d[i - 2][j - 2] + 1)
            }
        }
    }
    return d[a.count][b.count]
}

/// The most edits a suggestion for a name of `length` characters may be away: 1 up to 4
/// characters, 2 up to 8, 3 beyond.
func suggestionRadius(_ length: Int) -> Int { length <= 4 ? 1 : (length <= 8 ? 2 : 3) }

/// The closest of `candidates` to `name`, when it is close enough to be what was meant.
///
/// Close enough: at most `suggestionRadius(name.count)` edits (case ignored) and not every
/// character replaced (so `x` never suggests `e`, nor `len` `log`). Ties go to the
/// alphabetically first candidate, so the suggestion does not depend on definition order.
/// Failing that, a name it spells out or cuts short (``truncatedName(_:_:)``).
///
/// - Parameters:
///   - name: What was written.
///   - candidates: The names that exist.
/// - Returns: The suggestion, or nil.
func nearestName(_ name: String, _ candidates: [String]) -> String? {
    let a = Array(name.lowercased())
    let radius = suggestionRadius(a.count)
    var best: (name: String, distance: Int)?
    for c in candidates where c != name {
        let b = Array(c.lowercased())
        guard abs(a.count - b.count) <= radius else { continue }
        let d = editDistance(a, b)
        guard d <= radius, d < a.count else { continue }
        if let cur = best, d > cur.distance || (d == cur.distance && c >= cur.name) { continue }
        best = (c, d)
    }
    return best?.name ?? truncatedName(name, candidates) ?? qualifiedName(name, candidates)
}

/// The candidate that `name` extends by a qualifying word after an underscore —
/// `modular` for `modular_arithmetic`, `transformer` for `transformer_model` — when nothing
/// nearer exists: the candidate at least six characters, the longest such one winning.
func qualifiedName(_ name: String, _ candidates: [String]) -> String? {
    let a = name.lowercased()
    var best: String?
    for c in candidates where c.count >= 6 && c.count < a.count {
        let b = c.lowercased()
        guard a.hasPrefix(b + "_"), a.count > b.count + 1 else { continue }
        if let cur = best, c.count < cur.count || (c.count == cur.count && c >= cur) { continue }
        best = c
    }
    return best
}

/// The candidate that `name` spells out or cuts short mid-word — `grassmann_dist` for
/// `grassmann_distance`, `batch_sharpness` for `batch_sharp` — when no near spelling exists:
/// both at least five characters, the longer one continuing the shorter with a letter. The
/// closest in length wins, ties alphabetically.
func truncatedName(_ name: String, _ candidates: [String]) -> String? {
    let a = name.lowercased()
    var best: (name: String, gap: Int)?
    for c in candidates where c != name {
        let b = c.lowercased()
        let (short, long) = a.count <= b.count ? (a, b) : (b, a)
        guard short.count >= 5, long.hasPrefix(short),
              let next = long.dropFirst(short.count).first, next.isLetter else { continue }
        let gap = long.count - short.count
        if let cur = best, gap > cur.gap || (gap == cur.gap && c >= cur.name) { continue }
        best = (c, gap)
    }
    return best?.name
}

/// Names from NumPy, JAX, Python, MATLAB, matplotlib, PyTorch and PyHessian that ritz spells
/// another way, with what to write instead.
enum ForeignSpellings {
    /// Module names whose functions are ritz builtins under their bare names.
    static let modules: Set<String> = ["np", "numpy", "jnp", "jax", "scipy", "sp", "linalg", "random", "math", "torch", "la",
                                       "plt", "pyplot", "matplotlib"]

    /// name → the hint (markdown-style code in backticks). Only consulted for names that are
    /// not defined, so an entry whose name becomes a builtin simply stops being used.
    static let table: [String: String] = [
        "len": "`size(x)` (the number of elements; of a list, its length) or `shape(x)[0]` (the first dimension)",
        "concatenate": "`concat(list, axis=0)`",
        "hstack": "`concat(list, axis=1)` (for vectors: `concat(list)`)",
        "vstack": "`concat(list, axis=0)` or `stack(list)` for vectors",
        "power": "`x ^ y` or `x ** y`",
        "square": "`x ^ 2`",
        "floor_divide": "`x // y`",
        "remainder": "`x % y`",
        "mod": "`x % y`",
        "matmul": "`A @ B`",
        "inner": "`dot(a, b)`",
        "absolute": "`abs(x)`",
        "amax": "`max(x, axis=)`",
        "amin": "`min(x, axis=)`",
        "ndim": "`ndims(x)`",
        "swapaxes": "`transpose(x, perm=)`",
        "moveaxis": "`transpose(x, perm=)`",
        "expand_dims": "`x[None, :]` (a new axis in a subscript)",
        "newaxis": "`None` in a subscript, `x[None, :]`",
        "squeeze": "`reshape(x, d...)` or an integer index",
        "array": "a bracket literal, `[1, 2; 3, 4]`",
        "asarray": "a bracket literal, `[1, 2; 3, 4]`",
        "zeros_like": "`zeros(shape(x))`",
        "ones_like": "`ones(shape(x))`",
        "eigvalsh": "`eigh(A).values` (ascending)",
        "eigvals": "`eig(A).values`",
        "normal": "`randn(d..., seed=)`",
        "standard_normal": "`randn(d..., seed=)`",
        "uniform": "`rand(d..., seed=)`",
        "range": "a range `0:n` (or `arange(a, b)`)",
        "def": "`fn name(args) { … }`",
        "lambda": "`x -> …` or `(x, y) -> …`",
        "None": "`none`",
        "True": "`true`",
        "False": "`false`",
        "null": "`none`",
        "nil": "`none`",
        // PyHessian's methods.
        "eigenvalues": "`eigs(H, k=n)` (Lanczos, largest first) or, for a small matrix, `eigh(A).values`",
        "density": "`slq(H)` (the spectral density by stochastic Lanczos quadrature)",
        "esd": "`slq(H)` (the spectral density by stochastic Lanczos quadrature)",
        "disp": "`print(x)`",
        "println": "`print(x)`",
        "numel": "`size(x)`",
    ]

    /// Keyword arguments as PyTorch, Hugging Face, scikit-learn and JAX spell them → ritz's
    /// names for the same thing; an unknown keyword suggests the one its builtin accepts.
    static let keywords: [String: [String]] = [
        "d_model": ["width"], "hidden": ["width"], "hidden_size": ["width"], "embed_dim": ["width"],
        "n_heads": ["heads"], "num_heads": ["heads"], "nhead": ["heads"],
        "n_layers": ["depth"], "num_layers": ["depth"], "layers": ["depth"], "blocks": ["depth"],
        "vocab_size": ["vocab"], "n_vocab": ["vocab"],
        "seq_len": ["seq"], "max_len": ["seq"], "block_size": ["seq"], "context": ["seq"],
        "num_classes": ["classes"], "n_classes": ["classes"], "out_features": ["classes"],
        "activation": ["act"],
        "epochs": ["steps"], "num_steps": ["steps"], "n_steps": ["steps"], "iterations": ["steps"], "iters": ["steps", "maxiter"],
        "max_iter": ["maxiter", "steps"], "batch_size": ["batch"], "random_state": ["seed"], "rng": ["seed"], "key": ["seed"],
        "learning_rate": ["lr"], "weight_decay_rate": ["weight_decay"], "n_components": ["k"], "num_eigs": ["k"],
        "optimizer": ["opt"], "optim": ["opt"],
        "dim": ["axis"], "padding": ["pad"], "kernel_size": ["kernel"],
        "top_n": ["k"], "n_v": ["probes"], "iter": ["steps", "maxiter"], "maxIter": ["maxiter", "probes"],
        "label": ["legend"], "labels": ["legend"], "xscale": ["logx"], "yscale": ["logy"], "figsize": ["width"],
    ]

    /// Keywords that set an optimizer, not the call they were given to (`train(…, lr=0.1)`).
    static let optimizerSettings: Set<String> = ["lr", "learning_rate", "momentum"]

    /// Characters of other languages that ritz has no operator for, with what it writes instead.
    static let characters: [String: String] = [
        "\\": "ritz solves A x = b with `solve(A, b)` (least squares: `lstsq(A, b)`)",
        "&": "ritz writes `and` (and `or`, `not`)",
        "|": "ritz writes `or` (and `and`, `not`)",
        "!": "ritz writes `not x` (and `!=` for unequal)",
        "~": "ritz writes `not x`",
    ]

    /// Words that start a Python statement, with the help line saying what ritz writes instead.
    static let statementWords: [String: String] = [
        "def": "a function is `fn name(a, b=1) { … }` (or a lambda, `x -> …`)",
        "lambda": "a lambda is `x -> …` or `(x, y) -> …`",
        "import": "nothing needs importing: builtins go by their bare names (`np.linalg.eigh(A)` is `eigh(A)`)",
        "from": "nothing needs importing: builtins go by their bare names",
        "class": "named fields make a record, `(name=value, …)`",
        "elif": "write `else if c { … }`",
        "print": "`print` needs parentheses, `print(x)`",
    ]

    /// The help line for an unknown `name`: a foreign spelling's hint, else the nearest of
    /// `known` within the suggestion radius; nil when neither.
    ///
    /// - Parameters:
    ///   - name: The name that has no value.
    ///   - known: The names that have one.
    /// - Returns: A help line such as "ritz writes `concatenate` as `concat(list, axis=0)`".
    static func suggestion(for name: String, known: [String]) -> String? {
        if let hint = table[name] { return "ritz writes `\(name)` as \(hint)" }
        if modules.contains(name) {
            return "ritz has no modules: builtins go by their bare names (`np.linalg.eigh(A)` is `eigh(A)`)"
        }
        return nearestName(name, known).map { "did you mean `\($0)`?" }
    }

    /// The help line for `module.….function` where the module is undefined: the builtin to
    /// write instead.
    ///
    /// - Parameters:
    ///   - path: The dotted name, e.g. `["np", "linalg", "eigh"]`.
    ///   - known: The names that have a value.
    /// - Returns: A help line, e.g. "ritz has no modules: write `eigh` for `np.linalg.eigh`".
    static func suggestion(forPath path: [String], known: [String]) -> String {
        let dotted = path.joined(separator: ".")
        guard let last = path.last, path.count > 1 else { return suggestion(for: dotted, known: known) ?? "" }
        if known.contains(last) { return "ritz has no modules: write `\(last)` for `\(dotted)`" }
        if let hint = table[last] { return "ritz has no modules: write \(hint) for `\(dotted)`" }
        if let near = nearestName(last, known) { return "ritz has no modules; did you mean `\(near)` for `\(dotted)`?" }
        return "ritz has no modules, and no builtin called `\(last)`; `?language` and `ritz help` list what there is"
    }
}
