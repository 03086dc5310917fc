import Foundation
import Testing
@testable import RitzLearn
import RitzTensor

@Suite struct DatasetTests {
    /// Without noise every moon point lies on its half circle, as in scikit-learn's make_moons.
    @Test(arguments: [10, 11, 200])
    func moonsLieOnTheirHalfCircles(n: Int) throws {
        let d = try Dataset.moons(n: n, noise: 0, seed: 3)
        #expect(d.x.shape == [n, 2])
        #expect(d.classes == 2)
        var counts = [0, 0]
        // Points cos t, sin t of unit circles: |x² + y² − 1| is a few ulps (≈ 1e-16); 1e-12 is loose
        // on purpose, it tells a circle from a noisy one (noise 0 here).
        for i in 0..<n {
            let (a, b, c) = (d.x.storage[2 * i], d.x.storage[2 * i + 1], Int(d.y.storage[i]))
            counts[c] += 1
            if c == 0 {
                #expect(abs(a * a + b * b - 1) < 1e-12 && b >= -1e-12)
            } else {
                #expect(abs((a - 1) * (a - 1) + (b - 0.5) * (b - 0.5) - 1) < 1e-12 && b <= 0.5 + 1e-12)
            }
        }
        #expect(counts == [n / 2, n - n / 2])
    }

    @Test func circlesHaveTheirRadii() throws {
        let d = try Dataset.circles(n: 101, noise: 0, factor: 0.3, seed: 1)
        for i in 0..<101 {
            let r = (d.x.storage[2 * i] * d.x.storage[2 * i] + d.x.storage[2 * i + 1] * d.x.storage[2 * i + 1]).squareRoot()
            #expect(abs(r - (d.y.storage[i] == 0 ? 1 : 0.3)) < 1e-12)   // a few ulps of r ≤ 1, loosely
        }
        #expect(d.y.storage.filter { $0 == 1 }.count == 51)
    }

    @Test func noiseHasTheRequestedSpread() throws {
        let clean = try Dataset.moons(n: 4000, noise: 0, seed: 5)
        let noisy = try Dataset.moons(n: 4000, noise: 0.1, seed: 5)
        // Compare each noisy point's distance to its moon's circle with the noise level.
        var sq = 0.0
        for i in 0..<4000 {
            let (a, b) = (noisy.x.storage[2 * i], noisy.x.storage[2 * i + 1])
            let r = noisy.y.storage[i] == 0 ? (a * a + b * b).squareRoot() : ((a - 1) * (a - 1) + (b - 0.5) * (b - 0.5)).squareRoot()
            sq += (r - 1) * (r - 1)
        }
        // The radial component of isotropic noise has standard deviation 0.1 (to first order).
        let rms = (sq / 4000).squareRoot()
        #expect(rms > 0.085 && rms < 0.115, "radial rms \(rms)")
        #expect(clean.count == noisy.count)
    }

    @Test func blobsAreCenteredInTheBox() throws {
        let d = try Dataset.blobs(n: 3001, centers: 3, dim: 4, std: 0.5, seed: 2)
        #expect(d.x.shape == [3001, 4] && d.classes == 3)
        for c in 0..<3 {
            let rows = (0..<3001).filter { d.y.storage[$0] == Double(c) }
            #expect(rows.count == (c == 0 ? 1001 : 1000))
            for j in 0..<4 {
                let mean = rows.reduce(0.0) { $0 + d.x.storage[$1 * 4 + j] } / Double(rows.count)
                let sd = (rows.reduce(0.0) { $0 + pow(d.x.storage[$1 * 4 + j] - mean, 2) } / Double(rows.count)).squareRoot()
                #expect(mean > -10.1 && mean < 10.1)
                // Sampling error of a standard deviation over 1000 rows: 0.5/√2000 ≈ 0.011; 0.05 is 4.5σ.
                #expect(abs(sd - 0.5) < 0.05)
            }
        }
    }

    @Test func spiralsHaveOneArmPerClass() throws {
        let d = try Dataset.spirals(n: 301, classes: 4, noise: 0.1, seed: 9)
        #expect(d.classes == 4 && d.count == 301)
        let counts = (0..<4).map { c in d.y.storage.filter { $0 == Double(c) }.count }
        #expect(counts == [76, 75, 75, 75])
        for i in 0..<301 {
            let r = (d.x.storage[2 * i] * d.x.storage[2 * i] + d.x.storage[2 * i + 1] * d.x.storage[2 * i + 1]).squareRoot()
            #expect(r < 1)
        }
    }

