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
        // Interrupt repeatedly until the cell returns, so a late start of the cell (which clears
        // the flag) cannot lose the interrupt.
        let done = DoneFlag()
        let interrupter = Thread {
            var running = true
            while running {
                Thread.sleep(forTimeInterval: 0.3)
                running = done.unlessDone { session.interrupt() }
            }
        }
        interrupter.start()
        let sink = CollectingSink()
        let outcome = session.run(cell: "r = train(m, d, sgd(0.1), steps=1000000, every=1000, seed=0)",
                                  origin: .cell(1), sink: sink)
        done.value = true
        #expect(outcome.status != .error, "\(outcome.diagnostics.map { "\($0)" })")
        #expect(sink.transcript.contains("training interrupted at step"))
        // The partial run was assigned, and the model keeps its trained parameters.
        let check = session.run(cell: "[r.stopped == \"interrupted\", r.steps > 0, r.steps < 1000000]",
                                origin: .cell(2), sink: CollectingSink())
        #expect(check.display == "[1. 1. 1.]", "\(check.diagnostics.map { "\($0)" })")
    }
}

/// A run keeps its curves: one point per row in each panel, drawn as text.
@Suite("Learn run curves")
struct LearnCurveTests {
    @Test func runCurvesFollowTheHistory() throws {
        let session = Session()
        let out = session.run(cell: "r = train(mlp([2, 8, 2], seed=0), moons(100, seed=0), sgd(0.3), steps=40, every=10, track=[\"grad_norm\"], seed=0)",
                              origin: .cell(0), sink: CollectingSink())
        #expect(out.status == .ok)
        guard case let .object(o)? = session.value(of: "r"), let run = o as? RunObject, let curves = run.curves else {
            Issue.record("no run object")
            return
        }
        #expect(curves.live.count(0) == 5)          // loss at steps 0, 10, 20, 30, 40
        #expect(curves.live.names == ["loss", "acc", "grad_norm"])
        #expect(curves.live.panelLabels == ["loss", "acc", "grad_norm"])
        let text = try run.figure().renderText(width: 60, height: 24, canvas: .ascii, color: false)
        #expect(text.contains("grad_norm") && text.contains("step"))
        // The figure rebuilt from the history has the same series.
        let rebuilt = try RunObject(run.run).figure().renderText(width: 60, height: 24, canvas: .ascii, color: false)
        #expect(rebuilt == text)
    }
}

/// A thread-safe flag; `unlessDone` runs its body only while the flag is unset, under the lock,
/// so nothing runs after `value = true` returns.
final class DoneFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var flag = false
    var value: Bool {
        get { lock.lock(); defer { lock.unlock() }; return flag }
        set { lock.lock(); flag = newValue; lock.unlock() }
    }

    /// Runs `body` if not done; returns false when done.
    func unlessDone(_ body: () -> Void) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if flag { return false }
        body()
        return true
    }
}
