#if canImport(Glibc)
import Glibc
#endif

/// The element type of a tensor.
public enum DType: Sendable, Equatable, CustomStringConvertible {
    /// IEEE double. The default for everything.
    case float64
    /// Complex double, stored as interleaved (re, im) pairs as in NumPy `complex128` and FFTW.
    case complex128
    /// Truth values, stored as 0.0 and 1.0; the result of comparisons, usable as masks.
    case bool
    /// Integers, stored as exact doubles (|x| ≤ 2⁵³): index-valued results (`argmax`, `argsort`,
    /// shapes, counts). Mixed with floats they promote to float64, as in NumPy.
    case int64

    /// The largest integer a double holds exactly, 2⁵³; int64 tensors stay within ±this.
    public static let exactIntegerLimit = 9_007_199_254_740_992.0

    public var description: String {
        switch self {
        case .float64: return "float64"
        case .complex128: return "complex128"
        case .bool: return "bool"
        case .int64: return "int64"
        }
    }
}

/// An n-dimensional array in row-major (C) order.
///
/// Storage is a Swift array with copy-on-write, so `reshape`, `flatten` and passing tensors
/// around never copy; every other operation (including slicing and transposition) produces
/// a new contiguous tensor. A complex tensor holds `2 * count` doubles, interleaved.
public struct Tensor: Sendable {
    /// Dimensions, outermost first. `[]` is a 0-d scalar.
    public private(set) var shape: [Int]
    /// Element type.
    public private(set) var dtype: DType
    /// Row-major elements; interleaved (re, im) pairs when `dtype == .complex128`.
    ///
    /// Held by the lease, which tensors over the same storage share: writing through a shared
    /// lease first gives this tensor a lease of its own (and the array copies on write, as any
    /// Swift array), so every distinct array is accounted once.
    public internal(set) var storage: [Double] {
        _read { yield lease.array }
        _modify {
            if !isKnownUniquelyReferenced(&lease) || !lease.returnsToPool { lease = StorageLease(lease.array) }
            yield &lease.array
            lease.recount()
        }
    }
    /// The storage and its share of the session's memory account; when the last tensor holding
    /// it goes away, the bytes leave the account and the array goes to the account's pool.
    private var lease: StorageLease

    /// Wraps existing row-major storage.
    ///
    /// The storage joins the session's memory account; when that would pass the limit the
    /// tensor is refused (and the storage freed with the caller's last reference to it).
    ///
    /// - Parameters:
    ///   - shape: Dimensions; their product must match `storage.count` (twice that for complex).
    ///   - storage: The elements.
    ///   - dtype: The element type.
    /// - Throws: `ShapeError` when the sizes disagree or a dimension is negative,
    ///   `TensorError.tooLarge` or `.memoryLimit` past the memory limit.
    public init(shape: [Int], storage: [Double], dtype: DType = .float64) throws {
        let n = try Tensor.shapeProduct(shape)
        let expected = dtype == .complex128 ? n * 2 : n
        guard storage.count == expected else {
            throw ShapeError.invalid("\(storage.count) values do not fill a tensor of shape \(formatShape(shape))")
        }
        // The account is looked up once (a thread-specific read) for the check and the lease.
        let account = AllocationLimit.account
        try AllocationLimit.check(elements: storage.count, in: account)
        self.shape = shape
        self.dtype = dtype
        self.lease = StorageLease(storage, account: account)
    }

    /// Internal initialiser for callers that have already checked the sizes.
    init(unchecked shape: [Int], _ storage: [Double], dtype: DType = .float64) {
        self.shape = shape
        self.dtype = dtype
        self.lease = StorageLease(storage)
    }

    /// A tensor of `shape` with NaN in every element, for a value nothing reads (a placeholder
    /// that shows when read by mistake): its storage is the one array of its size that the
    /// memory account keeps for this and shares with every such tensor, so after the first of a
    /// size making one neither fills nor allocates. Its bytes count as live like any tensor's;
    /// writing to it copies first, as to any shared storage.
    ///
    /// - Throws: `ShapeError` for a negative dimension, `TensorError.tooLarge` or `.memoryLimit`.
    public static func sharedNaN(_ shape: [Int]) throws -> Tensor {
        let n = try Tensor.shapeProduct(shape)
        let account = AllocationLimit.account
        try AllocationLimit.check(elements: n, in: account)
        guard let kept = account.nanFills.array(n) else {
            return Tensor(shape: shape, lease: StorageLease([Double](repeating: .nan, count: n), account: account))
        }
        return Tensor(shape: shape, lease: StorageLease(kept, account: account, returnsToPool: false))
    }

    private init(shape: [Int], lease: StorageLease) {
        self.shape = shape
        self.dtype = .float64
        self.lease = lease
    }

    /// The storage of `base` under another shape or dtype, sharing its lease (no copy, nothing
    /// new to account).
    init(sharing base: Tensor, shape: [Int], dtype: DType) {
        self.shape = shape
        self.dtype = dtype
        self.lease = base.lease
    }