    /// teacher targets equal the teacher network evaluated with scalar libm arithmetic.
    @Test func teacherTargetsComeFromTheTeacherNetwork() throws {
        let d = try Dataset.teacher(n: 20, dim: 3, hidden: 5, seed: 4)
        #expect(d.classes == 0 && d.y.shape == [20, 1])
        let net = try MLP(sizes: [3, 5, 1], activation: .tanh, seed: 5)
        let p = net.parameters
        for i in 0..<20 {
            var out = p[20 + 5]
            for h in 0..<5 {
                var z = p[15 + h]
                for j in 0..<3 { z += p[h * 3 + j] * d.x.storage[i * 3 + j] }
                out += p[20 + h] * tanh(z)
            }
            // The same 3-term sums and tanh as the generator, values ≲ 5: a few ulps (1e-14 ≈ 10ε·5).
            #expect(abs(out - d.y.storage[i]) < 1e-14)
        }
    }

    @Test(arguments: ["moons", "circles", "spirals", "blobs", "teacher"])
    func generatorsAreDeterministicForASeed(name: String) throws {
        func make(_ seed: UInt64) throws -> Dataset {
            switch name {
            case "moons": return try .moons(n: 50, noise: 0.2, seed: seed)
            case "circles": return try .circles(n: 50, noise: 0.1, seed: seed)
            case "spirals": return try .spirals(n: 50, seed: seed)
            case "blobs": return try .blobs(n: 50, seed: seed)
            default: return try .teacher(n: 50, seed: seed)
            }
        }
        let a = try make(7), b = try make(7), c = try make(8)
        #expect(a.x == b.x && a.y == b.y)
        #expect(a.x != c.x)
    }

    /// The bundled digits: 1797 × 64 in [0, 1], scikit-learn's class counts, and the first row of
    /// the CSV divided by 16 — also when the working directory is elsewhere.
    @Test func digitsLoadFromTheBundle() throws {
        let saved = FileManager.default.currentDirectoryPath
        _ = FileManager.default.changeCurrentDirectoryPath(NSTemporaryDirectory())
        defer { _ = FileManager.default.changeCurrentDirectoryPath(saved) }
        let d = try Dataset.digits()
        #expect(d.x.shape == [1797, 64] && d.classes == 10)
        #expect(d.x.storage.allSatisfy { $0 >= 0 && $0 <= 1 })
        let counts = (0..<10).map { c in d.y.storage.filter { $0 == Double(c) }.count }
        #expect(counts == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180])
        let first: [Double] = [0, 0, 5, 13, 9, 1, 0, 0, 0, 0, 13, 15, 10, 15, 5, 0]
        #expect(Array(d.x.storage[0..<16]) == first.map { $0 / 16 })
        #expect(d.y.storage[0] == 0)
    }

    @Test func splitPartitionsTheSamples() throws {
        let d = try Dataset.blobs(n: 103, seed: 1)
        let (train, test) = try d.split(frac: 0.75, seed: 4)
        #expect(train.count == 77 && test.count == 26)
        // Every sample lands in exactly one part: compare multisets of rows.
        func rows(_ s: Dataset) -> [[Double]] { (0..<s.count).map { Array(s.x.storage[(2 * $0)..<(2 * $0 + 2)]) + [s.y.storage[$0]] } }
        let all = (rows(train) + rows(test)).sorted { $0.lexicographicallyPrecedes($1) }
        #expect(all == rows(d).sorted { $0.lexicographicallyPrecedes($1) })
        let again = try d.split(frac: 0.75, seed: 4)
        #expect(again.train.x == train.x)
        #expect(throws: LearnError.self) { try d.split(frac: 1) }
        #expect(throws: LearnError.self) { try Dataset.moons(n: 1) }
        #expect(throws: LearnError.self) { try Dataset.circles(n: 10, factor: 1.5) }
        #expect(throws: LearnError.self) { try Dataset(x: try Tensor.zeros([3, 2]), y: Tensor([0, 1.5, 1]), classes: 2) }
        // Non-integer targets without `classes` are regression targets.
        #expect(try Dataset(x: try Tensor.zeros([3, 2]), y: Tensor([0, 1.5, 1])).classes == 0)
    }
}
