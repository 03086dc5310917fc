import Testing
@testable import RitzTensor

/// The storage pool behind `makeStorage`: storage comes back when the last tensor holding it
/// goes, a reused array is the same memory, and reuse never changes a value someone still holds.
/// Each test has its own memory account, and with it its own pool.
@Suite struct StoragePoolTests {
    static let limit = 64 << 20

    /// A 100-element tensor holding 0, 1, …, 99, made through the pool.
    static func counting() throws -> Tensor {
        try Tensor(shape: [100], storage: try makeStorage(100) { p in for i in 0..<100 { p[i] = Double(i) } })
    }

    static func address(_ a: [Double]) -> Int {
        a.withUnsafeBufferPointer { Int(bitPattern: $0.baseAddress) }
    }

    @Test func storageReturnsWhenItsLastTensorGoes() throws {
        try AllocationLimit.withLimit(bytes: Self.limit) { () throws -> Void in
            let pool = AllocationLimit.account.pool
            var view: Tensor?
            do {
                let t = try Self.counting()
                view = try t.reshaped([10, 10])
            }
            // The reshaped tensor still holds the storage.
            #expect(pool.statistics.keptBytes == 0)
            #expect(view?.storage[99] == 99)
            view = nil
            #expect(pool.statistics.keptBytes == 800)
            #expect(AllocationLimit.liveBytes == 0)
        }
    }

    @Test func unsharedStorageIsWrittenInPlaceAndSharedStorageIsNot() throws {
        var t = try Self.counting()
        let before = Self.address(t.storage)
        let wrote: Void? = t.withUnsharedStorage { p in p[0] = -1 }
        #expect(wrote != nil)
        #expect(t.storage[0] == -1)
        #expect(Self.address(t.storage) == before)
        let view = try t.reshaped([10, 10])
        #expect(t.withUnsharedStorage { p in p[1] = -1 } == nil)
        #expect(t.storage[1] == 1)
        #expect(view.storage[1] == 1)
    }

    @Test func recycledStorageIsTheNextArrayOfItsSize() throws {
        try AllocationLimit.withLimit(bytes: Self.limit) { () throws -> Void in
            let pool = AllocationLimit.account.pool
            var address = 0
            do {
                let t = try Self.counting()
                address = Self.address(t.storage)
            }
            #expect(pool.statistics.keptBytes == 800)
            let reused = try makeStorage(100) { p in for i in 0..<100 { p[i] = 1 } }
            #expect(Self.address(reused) == address)
            #expect(pool.statistics.hits == 1 && pool.statistics.keptBytes == 0)
            _ = try makeStorage(99) { p in p.initialize(repeating: 0, count: 99) }
            #expect(pool.statistics.misses == 2)   // the first tensor's and this size's
        }
    }

    @Test func reuseNeverWritesIntoAnArrayStillHeld() throws {
        try AllocationLimit.withLimit(bytes: Self.limit) { () throws -> Void in
            var t: Tensor? = try Self.counting()
            let raw = t?.storage ?? []   // a copy of the array outside any tensor: the lease cannot see it
            t = nil
            let other = try makeStorage(100) { p in for i in 0..<100 { p[i] = -1 } }
            #expect(raw == (0..<100).map(Double.init))
            #expect(other.allSatisfy { $0 == -1 })
            #expect(Self.address(other) != Self.address(raw))
            // The copy is counted as the allocation it was.
            let pool = AllocationLimit.account.pool
            #expect(pool.statistics.hits == 0 && pool.statistics.misses == 2)
        }
    }

    @Test func scratchComesFromAndReturnsToThePool() throws {
        try AllocationLimit.withLimit(bytes: Self.limit) { () throws -> Void in
            let pool = AllocationLimit.account.pool
            let first = try StoragePool.withScratch(500) { p in Int(bitPattern: p) }
            let second = try StoragePool.withScratch(500) { p in Int(bitPattern: p) }
            #expect(first == second)
            #expect(pool.statistics.misses == 1 && pool.statistics.hits == 1)
        }
    }

