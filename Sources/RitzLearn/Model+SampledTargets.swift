import Foundation
import RitzTensor

/// `samples` targets per example drawn from the model's predictive distribution, example-major
/// (example i's draws are entries i·samples ..< (i + 1)·samples), each with a leading axis of 1.
///
/// Cross-entropy: ŷ ~ softmax(f(xᵢ)) at each labelled position. Mean squared error over m
/// outputs per example, ℓ = ‖f(x) − y‖²/m, is the negative log-likelihood of y ~ N(f(x), (m/2)·I)
/// up to a constant, so ŷ = f(xᵢ) + √(m/2)·ε with ε standard normal. With these conventions the
/// expected outer product of the drawn loss gradients is the Gauss–Newton matrix.
///
/// - Parameters:
///   - model: The model.
///   - x: Inputs, examples along the first axis.
///   - loss: The loss.
///   - samples: Draws per example.
///   - seed: Seed of the draws.
/// - Returns: (example row, target) pairs.
/// - Throws: `TensorError.invalidArgument` for outputs without one row per example or a class axis
///   below 2 for cross-entropy; errors of the model.
public func sampledTargets(model: any Model, x: Tensor, loss: LossKind, samples: Int, seed: UInt64) throws -> [(row: Int, y: Tensor)] {
    try sampledTargets(outputs: try model.predict(x).asFloat(), examples: x.shape.first ?? 0, loss: loss, samples: samples, seed: seed)
}

/// ``sampledTargets(model:x:loss:samples:seed:)`` from outputs the model already computed
/// (the same draws for the same outputs and seed).
///
/// - Parameters:
///   - z: The model's outputs on the n examples, examples along the first axis.
///   - n: Examples.
///   - loss: The loss.
///   - samples: Draws per example.
///   - seed: Seed of the draws.
/// - Returns: (example row, target) pairs.
/// - Throws: `TensorError.invalidArgument` for outputs without one row per example or a class axis
///   below 2 for cross-entropy.
public func sampledTargets(outputs z: Tensor, examples n: Int, loss: LossKind, samples: Int, seed: UInt64) throws -> [(row: Int, y: Tensor)] {
    guard z.ndim >= 2, z.shape[0] == n, z.count > 0 else {
        throw TensorError.invalidArgument("the Monte-Carlo Fisher needs outputs with one row per example, got shape \(formatShape(z.shape))")
    }
    let perExample = z.count / n
    var rng = RandomGenerator(seed: seed)
    var targets: [(row: Int, y: Tensor)] = []
    targets.reserveCapacity(n * samples)
    switch loss {
    case .crossEntropy:
        guard let classes = z.shape.last, classes >= 2 else {
            throw TensorError.invalidArgument("cross-entropy needs outputs with a class axis of at least 2")
        }
        let positions = perExample / classes
        let shape = [1] + Array(z.shape.dropFirst().dropLast())
        for i in 0..<n {
            for _ in 0..<samples {
                var labels = [Double](repeating: 0, count: positions)
                for p in 0..<positions {
                    let base = i * perExample + p * classes
                    let row = z.storage[base..<(base + classes)]
                    let top = row.max() ?? 0
                    let weights = row.map { Foundation.exp($0 - top) }
                    var u = rng.uniform() * weights.reduce(0, +)
                    var label = classes - 1
                    for (c, w) in weights.enumerated() {
                        if u < w { label = c; break }
                        u -= w
                    }
                    labels[p] = Double(label)
                }
                targets.append((row: i, y: try Tensor(shape: shape, storage: labels)))
            }
        }
    case .mse:
        let sigma = (Double(perExample) / 2).squareRoot()
        let shape = [1] + Array(z.shape.dropFirst())
        for i in 0..<n {
            for _ in 0..<samples {
                let mean = z.storage[(i * perExample)..<((i + 1) * perExample)]
                targets.append((row: i, y: try Tensor(shape: shape, storage: mean.map { $0 + sigma * rng.normal() })))
            }
        }
    }
    return targets
}
