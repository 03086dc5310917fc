import RitzTensor

/// The normalisation of a graph Laplacian, with the conventions of NetworkX
/// (`laplacian_matrix`, `normalized_laplacian_matrix`) and PyTorch Geometric (`"rw"`).
///
/// With A the weighted adjacency and D = diag(d), d_i = Σ_j A_ij:
/// * `none`: L = D − A.
/// * `sym`: L = D^-1/2 (D − A) D^-1/2 = I − D^-1/2 A D^-1/2 on non-isolated nodes.
/// * `rw`: L = D^-1 (D − A) = I − D^-1 A on non-isolated nodes.
/// An isolated node (d_i = 0) has a zero row and a zero column in all three (1/0 is taken as 0,
/// as NetworkX does), so it contributes the eigenvalue 0.
public enum LaplacianNorm: String, CaseIterable, Sendable {
    case none, sym, rw

    /// Parses `"none"`, `"sym"` or `"rw"`.
    ///
    /// - Throws: `TensorError.invalidArgument` for any other name.
    public init(name: String) throws {
        guard let v = LaplacianNorm(rawValue: name) else {
            throw TensorError.invalidArgument("laplacian: norm must be \"none\", \"sym\" or \"rw\", got \"\(name)\"")
        }
        self = v
    }
}