    /// A 0-d tensor holding `value`.
    public init(_ value: Double) {
        self.init(unchecked: [], [value])
    }

    /// A 1-d tensor of the given values.
    public init(_ values: [Double]) {
        self.init(unchecked: [values.count], values)
    }

    /// A 1-d int64 tensor of the given integers (indices, dimensions, counts).
    ///
    /// - Parameter integers: The values; they are exact as doubles for |x| ≤ 2⁵³, which every
    ///   index and count of an allocatable tensor is.
    public init(integers: [Int]) {
        self.init(unchecked: [integers.count], integers.map(Double.init), dtype: .int64)
    }

    /// A 0-d complex tensor.
    public init(re: Double, im: Double) {
        self.init(unchecked: [], [re, im], dtype: .complex128)
    }

    /// A 2-d tensor from rows of equal length.
    ///
    /// - Throws: `ShapeError.invalid` for ragged rows.
    public init(rows: [[Double]]) throws {
        let cols = rows.first?.count ?? 0
        guard rows.allSatisfy({ $0.count == cols }) else {
            throw ShapeError.invalid("rows of a matrix must have equal lengths")
        }
        self.init(unchecked: [rows.count, cols], rows.flatMap { $0 })
    }

    /// Number of elements (product of the shape).
    @inlinable public var count: Int { shape.reduce(1, *) }
    /// Number of dimensions.
    @inlinable public var ndim: Int { shape.count }
    /// True for complex tensors.
    @inlinable public var isComplex: Bool { dtype == .complex128 }
    /// The only element of a one-element tensor, as a real number (real part if complex).
    public var scalarValue: Double? { count == 1 ? storage[0] : nil }

    /// Row-major strides in elements.
    public var strides: [Int] { Tensor.rowMajorStrides(shape) }