    @Test func aPoolKeepsAtMostItsCapacityAndItsPerSizeLimit() throws {
        // Room for the per-size limit of 100-element arrays and two more.
        let pool = StoragePool(capacityBytes: 800 * (StoragePool.perSizeLimit + 2))
        for _ in 0..<(StoragePool.perSizeLimit + 4) { pool.give([Double](repeating: 0, count: 100)) }
        #expect(pool.statistics.keptBytes == StoragePool.perSizeLimit * 800)
        pool.give([Double](repeating: 0, count: 900))   // past the capacity
        #expect(pool.statistics.keptBytes == StoragePool.perSizeLimit * 800)
        for _ in 0..<StoragePool.perSizeLimit { #expect(pool.take(100)?.count == 100) }
        #expect(pool.take(100) == nil && pool.statistics.keptBytes == 0)
        pool.give([Double](repeating: 0, count: 100))
        pool.drain()
        #expect(pool.statistics.keptBytes == 0 && pool.take(100) == nil)
    }

    /// A flat vector cut into blocks: each block's values in its shape, its storage the pool's
    /// (the second cut takes the arrays the first gave back: each is over the pool's 64-element
    /// minimum), a block outside the vector refused.
    @Test func piecesOfAFlatVector() throws {
        try AllocationLimit.withLimit(bytes: Self.limit) { () throws -> Void in
            let pool = AllocationLimit.account.pool
            let flat = (0..<300).map(Double.init)
            let blocks: [(offset: Int, shape: [Int])] = [(0, [10, 10]), (100, [100]), (220, [7, 10])]
            do {
                let pieces = try Tensor.pieces(of: flat, blocks: blocks)
                #expect(pieces.map(\.shape) == [[10, 10], [100], [7, 10]])
                #expect(pieces[0].storage == Array(flat[0..<100]) && pieces[1].storage == Array(flat[100..<200]))
                #expect(pieces[2].storage == Array(flat[220..<290]))
            }
            let hits = pool.statistics.hits
            _ = try Tensor.pieces(of: flat, blocks: blocks)
            #expect(pool.statistics.hits == hits + 3)
            #expect(throws: ShapeError.self) { try Tensor.pieces(of: flat, blocks: [(250, [7, 10])]) }
            #expect(throws: ShapeError.self) { try Tensor.pieces(of: flat, blocks: [(-1, [2])]) }
        }
    }

    /// NaN placeholders share one kept array per size: all NaN, the same memory for two tensors
    /// of one size (whatever their shapes), counted as live while held, never given to the pool,
    /// and written only after a copy, so the next placeholder is NaN still.
    @Test func sharedNaNFillsAreKeptOncePerSizeAndNeverWrittenThrough() throws {
        try AllocationLimit.withLimit(bytes: Self.limit) { () throws -> Void in
            let pool = AllocationLimit.account.pool
            var a = try Tensor.sharedNaN([10, 10])
            let b = try Tensor.sharedNaN([100])
            #expect(a.shape == [10, 10] && a.storage.allSatisfy(\.isNaN))
            #expect(Self.address(a.storage) == Self.address(b.storage))
            #expect(AllocationLimit.liveBytes == 1600)
            #expect(a.withUnsharedStorage { _ in 0 } == nil)
            a.storage[0] = 1
            #expect(a.storage[0] == 1 && b.storage.allSatisfy(\.isNaN))
            #expect(Self.address(a.storage) != Self.address(b.storage))
            let c = try Tensor.sharedNaN([4, 25])
            #expect(c.storage.allSatisfy(\.isNaN) && Self.address(c.storage) == Self.address(b.storage))
            #expect(pool.statistics.keptBytes == 0)
        }
        #expect(throws: TensorError.self) {
            try AllocationLimit.withLimit(bytes: 1000) { try Tensor.sharedNaN([1000]) }
        }
    }
}
