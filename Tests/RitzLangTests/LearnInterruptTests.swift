import Foundation
import Testing
@testable import RitzLang

/// Ctrl-C during `train` stops at the next step and keeps the partial run.
@Suite("Learn interrupts")
struct LearnInterruptTests {
    @Test func interruptKeepsThePartialRun() throws {
        let session = Session()
        let setup = session.run(cell: "m = mlp([64, 32, 10], seed=0)\nd = digits()", origin: .cell(0), sink: CollectingSink())
        #expect(setup.status == .ok)
        let interrupter = Thread { Thread.sleep(forTimeInterval: 0.5); session.interrupt() }
        interrupter.start()
        let sink = CollectingSink()
        let outcome = session.run(cell: "r = train(m, d, sgd(0.1), steps=1000000, every=1000, seed=0)",
                                  origin: .cell(1), sink: sink)
        #expect(outcome.status != .error, "\(outcome.diagnostics.map { "\($0)" })")
        #expect(sink.transcript.contains("training interrupted at step"))
        // The partial run was assigned, and the model keeps its trained parameters.
        let check = session.run(cell: "[r.stopped == \"interrupted\", r.steps > 0, r.steps < 1000000]",
                                origin: .cell(2), sink: CollectingSink())
        #expect(check.display == "[1. 1. 1.]", "\(check.diagnostics.map { "\($0)" })")
    }
}
