/// The training objective of an ``MLP``: a mean over the samples of a batch.
///
/// * `crossEntropy` ("ce"): mean over samples of −log softmax(z)_y for integer labels y,
///   computed stably as logsumexp(z) − z_y (logsumexp with the row maximum subtracted).
/// * `mse`: PyTorch's `MSELoss` with mean reduction: Σ (z − t)² / (n·k) over all n·k outputs.
///   Targets t are the rows of y, or, when y holds integer labels and the model has k > 1
///   outputs, their one-hot codes.
public enum LossKind: String, Sendable, CaseIterable {
    case crossEntropy = "ce"
    case mse

    /// Parses `"ce"` (also `"cross_entropy"`) or `"mse"`.
    ///
    /// - Parameters:
    ///   - name: The loss's name in the language.
    /// - Throws: `LearnError.invalidArgument` for another name.
    public init(name: String) throws {
        switch name {
        case "ce", "cross_entropy", "crossentropy": self = .crossEntropy
        case "mse": self = .mse
        default: throw LearnError.invalidArgument("unknown loss \"\(name)\"; expected \"ce\" or \"mse\"")
        }
    }
}
