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
    /// The pixels of each image are stored row by row (pixel (r, c) at r·8 + c, as scikit-learn's
    /// `images.reshape(n, -1)`), so the layouts below are reshapes of the same storage: the same
    /// samples, labels and order.
    ///
    /// - Parameters:
    ///   - layout: `.flat` `[1797, 64]`, `.images` `[1797, 1, 8, 8]` (N, C, H, W, for `conv2d`) or
    ///     `.sequence` `[1797, 64, 1]` (each image read row by row as 64 steps of one feature,
    ///     the "sequential digits" of state-space models).
    /// - Returns: The data set (parsed once per process, then copied from a cache).
    /// - Throws: `LearnError.missingResource` when the resource cannot be found or parsed.
    public static func digits(layout: DigitsLayout = .flat) throws -> Dataset {
        let flat = try DigitsCache.shared.load()
        guard layout != .flat else { return flat }
        let x = try flat.x.reshaped([flat.count] + layout.sampleShape)
        return Dataset(unchecked: x, y: flat.y, classes: flat.classes, name: flat.name)
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
                // The plain field first: trimming goes through Foundation's string bridge, which
                // made loading the set take a tenth of a second.
                guard let v = Double(f) ?? Double(f.trimmingCharacters(in: .whitespaces)) else {
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

/// How ``Dataset/digits(layout:)`` arranges the 64 pixels of each image.
public enum DigitsLayout: String, Sendable, CaseIterable {
    /// One row of 64 pixels per image: `[N, 64]`.
    case flat
    /// One channel of 8×8 pixels per image: `[N, 1, 8, 8]` (N, C, H, W).
    case images
    /// 64 steps of one feature per image, row by row: `[N, 64, 1]`.
    case sequence

    /// The shape of one sample.
    public var sampleShape: [Int] {
        switch self {
        case .flat: return [64]
        case .images: return [1, 8, 8]
        case .sequence: return [64, 1]
        }
    }

    /// Parses a layout's name.
    ///
    /// - Parameters:
    ///   - name: "flat", "images" or "sequence".
    /// - Throws: `LearnError.invalidArgument` for another name.
    public init(name: String) throws {
        guard let layout = DigitsLayout(rawValue: name) else {
            let known = DigitsLayout.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
            throw LearnError.invalidArgument("unknown digits layout \"\(name)\"; expected one of \(known)")
        }
        self = layout
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
