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
