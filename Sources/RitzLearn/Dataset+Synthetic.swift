import Foundation
import RitzTensor

/// Synthetic data sets, deterministic for a seed (one ``RitzTensor/RandomGenerator`` per call).
extension Dataset {
    /// Two interleaving half circles, labels 0 (upper moon) and 1 (lower moon).
    ///
    /// Follows scikit-learn's `make_moons`: ⌊n/2⌋ points on the outer half circle
    /// (cos t, sin t), t evenly spaced on [0, π], the remaining points on the inner one
    /// (1 − cos t, 1 − sin t − ½); Gaussian noise of standard deviation `noise` on every
    /// coordinate; samples shuffled. As there, the default noise is 0.
    ///
    /// - Parameters:
    ///   - n: Number of samples (at least 2).
    ///   - noise: Standard deviation of the added noise (≥ 0).
    ///   - seed: Seed.
    /// - Returns: A 2-feature, 2-class data set.
    /// - Throws: `LearnError.invalidArgument` for n < 2 or negative noise.
    public static func moons(n: Int, noise: Double = 0, seed: UInt64 = 0) throws -> Dataset {
        try checkCount(n, minimum: 2, "moons")
        try checkNoise(noise)
        let nOut = n / 2, nIn = n - nOut
        var points = [(Double, Double, Double)]()
        for i in 0..<nOut {
            let t = nOut > 1 ? Double.pi * Double(i) / Double(nOut - 1) : 0
            points.append((cos(t), sin(t), 0))
        }
        for i in 0..<nIn {
            let t = nIn > 1 ? Double.pi * Double(i) / Double(nIn - 1) : 0
            points.append((1 - cos(t), 1 - sin(t) - 0.5, 1))
        }
        return try finish(points, noise: noise, seed: seed, classes: 2, name: "moons")
    }

    /// A large circle containing a smaller one, labels 0 (outer) and 1 (inner).
    ///
    /// Follows scikit-learn's `make_circles`: ⌊n/2⌋ points evenly spaced on the unit circle
    /// (angles 2πi/m, the end point excluded), the rest on the circle of radius `factor`;
    /// Gaussian noise of standard deviation `noise`; samples shuffled; default factor 0.8 and
    /// noise 0 as there.
    ///
    /// - Parameters:
    ///   - n: Number of samples (at least 2).
    ///   - noise: Standard deviation of the noise.
    ///   - factor: Radius of the inner circle, in [0, 1).
    ///   - seed: Seed.
    /// - Returns: A 2-feature, 2-class data set.
    /// - Throws: `LearnError.invalidArgument` for bad arguments.
    public static func circles(n: Int, noise: Double = 0, factor: Double = 0.8, seed: UInt64 = 0) throws -> Dataset {
        try checkCount(n, minimum: 2, "circles")
        try checkNoise(noise)
        guard factor >= 0, factor < 1 else { throw LearnError.invalidArgument("circles factor must be in [0, 1), got \(factor)") }
        let nOut = n / 2, nIn = n - nOut
        var points = [(Double, Double, Double)]()
        for i in 0..<nOut {
            let t = 2 * Double.pi * Double(i) / Double(nOut)
            points.append((cos(t), sin(t), 0))
        }
        for i in 0..<nIn {
            let t = 2 * Double.pi * Double(i) / Double(nIn)
            points.append((factor * cos(t), factor * sin(t), 1))
        }
        return try finish(points, noise: noise, seed: seed, classes: 2, name: "circles")
    }

    /// Interleaved spiral arms, one class per arm.
    ///
    /// Arm c of K has m points (the first n mod K arms one more) at radius r = j/m,
    /// j = 0..<m, and angle θ = 2πc/K + 4r + noise·z with z standard normal, i.e.
    /// (r sin θ, r cos θ); samples shuffled. (scikit-learn has no spiral generator; this is
    /// the common construction of two-dimensional spiral benchmarks.)
    ///
    /// - Parameters:
    ///   - n: Number of samples (at least `classes`).
    ///   - classes: Number of arms (at least 2).
    ///   - noise: Standard deviation of the angular noise.
    ///   - seed: Seed.
    /// - Returns: A 2-feature data set with `classes` classes.
    /// - Throws: `LearnError.invalidArgument` for bad arguments.
    public static func spirals(n: Int, classes: Int = 3, noise: Double = 0.2, seed: UInt64 = 0) throws -> Dataset {
        guard classes >= 2 else { throw LearnError.invalidArgument("spirals needs at least 2 classes, got \(classes)") }
        try checkCount(n, minimum: classes, "spirals")
        try checkNoise(noise)
        var rng = RandomGenerator(seed: seed)
        var points = [(Double, Double, Double)]()
        for c in 0..<classes {
            let m = n / classes + (c < n % classes ? 1 : 0)
            for j in 0..<m {
                let r = Double(j) / Double(m)
                let theta = 2 * Double.pi * Double(c) / Double(classes) + 4 * r + noise * rng.normal()
                points.append((r * sin(theta), r * cos(theta), Double(c)))
            }
        }
        return try finish(points, noise: 0, seed: seed &+ 1, classes: classes, name: "spirals")
    }

