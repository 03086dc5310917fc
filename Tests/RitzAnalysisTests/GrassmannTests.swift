import Foundation
import Testing
@testable import RitzAnalysis
import RitzTensor

/// Grassmann geometry against scipy.linalg.subspace_angles and exactly constructed angles.
@Suite struct GrassmannTests {
    @Test(arguments: [0, 1, 2])
    func anglesMatchScipy(index: Int) throws {
        let fx = try KoopmanFixtures.load("grassmann/angles.json")
        let c = try #require((fx["cases"] as? [Any])?[index] as? [String: Any])
        let a = try KoopmanFixtures.matrix(c["A"]), b = try KoopmanFixtures.matrix(c["B"])
        let ref = KoopmanFixtures.doubles(c["angles_ascending"])
        let ours = try Grassmann.principalAngles(a, b).angles.storage
        #expect(ours.count == ref.count)
        // Both orthonormalise A and B first: the bases, and so the angles, carry n·ε·(κ(A) + κ(B)).
        let tol = backwardTol(n: a.shape[0], norm: try a.cond() + b.cond())
        for (x, y) in zip(ours, ref) { #expect(abs(x - y) <= tol) }
    }

    @Test func tinyAnglesAreAccurate() throws {
        let fx = KoopmanFixtures.sub(try KoopmanFixtures.load("grassmann/angles.json"), "tiny")
        let u = try KoopmanFixtures.matrix(fx["U"]), v = try KoopmanFixtures.matrix(fx["V"])
        let theta = KoopmanFixtures.doubles(fx["theta"])
        let ours = try Grassmann.principalAngles(u, v).angles.storage
        // Absolute error of a few ulps of 1 (the construction V = U cos θ + W sin θ is itself exact
        // only to that): relative 1e-6 on the 1e-9 angle (a bare arccos gives 0 or ~1.5e-8). The
        // 0.7 angle comes from a cosine near 0.76, where arccos amplifies rounding by 1/sin θ ≈ 1.6,
        // over 12-term inner products: 12·ε·1.6·2 ≈ 1e-14.
        #expect(abs(ours[0] - theta[0]) <= 5 * Double.ulpOfOne)
        #expect(abs(ours[1] - theta[1]) <= 5 * Double.ulpOfOne)
        #expect(abs(ours[2] - theta[2]) <= 45 * Double.ulpOfOne)
    }

    static func randomBasis(_ n: Int, _ p: Int, seed: UInt64) throws -> Tensor {
        var rng = RandomGenerator(seed: seed)
        return try Grassmann.orth(Tensor.randn([n, p], using: &rng)).basis
    }

    @Test func distancesFollowTheirDefinitions() throws {
        let u = try Self.randomBasis(9, 3, seed: 1), v = try Self.randomBasis(9, 3, seed: 2)
        let th = try Grassmann.principalAngles(u, v).angles.storage
        let geo = try Grassmann.distance(u, v, metric: .geodesic).value
        let cho = try Grassmann.distance(u, v, metric: .chordal).value
        let proj = try Grassmann.distance(u, v, metric: .projection).value
        // Each metric against its definition from the same angles or the same projectors: rounding of
        // 9-term products of unit vectors, n·ε ≈ 2e-15, with a few-fold margin (1e-14, 1e-13).
        #expect(abs(geo - th.map { $0 * $0 }.reduce(0, +).squareRoot()) < 1e-14)
        // chordal = ‖UUᵀ − VVᵀ‖_F/√2, projection = ‖UUᵀ − VVᵀ‖₂.
        let diff = try u.matmul(u.T) - v.matmul(v.T)
        #expect(abs(cho - SubspaceMath.frobenius(diff) / 2.0.squareRoot()) < 1e-13)
        let ev = try diff.eigvalsh().storage
        #expect(abs(proj - max(abs(ev[0]), abs(ev[ev.count - 1]))) < 1e-13)
    }

    @Test func logExpRoundTripAndGeodesicArcLength() throws {
        let u = try Self.randomBasis(10, 3, seed: 5), v = try Self.randomBasis(10, 3, seed: 6)
        let (t, _) = try Grassmann.log(u, v)
        // log and exp go through an SVD and arctan/cos/sin of angles ≤ π/2: rounding n·ε·‖T‖ with
        // ‖T‖ ≈ 2, amplified by 1/sin of the largest angle; 1e-12 is about 30·n·ε·‖T‖ (n = 10).
        #expect(SubspaceMath.frobenius(try u.T.matmul(t)) < 1e-12)                    // tangent at U
        let back = try Grassmann.exp(u, t)
        #expect(try Grassmann.principalAngles(back, v).angles.storage.max() ?? 1 < 1e-12)
        let d = try Grassmann.distance(u, v).value
        #expect(abs(SubspaceMath.frobenius(t) - d) < 1e-12)
        for s in [0.25, 0.5, 0.8] {
            let p = try Grassmann.geodesic(u, v, t: s).point
            #expect(abs(try Grassmann.distance(u, p).value - s * d) < 1e-12)
            #expect(abs(try Grassmann.distance(p, v).value - (1 - s) * d) < 1e-12)
        }
    }

    @Test func karcherMeanOfASymmetricPairIsTheMidpoint() throws {
        let u = try Self.randomBasis(8, 2, seed: 11), v = try Self.randomBasis(8, 2, seed: 12)
        let mid = try Grassmann.geodesic(u, v, t: 0.5).point
        let m = try Grassmann.karcherMean([u, v], tol: 1e-12)
        #expect(m.converged)
        // The iteration stops at a gradient norm of 1e-12; the distance to the midpoint is that over
        // the objective's smallest curvature there, which 1e-10 allows down to 1e-2.
        #expect(try Grassmann.principalAngles(m.mean, mid).angles.storage.max() ?? 1 < 1e-10)
        #expect(m.trace.count >= 2 && (m.trace.last ?? 1) <= 1e-12)
    }

    @Test func cutLocusIsAnError() throws {
        let u = try Tensor(rows: [[1], [0], [0]]), v = try Tensor(rows: [[0], [1], [0]])
        #expect(throws: GrassmannError.self) { try Grassmann.log(u, v) }
    }

    @Test func orthWarnsWhenTheRankDrops() throws {
        let a = try Tensor(rows: [[1, 2, 3], [2, 4, 6], [1, 0, 1], [0, 0, 0]])
        let o = try Grassmann.orth(a)
        #expect(o.rank == 2)
        #expect(!o.warnings.isEmpty)
        #expect(try SubspaceMath.orthonormalityError(o.basis) <= backwardTol(n: 4, norm: 1))
    }

    @Test func projectionAndItsNorm() throws {
        let u = try Self.randomBasis(6, 2, seed: 21)
        var rng = RandomGenerator(seed: 22)
        let x = try Tensor.randn([6], using: &rng)
        let p = try Grassmann.project(x, onto: u)
        let again = try Grassmann.project(p, onto: u)
        // Projection is idempotent to the rounding of two 6-term products of a vector of norm ≈ 2:
        // below 1e-14 (and 1e-13 for the norm, which sums the rounding of all entries).
        for (a, b) in zip(p.storage, again.storage) { #expect(abs(a - b) < 1e-14) }
        let pn = try Grassmann.projNorm(x, onto: u).storage[0]
        #expect(abs(pn - (try p.norm())) < 1e-13)
        let rows = try Tensor.stack([x, p])
        let batch = try Grassmann.projNorm(rows, onto: u).storage
        #expect(abs(batch[0] - pn) < 1e-14 && abs(batch[1] - pn) < 1e-13)
    }
}
