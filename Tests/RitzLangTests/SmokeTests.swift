import Testing
@testable import RitzLang

@Suite struct SmokeTests {
    @Test func runsACell() {
        let s = Session()
        let sink = CollectingSink()
        let out = s.run(cell: "x = 2\nx * 3", origin: .cell(1), sink: sink)
        #expect(out.status == .ok)
        #expect(out.display == "6")
    }
}
