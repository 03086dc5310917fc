import Foundation
import Testing
@testable import RitzLang

/// `laplacian_pe` on a graph large enough for the sparse solvers shows its progress as events.
@Suite struct SparseEventTests {
    @Test func laplacianPEEmitsProgress() {
        let sink = CollectingSink()
        let out = Session().run(cell: "laplacian_pe(grid_graph(40, 40), 4).method", origin: .cell(1), sink: sink)
        #expect(out.status == .ok)
        #expect(out.display == "\"shift-invert Lanczos (CHOLMOD)\"")
        let progress = sink.events.filter { if case .progress = $0 { return true } else { return false } }
        #expect(progress.count >= 3)
    }
}