    /// Row-major strides of `shape`, in elements.
    public static func rowMajorStrides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var acc = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[i] = acc
            acc = acc &* Swift.max(shape[i], 1)
        }
        return strides
    }

    /// The product of `shape` for a tensor about to be allocated, checked for negative
    /// dimensions, overflow and the session's memory limit.
    ///
    /// - Throws: `ShapeError.negativeDimension`, `TensorError.tooLarge` or `.memoryLimit`.
    public static func elementCount(_ shape: [Int], complex: Bool = false) throws -> Int {
        let n = try shapeProduct(shape)
        try AllocationLimit.check(elements: complex ? n &* 2 : n)
        return n
    }

    /// The product of `shape`, checked for negative dimensions and overflow (no memory check:
    /// for shapes of storage that already exists).
    ///
    /// - Throws: `ShapeError.negativeDimension` or `TensorError.tooLarge`.
    public static func shapeProduct(_ shape: [Int]) throws -> Int {
        var n = 1
        for d in shape {
            guard d >= 0 else { throw ShapeError.negativeDimension(d) }
            let (p, overflow) = n.multipliedReportingOverflow(by: d)
            guard !overflow else { throw TensorError.tooLarge(bytes: Int.max, limit: AllocationLimit.bytes) }
            n = p
        }
        return n
    }

    /// Real and imaginary part of element `i` (flat row-major index).
    @inlinable public func complexElement(_ i: Int) -> (re: Double, im: Double) {
        isComplex ? (storage[2 * i], storage[2 * i + 1]) : (storage[i], 0)
    }

    /// Runs `body` on the storage for writing in place when no other tensor shares it (its lease
    /// is unique), for code that holds what it knows may be a tensor's last holder and would
    /// otherwise write a fresh array of the same size; nil, and `body` not run, when shared (a
    /// shared NaN fill always is). A raw copy of `storage` held elsewhere is still never written
    /// through: the write copies first.
    public mutating func withUnsharedStorage<R>(_ body: (UnsafeMutableBufferPointer<Double>) throws -> R) rethrows -> R? {
        guard isKnownUniquelyReferenced(&lease), lease.returnsToPool else { return nil }
        return try lease.array.withUnsafeMutableBufferPointer { try body($0) }
    }

    /// Whether `other` is this very tensor: the same shape and dtype over the same storage
    /// array. While the caller holds one of the two, copy-on-write keeps the shared elements from
    /// changing, so a true answer means equal values without comparing them.
    ///
    /// - Parameters:
    ///   - other: The tensor to compare with.
    /// - Returns: True when both hold one storage array under one shape and dtype.
    public func sharesStorage(with other: Tensor) -> Bool {
        guard shape == other.shape, dtype == other.dtype, storage.count == other.storage.count else { return false }
        if storage.isEmpty { return true }
        return storage.withUnsafeBufferPointer { a in
            other.storage.withUnsafeBufferPointer { b in a.baseAddress == b.baseAddress }
        }
    }

    /// The same data as float64 (bool becomes 0/1; complex is refused).
    public func asFloat() throws -> Tensor {
        switch dtype {
        case .float64: return self
        case .bool, .int64: return Tensor(sharing: self, shape: shape, dtype: .float64)
        case .complex128: throw TensorError.unsupportedDType(op: "float conversion", dtype: .complex128)
        }
    }

    /// The same data as complex128.
    public func asComplex() -> Tensor {
        if isComplex { return self }
        var out = [Double](repeating: 0, count: storage.count * 2)
        for i in 0..<storage.count { out[2 * i] = storage[i] }
        return Tensor(unchecked: shape, out, dtype: .complex128)
    }

    /// The same values as int64.
    ///
    /// - Throws: `TensorError.invalidArgument` when an element is not an integer within ±2⁵³,
    ///   `TensorError.unsupportedDType` for complex tensors.
    public func asInt64() throws -> Tensor {
        switch dtype {
        case .int64: return self
        case .complex128: throw TensorError.unsupportedDType(op: "int64 conversion", dtype: .complex128)
        case .float64, .bool:
            for x in storage where !(x == x.rounded() && Swift.abs(x) <= DType.exactIntegerLimit) {
                throw TensorError.invalidArgument("\(x) is not an integer within ±2^53, so it has no exact int64 value")
            }
            return Tensor(unchecked: shape, storage, dtype: .int64)
        }
    }

    /// Marks a tensor's 0/1 values as booleans.
    public func asBool() -> Tensor {
        if dtype == .bool { return self }
        let n = count
        var out = [Double](repeating: 0, count: n)
        if isComplex {
            for i in 0..<n where storage[2 * i] != 0 || storage[2 * i + 1] != 0 { out[i] = 1 }
        } else {
            for i in 0..<n where storage[i] != 0 { out[i] = 1 }
        }
        return Tensor(unchecked: shape, out, dtype: .bool)
    }

    /// Drops a zero imaginary part: complex results whose imaginary parts are all exactly zero
    /// become float64.
    public func realIfPossible() -> Tensor {
        guard isComplex else { return self }
        var i = 1
        while i < storage.count { if storage[i] != 0 { return self }; i += 2 }
        return realPart()
    }

    /// Real part (a copy for complex tensors, the tensor itself otherwise).
    public func realPart() -> Tensor {
        guard isComplex else { return dtype == .bool ? Tensor(sharing: self, shape: shape, dtype: .float64) : self }
        let n = count
        return Tensor(unchecked: shape, (0..<n).map { storage[2 * $0] })
    }

    /// Imaginary part (zeros for real tensors).
    public func imagPart() -> Tensor {
        let n = count
        guard isComplex else { return Tensor(unchecked: shape, [Double](repeating: 0, count: n)) }
        return Tensor(unchecked: shape, (0..<n).map { storage[2 * $0 + 1] })
    }

    /// A complex tensor from real and imaginary parts of equal shape.
    public static func complex(re: Tensor, im: Tensor) throws -> Tensor {
        guard re.shape == im.shape else { throw ShapeError.mismatch(op: "complex", lhs: re.shape, rhs: im.shape) }
        let n = re.count
        var out = [Double](repeating: 0, count: 2 * n)
        for i in 0..<n { out[2 * i] = re.storage[i]; out[2 * i + 1] = im.storage[i] }
        return Tensor(unchecked: re.shape, out, dtype: .complex128)
    }
}

extension Tensor: Equatable {
    /// Exact equality of shape, dtype and bits of every element (NaN == NaN here).
    public static func == (a: Tensor, b: Tensor) -> Bool {
        guard a.shape == b.shape, a.dtype == b.dtype else { return false }
        for i in 0..<a.storage.count where a.storage[i] != b.storage[i] {
            if !(a.storage[i].isNaN && b.storage[i].isNaN) { return false }
        }
        return true
    }
}

/// Storage for `n` doubles, after checking them against the memory limit, which `body` must
/// initialise in full: an array of that size from the account's ``StoragePool`` when one is
/// kept, else a new one. The kernels on the training and curvature paths take their results'
/// storage from here; storage made otherwise returns to the pool too, when its last tensor goes.
///
/// - Throws: `TensorError.tooLarge` or `.memoryLimit`.
@inline(__always)
public func makeStorage(_ n: Int, _ body: (UnsafeMutablePointer<Double>) -> Void) throws -> [Double] {
    let account = AllocationLimit.account
    try AllocationLimit.check(elements: n, in: account)
    let pool = account.pool
    if var kept = pool.take(n) {
        let kept0 = kept.withUnsafeBufferPointer { $0.baseAddress }
        kept.withUnsafeMutableBufferPointer { buffer in
            if let base = buffer.baseAddress { body(base) }
        }
        // Still shared after all (a raw copy of the storage outlived its tensor): the write
        // copied it, which the pool counts as the allocation it was.
        if kept.withUnsafeBufferPointer({ $0.baseAddress }) != kept0 { pool.noteCopied() }
        return kept
    }
    return [Double](unsafeUninitializedCapacity: n) { buffer, initialized in
        if let base = buffer.baseAddress { body(base) }
        initialized = n
    }
}
