import Foundation
import Testing
@testable import RitzAnalysis
import RitzTensor

/// Graphs from edge-list files and adjacency matrices against NetworkX, which reads the same
/// files itself (Fixtures/make_graph_import_fixtures.py).
@Suite struct GraphImportTests {
    static func fixture(_ name: String) throws -> [String: Any] {
        KoopmanFixtures.sub(try KoopmanFixtures.load("graphs/graph_import.json"), name)
    }

    static func path(_ file: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/graphs/" + file).path
    }

    /// The graph's Laplacian D − A equals NetworkX's. Entries are sums of at most n weights
    /// given with few digits: equal to n·ε relative (JSONSerialization may misround by an ulp).
    static func expectLaplacian(_ g: Graph, _ ref: [String: Any], _ note: String) throws {
        #expect(g.n == (ref["n"] as? NSNumber)?.intValue, "\(note) n")
        #expect(g.edgeCount == (ref["edges"] as? NSNumber)?.intValue, "\(note) edges")
        let expected = try KoopmanFixtures.matrix(ref["laplacian"])
        let ours = try g.laplacian(.none)
        #expect(ours.shape == expected.shape, "\(note)")
        let scale = expected.storage.map(abs).max() ?? 1
        for (a, b) in zip(ours.storage, expected.storage) {
            #expect(abs(a - b) <= Double(g.n) * Double.ulpOfOne * scale, "\(note): \(a) vs \(b)")
        }
    }

    @Test func snapTextFileNumberedFromOne() throws {
        let table = try Tensor.loadText(path: Self.path("edges_snap.txt"))
        #expect(table.shape == [12, 2])
        try Self.expectLaplacian(try Graph.fromEdgeTable(table, base: 1), try Self.fixture("snap"), "snap")
        // Read 0-based, node 0 is an extra isolated node and the file's node 9 is index 9.
        #expect(try Graph.fromEdgeTable(table).n == 10)
    }

    @Test func weightedCSVWithHeaderAndComment() throws {
        let table = try Tensor.loadCSV(path: Self.path("edges_weighted.csv"))
        #expect(table.shape == [6, 3])
        try Self.expectLaplacian(try Graph.fromEdgeTable(table), try Self.fixture("weighted"), "weighted csv")
    }

    @Test func edgeIndexNpyTwoByM() throws {
        let index = try Tensor.loadNPY(path: Self.path("edge_index.npy"))
        #expect(index.shape == [2, 11] && index.dtype == .int64)
        try Self.expectLaplacian(try Graph.fromEdgeTable(index, n: 9), try Self.fixture("edge_index"), "edge_index")
    }

    @Test func denseAdjacencyAsFromNumpyArray() throws {
        let ref = try Self.fixture("adjacency")
        let a = try KoopmanFixtures.matrix(ref["A"])
        let g = try Graph(adjacency: CSRMatrix(dense: a))
        try Self.expectLaplacian(g, ref, "adjacency")
        // The adjacency comes back exactly, self-loop on the diagonal included.
        #expect(try g.adjacency().storage == a.storage)
    }

    @Test(arguments: [
        ("1-based without base", [1, 2, 2, 3], [2, 2], 3, 0, "pass base=1"),
        ("0-based with base=1", [0, 1, 1, 2], [2, 2], nil, 1, "pass base=0"),
        ("fraction", [0, 1.5], [1, 2], nil, 0, "whole node numbers"),
        ("wrong width", [0, 1, 2, 3], [1, 4], nil, 0, "m×2 (pairs) or m×3"),
        ("base 2", [0, 1], [1, 2], nil, 2, "base= must be 0 or 1"),
    ] as [(String, [Double], [Int], Int?, Int, String)])
    func badEdgeTablesAreErrors(name: String, values: [Double], shape: [Int], n: Int?, base: Int, message: String) throws {
        do {
            _ = try Graph.fromEdgeTable(Tensor(shape: shape, storage: values), n: n, base: base)
            Issue.record("\(name): no error")
        } catch let e as TensorError {
            #expect("\(e)".contains(message), "\(name): \(e)")
        }
    }

    @Test func thirdColumnIsTheWeightsAndConflictsWithWeights() throws {
        let g = try Graph.fromEdgeTable(Tensor(shape: [2, 3], storage: [0, 1, 0.5, 2, 1, 4]))
        #expect(g.edges.map(\.weight) == [0.5, 4])
        #expect(throws: TensorError.self) { try Graph.fromEdgeTable(Tensor(shape: [2, 3], storage: [0, 1, 0.5, 2, 1, 4]), weights: [1, 1]) }
        // One edge as a vector (a one-line file).
        #expect(try Graph.fromEdgeTable(Tensor([3.0, 4])).edges == [Graph.Edge(i: 3, j: 4, weight: 1)])
    }
}
