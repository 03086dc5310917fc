import Foundation
import Testing
@testable import RitzTensor

/// Live tensor storage is accounted for the whole session against one limit. Each test runs in
/// its own account (`withLimit`), so tensors of tests running in parallel do not count.
@Suite struct MemoryAccountTests {
    static let mib = 1 << 20

    @Test func storageIsCountedWhileAliveAndReturnedAfter() throws {
        try AllocationLimit.withLimit(bytes: Self.mib) { () throws -> Void in
            #expect(AllocationLimit.liveBytes == 0)
            do {
                let a = try Tensor.zeros([1000])
                #expect(AllocationLimit.liveBytes == 8000)
                let b = try a + a
                #expect(AllocationLimit.liveBytes == 16000)
                // Views share the storage and its lease: nothing new to account.
                let views = [a, try a.reshaped([10, 100]), a.flattened(), b]
                #expect(views.count == 4 && AllocationLimit.liveBytes == 16000)
                let c = try Tensor.zeros([500]).asComplex()
                #expect(c.storage.count == 1000 && AllocationLimit.liveBytes == 24000)
            }
            #expect(AllocationLimit.liveBytes == 0)
        }
    }

    @Test func copyOnWriteCountsTheCopy() throws {
        try AllocationLimit.withLimit(bytes: Self.mib) { () throws -> Void in
            let a = try Tensor.zeros([1000])
            var b = a
            #expect(AllocationLimit.liveBytes == 8000)
            try b.assign([.at(3)], Tensor(7))
            #expect(AllocationLimit.liveBytes == 16000)
            #expect(a.storage[3] == 0 && b.storage[3] == 7)
            var c = try Tensor.zeros([1000])   // unique: writing in place adds nothing
            try c.assign([.at(0)], Tensor(1))
            #expect(AllocationLimit.liveBytes == 24000)
        }
    }

    /// Two tensors that each fit the limit but not together: the second is refused before it
    /// is allocated, naming what is alive.
    @Test func theSecondOfTwoLargeTensorsIsRefused() throws {
        try AllocationLimit.withLimit(bytes: 100_000) { () throws -> Void in
            let a = try Tensor.ones([10_000])
            #expect(throws: TensorError.memoryLimit(requested: 80_000, live: 80_000, limit: 100_000)) {
                try Tensor.ones([10_000])
            }
            #expect(throws: TensorError.memoryLimit(requested: 80_000, live: 80_000, limit: 100_000)) { try a + a }
            #expect(throws: TensorError.memoryLimit(requested: 80_000, live: 80_000, limit: 100_000)) {
                try Tensor(shape: [10_000], storage: [Double](repeating: 1, count: 10_000))
            }
            #expect(AllocationLimit.liveBytes == 80_000)
        }
    }

    /// `s = s + s` in a loop stops with an error once the live total would pass the limit.
    @Test func doublingInALoopEndsInAnError() throws {
        try AllocationLimit.withLimit(bytes: 4 * Self.mib) { () throws -> Void in
            var s = try Tensor.ones([1000])
            var doublings = 0
            do {
                while true { s = try Tensor.concat([s, s]); doublings += 1 }
            } catch let e as TensorError {
                guard case .memoryLimit = e else { Issue.record("unexpected \(e)"); return }
            }
            // 8000·2^k bytes alive beside a 2× result must stay under 4 MiB: k = 8 is the last.
            #expect(doublings == 8)
            #expect(AllocationLimit.liveBytes == 8000 << 8)
        }
    }

    /// Leases created on one thread and released on others leave the atomic count exact.
    @Test func countsStayExactAcrossThreads() throws {
        try AllocationLimit.withLimit(bytes: 64 * Self.mib) { () throws -> Void in
            final class Slots: @unchecked Sendable { var tensors: [Tensor?] = [] }
            let slots = Slots()
            slots.tensors = try (0..<256).map { _ in try Tensor.zeros([100]) }
            #expect(AllocationLimit.liveBytes == 256 * 800)
            DispatchQueue.concurrentPerform(iterations: 256) { i in
                slots.tensors.withUnsafeMutableBufferPointer { $0[i] = nil }
            }
            #expect(AllocationLimit.liveBytes == 0)
        }
    }

    @Test(arguments: [("1048576", 1 << 20), ("512M", 512 << 20), ("2g", 2 << 30), ("64KiB", 64 << 10),
                      (" 3G ", 3 << 30), ("1T", 1 << 40), ("100B", 100)])
    func limitsParse(_ c: (text: String, bytes: Int)) {
        #expect(AllocationLimit.parse(c.text) == c.bytes)
    }

    @Test(arguments: ["", "-1", "1.5G", "lots", "99999999999999999999", "9999999999999T", "G"])
    func badLimitsAreNotSizes(_ text: String) {
        #expect(AllocationLimit.parse(text) == nil)
    }
}
