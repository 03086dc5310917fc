import Testing
@testable import RitzLang

/// "Did you mean …?": what an unknown name suggests, and what it must not suggest.
@Suite struct SuggestionTests {
    /// The names a fresh session knows (builtins and constants).
    static let known: [String] = {
        let s = Session()
        return s.interp.globals.order.filter { $0.slot.pointee != nil }.map(\.name)
    }()

    struct Case: CustomTestStringConvertible, Sendable {
        let typed: String
        /// Text the help line must contain; nil: there must be no help line.
        let expected: String?
        /// Text the help line must not contain.
        let forbidden: String?
        var testDescription: String { "\(typed) → \(expected ?? "nothing")" }
    }

    static let cases: [Case] = [
        // Near misspellings within the radius (1 edit up to 4 characters, 2 up to 8, 3 beyond).
        Case(typed: "lisnpace", expected: "did you mean `linspace`?", forbidden: nil),
        Case(typed: "cpoy", expected: "did you mean `copy`?", forbidden: nil),
        Case(typed: "sigmiod", expected: "did you mean `sigmoid`?", forbidden: nil),
        Case(typed: "softmx", expected: "did you mean `softmax`?", forbidden: nil),
        Case(typed: "hessain", expected: "did you mean `hessian`?", forbidden: nil),
        Case(typed: "laplacain_pe", expected: "did you mean `laplacian_pe`?", forbidden: nil),
        Case(typed: "Eigh", expected: "did you mean `eigh`?", forbidden: nil),
        // Ties go to the alphabetically first name.
        Case(typed: "eign", expected: "did you mean `eig`?", forbidden: nil),
        // A word spelled out or cut short (no near spelling, five characters or more).
        Case(typed: "grassmann_distance", expected: "did you mean `grassmann_dist`?", forbidden: nil),
        Case(typed: "hutchinson_diagonal", expected: "did you mean `hutchinson_diag`?", forbidden: nil),
        Case(typed: "batch_sharp", expected: "did you mean `batch_sharpness`?", forbidden: nil),
        // A name with a qualifying word after it (the name six characters or more).
        Case(typed: "modular_arithmetic", expected: "did you mean `modular`?", forbidden: nil),
        Case(typed: "transformer_model", expected: "did you mean `transformer`?", forbidden: nil),
        Case(typed: "eigh_values", expected: nil, forbidden: nil),
        // Too far, or every character replaced: no suggestion at all.
        Case(typed: "x", expected: nil, forbidden: nil),
        Case(typed: "foo", expected: nil, forbidden: nil),
        Case(typed: "q", expected: nil, forbidden: nil),
        Case(typed: "data", expected: nil, forbidden: nil),
        Case(typed: "model2", expected: "`model`", forbidden: nil),
        Case(typed: "undefined_thing", expected: nil, forbidden: nil),
        // NumPy, JAX and Python spellings.
        Case(typed: "len", expected: "`size(x)`", forbidden: "log"),
        Case(typed: "concatenate", expected: "`concat(list, axis=0)`", forbidden: nil),
        Case(typed: "expand_dims", expected: "`x[None, :]`", forbidden: nil),
        Case(typed: "None", expected: "`none`", forbidden: nil),
        Case(typed: "True", expected: "`true`", forbidden: nil),
        Case(typed: "def", expected: "`fn name(args)", forbidden: nil),
        Case(typed: "np", expected: "no modules", forbidden: nil),
    ]

