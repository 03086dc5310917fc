/// Errors of models, datasets, optimizers and training.
public enum LearnError: Error, Equatable, Sendable {
    /// A bad argument value, with a sentence saying what.
    case invalidArgument(String)
    /// Data whose shape does not fit the model, with a sentence saying what.
    case shape(String)
    /// A class label that is not an integer in `0..<classes`.
    case badLabel(index: Int, value: Double, classes: Int)
    /// The bundled digits resource could not be found or read.
    case missingResource(String)
}

extension LearnError: CustomStringConvertible {
    public var description: String {
        switch self {
        case let .invalidArgument(message): return message
        case let .shape(message): return message
        case let .badLabel(index, value, classes):
            return "label \(value) of sample \(index) is not an integer class in 0..<\(classes)"
        case let .missingResource(message): return message
        }
    }
}
