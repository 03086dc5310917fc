/// One plotting area with its own y axis; a figure stacks panels that share the x axis.
public struct Panel: Sendable {
    /// What is drawn, bottom layer first.
    public var layers: [Layer] = []
    /// Horizontal reference lines.
    public var hlines: [ReferenceLine] = []
    /// The label of this panel's y axis (shown at the top left of the panel frame).
    public var ylabel: String = ""
    /// Logarithmic y axis.
    public var logy: Bool = false
    /// Fixed y limits; nil chooses them from the data.
    public var ylim: (lo: Double, hi: Double)?
    /// On a log axis, at most this many decades below the largest value are shown (densities
    /// whose tails fall to 1e-300 would otherwise squash the interesting part).
    public var yDecades: Double?
    /// One unit of x as long as one unit of y on screen (the complex plane).
    public var equalAspect: Bool = false
    /// y grows downward (matrices).
    public var yInverted: Bool = false

    /// Creates an empty panel.
    public init() {}

    /// Creates a panel with layers.
    ///
    /// - Parameters:
    ///   - layers: The layers.
    ///   - ylabel: Its y label.
    public init(layers: [Layer], ylabel: String = "") {
        self.layers = layers
        self.ylabel = ylabel
    }

    /// Whether the panel shows grid data, whose extent fixes the limits exactly.
    var hasGrid: Bool {
        layers.contains { if case .heatmap = $0 { return true }; if case .contour = $0 { return true }; return false }
    }
}