    @Test("suggestion for an unknown name", arguments: cases)
    func suggestion(_ c: Case) {
        let got = ForeignSpellings.suggestion(for: c.typed, known: SuggestionTests.known)
        if let e = c.expected {
            #expect(got?.contains(e) == true, "\(c.typed): \(got ?? "nil")")
        } else {
            #expect(got == nil, "\(c.typed) should suggest nothing, got \(got ?? "")")
        }
        if let f = c.forbidden { #expect(got?.contains(f) != true, "\(c.typed): \(got ?? "nil")") }
    }

    @Test("np.… paths name the bare builtin", arguments: [
        (["np", "linalg", "eigh"], "write `eigh` for `np.linalg.eigh`"),
        (["jnp", "concatenate"], "write `concat(list, axis=0)` for `jnp.concatenate`"),
        (["np", "sum"], "write `sum` for `np.sum`"),
        (["np", "lisnpace"], "did you mean `linspace` for `np.lisnpace`?"),
        (["np", "frobnicate"], "no builtin called `frobnicate`"),
    ])
    func modulePath(_ path: [String], _ expected: String) {
        let got = ForeignSpellings.suggestion(forPath: path, known: SuggestionTests.known)
        #expect(got.contains(expected), "\(path): \(got)")
    }

    @Test("the diagnostic carries the suggestion, from a cell")
    func throughASession() {
        let s = Session()
        let out = s.run(cell: "A = eye(2)\nnp.linalg.eigh(A)", origin: .cell(1), sink: CollectingSink())
        #expect(out.diagnostics.first?.message == "unknown name `np`")
        #expect(out.diagnostics.first?.help == ["ritz has no modules: write `eigh` for `np.linalg.eigh`"])
        // A user's own `np` is read as usual.
        let own = s.run(cell: "np = (pi=3)\nnp.pi", origin: .cell(2), sink: CollectingSink())
        #expect(own.display == "3")
    }

    @Test("a statement written in Python says what ritz writes", arguments: [
        ("def f(x): return x", "`fn name(a, b=1) { … }`"),
        ("import numpy as np", "builtins go by their bare names"),
        ("fn g() {\n  from numpy import eye\n}", "nothing needs importing"),
        ("print x", "`print(x)`"),
    ])
    func pythonStatements(_ code: String, _ expected: String) {
        let out = Session().run(cell: code, origin: .cell(1), sink: CollectingSink())
        #expect(out.diagnostics.first?.message.hasPrefix("expected end of statement") == true)
        #expect(out.diagnostics.first?.help.first?.contains(expected) == true, "\(out.diagnostics.map { $0.render() })")
    }

    @Test("a dictionary literal says how ritz writes a record; blocks holding a range still run", arguments: [
        ("p = {a: 1, b: 2}", true), ("p = {\"w\": 1}", true), ("p = {\n  w: zeros([2]),\n  b: 1\n}", true),
        ("a = 1\nb = 3\nfn g() { a:b }\ng()", false), ("fn f(n) {\n  0:n\n}\nf(2)", false),
        ("fn h(k) { zeros([k, 2])[0, 0:2] }\nh(2)", false),
    ])
    func dictionaryLiteral(_ code: String, _ refused: Bool) {
        let out = Session().run(cell: code, origin: .cell(1), sink: CollectingSink())
        if refused {
            #expect(out.diagnostics.first?.message == "`{key: value, …}` is not a record: ritz writes records with parentheses, (key=value, …)")
        } else {
            #expect(out.diagnostics.isEmpty, "\(out.diagnostics.map { $0.render() })")
        }
    }

    /// The transpose hint's text for the value `v`.
    static func transposeHelp(_ v: String) -> String {
        "a `'` after a value starts a string in ritz; the transpose is `\(v).T` (or `transpose(\(v))`)"
    }

    @Test("habits of Python, MATLAB, Julia and C get ritz's spelling", arguments: [
        // Python: methods, f-strings, a colon before a body, lambda.
        ("x = ones([2, 2])\nx.mean(axis=0)", "a tensor has no field `mean`",
         "ritz calls functions, not methods: write `mean(x, …)` for `x.mean(…)`"),
        ("x = ones([2, 2])\nx.foo", "a tensor has no field `foo`", "tensor fields: T, shape, real, imag"),
        ("x = 3\nprint(f\"value {x}\")", "ritz has no f-strings", "write format(\"value %g\", x), or \"value \" + string(x)"),
        ("x = 3\nif x == 3: print(x)", "expected `{`, found end of input",
         "a body is written in braces (not after a colon): `if c { … }`, `for i in 0:n { … }`, `fn f(x) { … }`"),
        ("f = lambda x: x ** 2", "expected end of statement, found name `x`", "a lambda is `x -> …` or `(x, y) -> …`"),
        // MATLAB and Julia: the transpose A', for … = …, disp.
        ("A = ones(2, 2)\ny = A'", "unterminated string", transposeHelp("A")),
        ("A = ones(2, 2)\ny = A'*A'", "expected end of statement, found string", transposeHelp("A")),
        ("A = ones(2, 2)\ny = sum(A' * A)", "unterminated string", transposeHelp("A")),
        ("A = ones(2, 2)\ny = (A + A)' * A", "unterminated string", transposeHelp("(…)")),
        ("for i = 1:3\n  print(i)\nend", "expected `in` after `for i`", "a loop is `for i in a:b { … }` (i runs from a to b − 1)"),
        ("disp(3)", "unknown name `disp`", "ritz writes `disp` as `print(x)`"),
        ("x = [1 2 3]", "expected `,`, `;` or `]` in a bracket literal, found number `2`",
         "ritz separates elements with commas, `[1, 2, 3]`, and rows with `;`, `[1, 2; 3, 4]`"),
        ("A = eye(2)\nA \\ ones(2)", "unexpected character `\\`", "ritz solves A x = b with `solve(A, b)` (least squares: `lstsq(A, b)`)"),
        ("x = ones(3)\nx(1)", "a tensor cannot be called", "elements are taken with brackets, counted from 0: `x[0]`, `x[i, j]`"),
        ("~true", "unexpected character `~`", "ritz writes `not x`"),
        // C: increments, logical operators; Python's % formatting.
        ("a = 3\na++", "expected an expression, found end of input", "ritz has no `++`: write `x += 1`"),
        ("a = 3\nprint(a--)", "expected an expression, found `)`", "ritz has no `--`: write `x -= 1`"),
        ("true && false", "unexpected character `&`", "ritz writes `and` (and `or`, `not`)"),
        ("true || false", "unexpected character `|`", "ritz writes `or` (and `and`, `not`)"),
        ("x = true\n!x", "expected an expression, found `!`", "ritz writes `not x` (and `!=` for unequal)"),
        ("\"x = %d\" % 3", "`%` does not apply to a string and a number", "format text with `format(\"x = %g\", x)`"),
    ])
    func foreignHabits(_ code: String, _ message: String, _ help: String) {
        SuggestionTests.expectFirstDiagnostic(code, message, help)
    }

    /// Runs `code` as a cell: its first diagnostic has `message` and, first among its help lines,
    /// `help` (nil: none).
    static func expectFirstDiagnostic(_ code: String, _ message: String, _ help: String?) {
        let out = Session().run(cell: code, origin: .cell(1), sink: CollectingSink())
        #expect(out.diagnostics.first?.message == message)
        #expect(out.diagnostics.first?.help.first == help, "\(out.diagnostics.map { $0.render() })")
    }

    @Test("arguments and subscripts that miss say what was meant: a keyword, the optimizer, a field", arguments: [
        ("split(moons(20, seed=0), 0.8, seed=0)", "`split` takes at most 1 positional argument, got 2",
         "`frac` is given by name, `frac=0.8`, as is every argument the signature shows with `=`"),
        ("sgd(0.1, 0.9)", "`sgd` takes at most 1 positional argument, got 2",
         "`momentum` is given by name, `momentum=0.9`, as is every argument the signature shows with `=`"),
        ("train(mlp([2, 2], seed=0), moons(20, seed=0), lr=0.1)", "unknown keyword argument `lr` for `train`",
         "`lr` belongs to the optimizer: pass `opt` as `sgd(0.1)`, `adam(0.001)`, …"),
        ("d = moons(20, seed=0)\nd[0]", "a dataset cannot be indexed",
         "index one of its fields: x, y, classes, n, features, name, sharded"),
        // Keywords as PyTorch and Hugging Face spell them.
        ("transformer(vocab=10, seq=4, n_layers=1)", "unknown keyword argument `n_layers` for `transformer`", "did you mean `depth`?"),
        ("transformer(vocab=10, seq=4, d_model=8)", "unknown keyword argument `d_model` for `transformer`", "did you mean `width`?"),
        ("sum([1, 2], dim=0)", "unknown keyword argument `dim` for `sum`", "did you mean `axis`?"),
        ("cnn(kernel_size=3)", "unknown keyword argument `kernel_size` for `cnn`", "did you mean `kernel`?"),
        ("train(mlp([2, 2], seed=0), moons(20, seed=0), optimizer=adam(0.01))", "unknown keyword argument `optimizer` for `train`",
         "did you mean `opt`?"),
        // matplotlib's `label` is the legend (not the nearer spelling `xlabel`), and plt a module.
        ("plot([1, 2, 3], label=\"a\")", "unknown keyword argument `label` for `plot`", "did you mean `legend`?"),
        ("plt.plot([1, 2])", "unknown name `plt`", "ritz has no modules: write `plot` for `plt.plot`"),
        ("scatter([1, 2, 3], [1, 2])", "`scatter` pairs x[i] with y[i], but x has 3 values and y 2", nil),
        // PyHessian's spellings.
        ("eigs(op(eye(3)), top_n=2)", "unknown keyword argument `top_n` for `eigs`", "did you mean `k`?"),
        ("slq(op(eye(3)), iter=10)", "unknown keyword argument `iter` for `slq`", "did you mean `steps`?"),
        ("density(1)", "unknown name `density`", "ritz writes `density` as `slq(H)` (the spectral density by stochastic Lanczos quadrature)"),
    ])
    func keywordOnlyArgument(_ code: String, _ message: String, _ help: String?) {
        SuggestionTests.expectFirstDiagnostic(code, message, help)
    }

    @Test("a quoted string after a space or an operator is a string, with no word of transposes")
    func quotedStringsStayStrings() {
        let ok = Session().run(cell: "s = 'it' + \"'s\"\ns", origin: .cell(1), sink: CollectingSink())
        #expect(ok.diagnostics.isEmpty)
        let out = Session().run(cell: "print('a' 'b')", origin: .cell(1), sink: CollectingSink())
        #expect(!out.diagnostics.isEmpty)
        #expect(out.diagnostics.allSatisfy { d in !d.help.contains { $0.contains("transpose") } })
    }

    @Test("a stray `*` names both spellings of a power")
    func strayStar() {
        let out = Session().run(cell: "2 * * 3", origin: .cell(1), sink: CollectingSink())
        #expect(out.diagnostics.first?.help == ["`*` multiplies two values; a power is written `x ^ 2` or `x ** 2`"])
    }

    /// Distances worked by hand (optimal string alignment: a swap of neighbours is one edit,
    /// and no substring is edited twice, so `ca` → `abc` is 3, not the unrestricted 2).
    @Test("Damerau–Levenshtein distance", arguments: [
        ("", "", 0), ("", "abc", 3), ("abc", "", 3), ("abc", "abc", 0), ("ab", "ba", 1),
        ("kitten", "sitting", 3), ("lisnpace", "linspace", 1), ("len", "log", 2), ("ca", "abc", 3),
        ("flaw", "lawn", 2),
    ])
    func distance(_ a: String, _ b: String, _ d: Int) {
        #expect(editDistance(Array(a), Array(b)) == d)
        #expect(editDistance(Array(b), Array(a)) == d)
    }
}
