import Foundation
import Synchronization
import Testing
@testable import RitzTensor

/// A `ThreadScoped` binding holds for the call that made it, on its thread alone, and the one
/// before it comes back however the call ends.
@Suite struct ThreadScopedTests {
    final class Box: Sendable {
        let name: String
        init(_ name: String) { self.name = name }
    }

    struct Failure: Error {}

    static let scoped = ThreadScoped<Box>()

    @Test func nestedBindingsRestoreTheOuterOne() throws {
        let (outer, inner) = (Box("outer"), Box("inner"))
        #expect(Self.scoped.value == nil)
        Self.scoped.withValue(outer) {
            #expect(Self.scoped.value === outer)
            Self.scoped.withValue(inner) { #expect(Self.scoped.value === inner) }
            #expect(Self.scoped.value === outer)
            Self.scoped.withValue(nil) { #expect(Self.scoped.value == nil) }
            #expect(Self.scoped.value === outer)
        }
        #expect(Self.scoped.value == nil)
    }

    @Test func aThrowingCallRestoresTheBinding() {
        let outer = Box("outer")
        Self.scoped.withValue(outer) {
            #expect(throws: Failure.self) { try Self.scoped.withValue(Box("inner")) { throw Failure() } }
            #expect(Self.scoped.value === outer)
        }
        #expect(Self.scoped.value == nil)
    }

    @Test func anotherThreadDoesNotSeeTheBinding() {
        let seen = Mutex<String?>("unset")
        Self.scoped.withValue(Box("here")) {
            let done = DispatchSemaphore(value: 0)
            let thread = Thread {
                seen.withLock { $0 = Self.scoped.value?.name }
                done.signal()
            }
            thread.start()
            done.wait()
            #expect(Self.scoped.value?.name == "here")
        }
        #expect(seen.withLock { $0 } == nil)
    }

    /// Jobs handed to helper threads count their tensors in the caller's memory account.
    @Test func parallelJobsUseTheCallersAccount() throws {
        try AllocationLimit.withLimit(bytes: 1 << 20) { () throws -> Void in
            let account = AllocationLimit.account
            let same = try Parallel.results(4) { _ in AllocationLimit.account === account }
            #expect(same == [true, true, true, true])
        }
    }
}