    /// Isotropic Gaussian blobs, one class per center.
    ///
    /// Follows scikit-learn's `make_blobs`: centers uniform in the box [−10, 10]^dim, standard
    /// deviation `std` (1.0 by default, scikit-learn's `cluster_std`), the samples divided
    /// equally among the centers with the first n mod centers getting one more, shuffled.
    ///
    /// - Parameters:
    ///   - n: Number of samples (at least `centers`).
    ///   - centers: Number of clusters (at least 1; scikit-learn's default is 3).
    ///   - dim: Number of features.
    ///   - std: Standard deviation of each cluster.
    ///   - seed: Seed.
    /// - Returns: A `dim`-feature data set with `centers` classes.
    /// - Throws: `LearnError.invalidArgument` for bad arguments.
    public static func blobs(n: Int, centers: Int = 3, dim: Int = 2, std: Double = 1, seed: UInt64 = 0) throws -> Dataset {
        guard centers >= 1 else { throw LearnError.invalidArgument("blobs needs at least 1 center, got \(centers)") }
        guard dim >= 1 else { throw LearnError.invalidArgument("blobs dim must be at least 1, got \(dim)") }
        try checkCount(n, minimum: centers, "blobs")
        try checkNoise(std)
        try AllocationLimit.check(elements: n &* dim)
        var rng = RandomGenerator(seed: seed)
        let mu = (0..<(centers * dim)).map { _ in -10 + 20 * rng.uniform() }
        var rows = [[Double]](), labels = [Double]()
        for c in 0..<centers {
            let m = n / centers + (c < n % centers ? 1 : 0)
            for _ in 0..<m {
                rows.append((0..<dim).map { mu[c * dim + $0] + std * rng.normal() })
                labels.append(Double(c))
            }
        }
        return try shuffled(rows: rows, labels: labels, rng: &rng, classes: centers, name: "blobs")
    }

    /// Regression targets from a random "teacher" network.
    ///
    /// Inputs are standard normal in `dim` dimensions; targets are the outputs of an
    /// ``MLP`` of sizes [dim, hidden, 1] with tanh, initialised as every ritz MLP (LeCun
    /// normal) from `seed + 1`, plus Gaussian noise of standard deviation `noise`.
    ///
    /// - Parameters:
    ///   - n: Number of samples (≥ 1).
    ///   - dim: Input dimension.
    ///   - hidden: Hidden width of the teacher.
    ///   - noise: Standard deviation of the target noise.
    ///   - seed: Seed.
    /// - Returns: A regression data set (`classes == 0`, `y` of shape n × 1).
    /// - Throws: `LearnError.invalidArgument` for bad arguments.
    public static func teacher(n: Int, dim: Int = 2, hidden: Int = 16, noise: Double = 0, seed: UInt64 = 0) throws -> Dataset {
        try checkCount(n, minimum: 1, "teacher")
        try checkNoise(noise)
        guard dim >= 1, hidden >= 1 else { throw LearnError.invalidArgument("teacher dim and hidden must be at least 1") }
        var rng = RandomGenerator(seed: seed)
        let x = try Tensor.randn([n, dim], using: &rng)
        let net = try MLP(sizes: [dim, hidden, 1], activation: .tanh, seed: seed &+ 1)
        var y = try net.predict(x)
        if noise > 0 { y = try Tensor(shape: [n, 1], storage: y.storage.map { $0 + noise * rng.normal() }) }
        return Dataset(unchecked: x, y: y, classes: 0, name: "teacher")
    }

    // MARK: - Helpers

    static func checkCount(_ n: Int, minimum: Int, _ name: String) throws {
        guard n >= minimum else { throw LearnError.invalidArgument("\(name) needs at least \(minimum) samples, got \(n)") }
        try AllocationLimit.check(elements: n)
    }

    static func checkNoise(_ s: Double) throws {
        guard s >= 0, s.isFinite else { throw LearnError.invalidArgument("noise must be a finite number ≥ 0, got \(s)") }
    }

    /// Adds noise to 2-d points, shuffles them and builds the data set.
    static func finish(_ points: [(Double, Double, Double)], noise: Double, seed: UInt64, classes: Int,
                       name: String) throws -> Dataset {
        var rng = RandomGenerator(seed: seed)
        var rows = [[Double]](), labels = [Double]()
        for (a, b, c) in points {
            rows.append(noise > 0 ? [a + noise * rng.normal(), b + noise * rng.normal()] : [a, b])
            labels.append(c)
        }
        return try shuffled(rows: rows, labels: labels, rng: &rng, classes: classes, name: name)
    }

    static func shuffled(rows: [[Double]], labels: [Double], rng: inout RandomGenerator, classes: Int,
                         name: String) throws -> Dataset {
        let perm = rng.permutation(rows.count)
        let d = rows.first?.count ?? 0
        var xs = [Double](), ys = [Double]()
        xs.reserveCapacity(rows.count * d)
        for i in perm { xs += rows[i]; ys.append(labels[i]) }
        return Dataset(unchecked: try Tensor(shape: [rows.count, d], storage: xs),
                       y: try Tensor(shape: [ys.count], storage: ys, dtype: .int64), classes: classes, name: name)
    }
}
