import Foundation
import RitzTensor

extension Dataset {
    /// The 8×8 handwritten digits: 1797 samples of 64 pixels, 10 classes.
    ///
    /// Read from the CSV bundled with ritz (`Resources/digits.csv`, found through the module's
    /// resource bundle, so it works from any working directory; provenance in
    /// `Resources/DIGITS.md`: the UCI "Optical Recognition of Handwritten Digits" test set,
    /// Alpaydin & Kaynak 1998, CC BY 4.0, as shipped by scikit-learn). Pixel counts 0…16 are
    /// divided by 16, so `x` lies in [0, 1]; `y` holds the digit 0…9.
    ///
    /// - Returns: The data set (parsed once per process, then copied from a cache).
    /// - Throws: `LearnError.missingResource` when the resource cannot be found or parsed.
    public static func digits() throws -> Dataset {
        try DigitsCache.shared.load()
    }

    /// Parses the digits CSV: rows of 64 pixel values and a label.
    static func parseDigits(_ text: String, source: String) throws -> Dataset {
        var xs = [Double](), ys = [Double]()
        xs.reserveCapacity(1797 * 64)
        var row = 0
        for line in text.split(whereSeparator: \.isNewline) where !line.isEmpty {
            let fields = line.split(separator: ",")
            guard fields.count == 65 else {
                throw LearnError.missingResource("\(source): line \(row + 1) has \(fields.count) fields, expected 65")
            }
            for (j, f) in fields.enumerated() {
                guard let v = Double(f.trimmingCharacters(in: .whitespaces)) else {
                    throw LearnError.missingResource("\(source): line \(row + 1), field \(j + 1) is not a number")
                }
                if j < 64 { xs.append(v / 16) } else { ys.append(v) }
            }
            row += 1
        }
        guard row > 0 else { throw LearnError.missingResource("\(source) is empty") }
        return try Dataset(x: try Tensor(shape: [row, 64], storage: xs), y: Tensor(ys), classes: 10, name: "digits")
    }
}

/// Parses the bundled digits once per process.
final class DigitsCache: @unchecked Sendable {
    static let shared = DigitsCache()
    private let lock = NSLock()
    private var cached: Dataset?

    func load() throws -> Dataset {
        lock.lock()
        defer { lock.unlock() }
        if let cached { return cached }
        guard let url = Bundle.module.url(forResource: "digits", withExtension: "csv") else {
            throw LearnError.missingResource("the digits data (digits.csv) is missing from the ritz resource bundle")
        }
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw LearnError.missingResource("cannot read \(url.path): \(error.localizedDescription)")
        }
        let data = try Dataset.parseDigits(text, source: url.path)
        cached = data
        return data
    }
}
