import Testing
@testable import RitzLang
@testable import RitzLearn
import RitzTensor

/// A model's function of fixed form — dense layers and activations of its parameters and inputs
/// — replays its training steps; any other is recorded every step. A replayed step gives the
/// bytes of a recorded one.
@Suite struct StaticNetworkTests {
    static let parameters = "(w=randn(8, 64, seed=1) / 8, b=zeros(8), v=randn(10, 8, seed=2) / 3, c=zeros(10))"

    /// The model `m` made by `code` in a fresh session, which the caller keeps while it uses the
    /// model (the model's function belongs to it).
    static func model(_ code: String) throws -> (Session, FunctionModel) {
        let session = Session()
        let out = session.run(cell: code, origin: .cell(1), sink: CollectingSink())
        #expect(out.diagnostics.isEmpty, "\(out.diagnostics.map { $0.render() })")
        guard case let .object(o)? = session.value(of: "m"), let m = (o as? ModelObject)?.model as? FunctionModel else {
            throw TensorError.invalidArgument("no model")
        }
        return (session, m)
    }

    @Test(arguments: [
        ("m = model((p, x) -> tanh(x @ p.w.T + p.b) @ p.v.T + p.c, P)", true),
        ("m = model((p, x) -> -(relu(x @ p.w.T + p.b) @ p.v.T) + p.c * 2, P)", true),
        ("fn net(q, inputs) { return gelu(inputs @ q.w.T + q.b) @ q.v.T + q.c }\nm = model(net, P)", true),
        // Work on the inputs alone would be recorded as a constant made from the first batch.
        ("m = model((p, x) -> tanh((x / 16) @ p.w.T + p.b) @ p.v.T + p.c, P)", false),
        ("m = model((p, x) -> tanh(x.T.T @ p.w.T + p.b) @ p.v.T + p.c, P)", false),
        // A branch, a call of anything but a fused activation, a global, a comparison.
        ("m = model((p, x) -> if p.c[0] > 0 { x @ p.w.T @ p.v.T } else { x @ p.w.T @ p.v.T }, P)", false),
        ("m = model((p, x) -> softplus(x @ p.w.T + p.b) @ p.v.T + p.c, P)", false),
        ("s = 2\nm = model((p, x) -> tanh(x @ p.w.T + p.b) @ p.v.T + s, P)", false),
        ("m = model((p, x) -> (tanh(x @ p.w.T + p.b) > 0) @ p.v.T + p.c, P)", false),
        ("m = model((p, x) -> print(tanh(x @ p.w.T + p.b)) @ p.v.T + p.c, P)", false),
        // A parameter named like an activation.
        ("m = model((tanh, x) -> tanh(x @ tanh.w.T + tanh.b) @ tanh.v.T + tanh.c, P)", false),
    ])
    func functionsOfFixedFormReplay(code: String, replays: Bool) throws {
        let (session, m) = try Self.model("P = \(Self.parameters)\n" + code)
        #expect(m.recordingIsReplayable == replays)
        withExtendedLifetime(session) {}
    }

    /// An activation rebound after the model was made: the function is no longer of fixed form.
    @Test func reboundActivationsEndTheReplay() throws {
        let session = Session()
        _ = session.run(cell: "P = \(Self.parameters)\nm = model((p, x) -> tanh(x @ p.w.T + p.b) @ p.v.T + p.c, P)",
                        origin: .cell(1), sink: CollectingSink())
        guard case let .object(o)? = session.value(of: "m"), let m = (o as? ModelObject)?.model else {
            Issue.record("no model")
            return
        }
        #expect((m as? FunctionModel)?.recordingIsReplayable == true)
        _ = session.run(cell: "tanh = z -> z", origin: .cell(2), sink: CollectingSink())
        #expect((m as? FunctionModel)?.recordingIsReplayable == false)
    }

    /// SGD by hand on minibatches of 32 digits through an evaluation kept across steps (which
    /// replays from its second step) and a fresh one each step: loss and gradient agree bit for bit.
    @Test func replayedStepsOfAUserFunctionMatchRecordedOnes() throws {
        let data = try Dataset.digits()
        var rng = RandomGenerator(seed: 4)
        let batches = (0..<5).map { _ in Array(rng.permutation(data.count).prefix(32)) }
        func run(keep: Bool) throws -> (values: [(Double, [Double])], replayed: [Bool]) {
            let (session, m) = try Self.model("P = \(Self.parameters)\nm = model((p, x) -> tanh(x @ p.w.T + p.b) @ p.v.T + p.c, P)")
            defer { withExtendedLifetime(session) {} }
            let kept = FunctionModelEvaluation()
            var values: [(Double, [Double])] = [], replayed: [Bool] = []
            var g = [Double]()
            for rows in batches {
                let e = keep ? kept : FunctionModelEvaluation()
                try e.prepare(model: m, data: data, rows: rows[...], loss: .crossEntropy, withGradient: true)
                try e.gradient(into: &g)
                values.append((e.loss, g))
                replayed.append(e.replayedBatch)
                for i in m.parameters.indices { m.parameters[i] -= 0.2 * g[i] }
            }
            return (values, replayed)
        }
        let (a, b) = (try run(keep: true), try run(keep: false))
        #expect(a.replayed == [false, true, true, true, true] && !b.replayed.contains(true))
        for (x, y) in zip(a.values, b.values) {
            #expect(x.0.bitPattern == y.0.bitPattern && x.1.map(\.bitPattern) == y.1.map(\.bitPattern))
        }
    }
}
