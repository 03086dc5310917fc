import Foundation
import Testing
@testable import RitzLang

/// Every registry entry's examples run without error, and arity/keyword checks come from it.
@Suite struct RegistryTests {
    static let names = BuiltinRegistry.standard().names

    @Test("example runs", arguments: names)
    func example(_ name: String) throws {
        let session = Session(seed: 1)
        let entry = try #require(session.registry.entry(name))
        #expect(!entry.examples.isEmpty, "\(name) has no example")
        #expect(!entry.summary.isEmpty)
        for ex in entry.examples {
            let out = session.run(cell: ex, origin: .cell(1), sink: CollectingSink())
            #expect(out.status == .ok, "\(name): \(ex) → \(out.diagnostics.map { $0.render() })")
        }
    }

    @Test func specGroupsAreRegistered() {
        let required = """
        zeros ones full eye arange linspace rand randn seed diag shape size ndims reshape flatten transpose concat stack copy
        exp log log1p sqrt abs sign floor ceil round sin cos tan tanh sigmoid relu gelu softplus clip maximum minimum where isnan isfinite
        sum mean max min argmax argmin prod std var cumsum norm dot outer kron trace logsumexp softmax
        inv det solve lstsq pinv rank cholesky qr svd eigh eig expm cond
        real imag conj angle fft ifft rfft irfft fftfreq periodogram load save
        help who time clock clear print format string
        """.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
        let registry = BuiltinRegistry.standard()
        for n in required { #expect(registry.entry(n) != nil, "missing builtin \(n)") }
    }

    @Test func helpComesFromTheRegistry() throws {
        let s = Session()
        let text = try #require(s.help("linspace"))
        #expect(text.hasPrefix("linspace(a, b, n)\n  n evenly spaced numbers"))
        #expect(s.complete(prefix: "lins") == ["linspace"])
    }
}

/// Each entry's `differentiation` is declared on purpose: the differentiable and constant sets
/// are listed here, so an entry that gains or loses a rule must be reflected in this table.
@Suite struct DifferentiationDeclarationTests {
    static let differentiable: Set<String> = """
    exp log log1p sqrt abs sin cos tan tanh sigmoid relu gelu softplus clip maximum minimum where
    sum mean max min prod std var cumsum logsumexp softmax norm dot outer kron trace
    inv det solve eigh expm reshape flatten transpose concat stack copy
    linear cross_entropy mse take layernorm dropout einsum attention conv1d conv2d maxpool2d avgpool2d
    """.split(whereSeparator: { $0 == " " || $0 == "\n" }).reduce(into: Set<String>()) { $0.insert(String($1)) }

    static let constant: Set<String> = """
    sign floor ceil round isnan isfinite argmax argmin any all zeros ones shape size ndims print format string onehot len typeof
    display clear_output
    """.split(whereSeparator: { $0 == " " || $0 == "\n" }).reduce(into: Set<String>()) { $0.insert(String($1)) }

    static let transforms: Set<String> = ["grad", "value_and_grad", "jacobian", "hessian", "hvp", "jvp"]

    static let passThrough: Set<String> = ["enumerate", "zip"]

    @Test func everyEntryDeclaresHowItDifferentiates() {
        var rules = Set<String>(), constants = Set<String>(), transformsFound = Set<String>(), passing = Set<String>()
        for e in BuiltinRegistry.standard().entries {
            switch e.differentiation {
            case .rule: rules.insert(e.name)
            case .constant: constants.insert(e.name)
            case .transform: transformsFound.insert(e.name)
            case .passesThrough: passing.insert(e.name)
            case .notDifferentiable: break
            }
        }
        #expect(rules == Self.differentiable, "unexpected: \(rules.subtracting(Self.differentiable)), missing: \(Self.differentiable.subtracting(rules))")
        #expect(constants == Self.constant, "unexpected: \(constants.subtracting(Self.constant)), missing: \(Self.constant.subtracting(constants))")
        #expect(transformsFound == Self.transforms)
        #expect(passing == Self.passThrough)
    }

    @Test func helpShowsIt() throws {
        let s = Session()
        #expect(try #require(s.help("exp")).contains("differentiable: yes (reverse and forward mode)"))
        #expect(try #require(s.help("floor")).contains("differentiable: constant"))
        #expect(try #require(s.help("lstsq")).contains("differentiable: no"))
        #expect(try #require(s.help("grad")).contains("differentiable: transform"))
    }

    /// A builtin declared differentiable computes the same value traced as untraced.
    @Test("traced and plain agree", arguments: [
        ("reshape(x, [2, 2])", "reshape"), ("reshape(x, 2, 2)", "reshape"), ("transpose(reshape(x, 2, 2), perm=[1, 0])", "transpose"),
        ("softmax(x, axis=0)", "softmax"), ("norm(x, 1)", "norm"), ("clip(x, 1.5, 3)", "clip"),
    ])
    func tracedAgrees(_ expr: String, _ name: String) {
        let session = Session(seed: 1)
        let plain = session.run(cell: "x = [1, 2, 3, 4]\nsum(\(expr) * 1)", origin: .cell(1), sink: CollectingSink())
        let traced = session.run(cell: "value_and_grad(x -> sum(\(expr) * 1))([1, 2, 3, 4]).value", origin: .cell(2), sink: CollectingSink())
        #expect(plain.status == .ok && traced.status == .ok, "\(name): \(plain.diagnostics.map { $0.render() }) \(traced.diagnostics.map { $0.render() })")
        #expect(plain.display == traced.display, "\(name)")
    }
}
