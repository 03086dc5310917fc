import Foundation
import Testing
@testable import RitzKernel
import RitzLang
import RitzNotebook
import RitzPlot

/// A clock the test moves by hand (nanoseconds).
private final class ManualClock: @unchecked Sendable {
    var now: UInt64 = 1_000_000_000
}

/// Messages a sink published, in order.
private final class Published: @unchecked Sendable {
    var messages: [(type: String, content: [String: JSONValue])] = []
    var types: [String] { messages.map(\.type) }
}

private func sink(_ published: Published, clock: ManualClock = ManualClock()) -> KernelOutput {
    KernelOutput(executionCount: 7, displayPrefix: "d-", clock: { clock.now }) { published.messages.append(($0, $1)) }
}

@Suite("kernel: outputs")
struct KernelOutputTests {
    @Test("a cell's outputs through the kernel match the outputs the session saves")
    func matchesSavedOutputs() throws {
        let source = "print(\"a\")\ndisplay([1, 2])\nprint(\"b\")\ndisplay(plot([1, 4, 9]))\nplot([3, 2, 1])"
        let published = Published()
        let output = sink(published)
        let run = SessionEvaluator().evaluate(source: source, origin: .cell(1), echo: output)
        output.finish()
        #expect(published.types == ["stream", "display_data", "stream", "display_data", "execute_result"])
        // Each message, as nbformat's output_from_msg makes it, is the saved output.
        let fromMessages: [CellOutput] = published.messages.map { m in
            func data() -> [String: String] {
                var d: [String: String] = [:]
                for (mime, v) in m.content["data"]?.objectValue ?? [:] { d[mime] = v.stringValue ?? v.serialized(indent: 0) }
                return d
            }
            switch m.type {
            case "stream": return .stream(name: m.content["name"]?.stringValue ?? "", text: m.content["text"]?.stringValue ?? "")
            case "display_data": return .display(data: data())
            default: return .result(executionCount: m.content["execution_count"]?.intValue, data: data())
            }
        }
        #expect(fromMessages.count == run.outputs.count)
        for (a, b) in zip(fromMessages, run.outputs) {
            switch (a, b) {
            case (.result(let ca, let da), .result(let cb, let db)):
                #expect(ca == 7 && cb == 1)  // the sink's count; the saved one is the session's
                #expect(da.keys.sorted() == db.keys.sorted())
                #expect(da[textMIME] == db[textMIME] && da[svgMIME] == db[svgMIME])
                #expect(try JSONValue.parse(da[plotDataMIME] ?? "") == JSONValue.parse(db[plotDataMIME] ?? ""))
            case (.display(let da), .display(let db)):
                #expect(da[textMIME] == db[textMIME] && da[svgMIME] == db[svgMIME])
            default:
                #expect(a == b)
            }
        }
        #expect(published.messages[4].content["data"]?[svgMIME]?.stringValue?.contains("<svg ") == true)
    }

    @Test("an error is published with the caret diagnostic as traceback")
    func error() {
        let published = Published()
        let output = sink(published)
        _ = SessionEvaluator().evaluate(source: "x = 1\ny = [1, 2] @ [1, 2, 3]", origin: .cell(3), echo: output)
        output.finish()
        #expect(published.types == ["error"])
        let traceback = published.messages[0].content["traceback"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(published.messages[0].content["ename"]?.stringValue == "error")
        #expect(traceback.contains { $0.contains("--> cell 3, line 2") })
        #expect(traceback.contains { $0.contains("^") })
        #expect(output.firstError?.message == published.messages[0].content["evalue"]?.stringValue)
    }

    @Test("a live plot is one display_data, then updates at most every 250 ms, then its final state")
    func livePlotRate() {
        let clock = ManualClock()
        let published = Published()
        let output = sink(published, clock: clock)
        let frames = (1...10).map { n in Figure().hline(Double(n)) }
        for (i, figure) in frames.enumerated() {
            output.emit(.plot(id: 4, figure: figure))
            output.emit(.progress(Progress(step: i, total: 10)))
            clock.now += 100_000_000  // a frame every 100 ms: 10 frames in one second
        }
        #expect(published.types.first == "display_data")
        let updates = published.types.dropFirst()
        #expect(updates.allSatisfy { $0 == "update_display_data" })
        // 1 s of frames at ≤ 4 Hz: at most 4 updates while running.
        #expect(updates.count <= 4)
        let displayIDs = Set(published.messages.compactMap { $0.content["transient"]?["display_id"]?.stringValue })
        #expect(displayIDs == ["d-4"])
        output.finish()
        #expect(published.types.last == "update_display_data")
        let final = published.messages.last?.content["data"]?[textMIME]?.stringValue
        #expect(final == PlotOutput.text(frames[9]))
        // Nothing is sent twice once the final state is out.
        let count = published.messages.count
        output.finish()
        output.flushDue()
        #expect(published.messages.count == count)
    }

    @Test("printed text waits at most 250 ms and goes before any other output")
    func textFlush() {
        let clock = ManualClock()
        let published = Published()
        let output = sink(published, clock: clock)
        output.emit(.text("a\n"))
        output.flushDue()
        #expect(published.types.isEmpty)
        clock.now += 300_000_000
        output.flushDue()
        #expect(published.types == ["stream"])
        output.emit(.text("b\n"))
        output.emit(.value("1"))
        #expect(published.types == ["stream", "stream", "execute_result"])
        #expect(published.messages[1].content["text"]?.stringValue == "b\n")
    }
}

@Suite("kernel: requests")
struct KernelRequestTests {
    @Test("is_complete: open brackets and blocks ask for more, with an indent", arguments: [
        ("x = 1", "complete", nil),
        ("f(1,", "incomplete", ""),
        ("for i in 0:3 {", "incomplete", "  "),
        ("  y = [1, 2,\n  3", "incomplete", "  "),
        ("x |>", "incomplete", ""),
        ("s = \"abc", "incomplete", ""),
        ("x = 1)", "complete", nil),
    ] as [(String, String, String?)])
    func completeness(_ code: String, _ status: String, _ indent: String?) {
        let reply = Kernel.completeness(code)
        #expect(reply["status"]?.stringValue == status)
        #expect(reply["indent"]?.stringValue == indent)
    }

    @Test("cursor positions count Unicode code points")
    func prefix() {
        #expect(Kernel.prefix("é = 1; su", cursor: 9) == "é = 1; su")
        #expect(Kernel.prefix("👍🏽 x", cursor: 2) == "👍🏽")
        #expect(Kernel.prefix("abc", cursor: 99) == "abc")
        #expect(Kernel.prefix("abc", cursor: -4) == "")
    }

    @Test("history: tail, range and search")
    func history() {
        var h = KernelHistory()
        h.add(line: 1, input: "x = 1", output: nil)
        h.add(line: 2, input: "x + 1", output: "2")
        h.add(line: 3, input: "x + 1", output: "2")
        func entries(_ request: [String: JSONValue]) -> [[JSONValue]] {
            h.reply(.object(request)).compactMap(\.arrayValue)
        }
        #expect(entries(["hist_access_type": .string("tail"), "n": .number(2)]).map { $0[1] } == [.number(2), .number(3)])
        #expect(entries(["hist_access_type": .string("tail"), "n": .number(1), "output": .bool(true)]).first?[2]
                == .array([.string("x + 1"), .string("2")]))
        #expect(entries(["hist_access_type": .string("range"), "session": .number(1), "start": .number(1), "stop": .number(2)]).count == 1)
        #expect(entries(["hist_access_type": .string("range"), "session": .number(5), "start": .number(1)]).isEmpty)
        #expect(entries(["hist_access_type": .string("search"), "pattern": .string("x +*")]).count == 2)
        #expect(entries(["hist_access_type": .string("search"), "pattern": .string("x*"), "unique": .bool(true)]).count == 2)
        #expect(entries(["hist_access_type": .string("search"), "pattern": .string("x*"), "n": .number(1)]).map { $0[1] } == [.number(3)])
    }
}

@Suite("kernel: kernelspec")
struct KernelSpecTests {
    @Test("install writes kernel.json with the binary's absolute path and the logos; uninstall removes them")
    func installUninstall() throws {
        let prefix = FileManager.default.temporaryDirectory.appendingPathComponent("ritz-spec-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: prefix) }
        let folder = try KernelSpec.install(at: .prefix(prefix), executable: "/opt/ritz/bin/ritz")
        #expect(folder == prefix + "/share/jupyter/kernels/ritz")
        let spec = try JSONValue.parse(try Data(contentsOf: URL(fileURLWithPath: folder + "/kernel.json")))
        #expect(spec["argv"] == .array(["/opt/ritz/bin/ritz", "kernel", "-f", "{connection_file}"].map { .string($0) }))
        #expect(spec["language"]?.stringValue == "ritz")
        #expect(spec["interrupt_mode"]?.stringValue == "message")
        let png = try Data(contentsOf: URL(fileURLWithPath: folder + "/logo-64x64.png"))
        #expect(png.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
        #expect(FileManager.default.fileExists(atPath: folder + "/logo-32x32.png"))
        try KernelSpec.uninstall(from: .prefix(prefix))
        #expect(!FileManager.default.fileExists(atPath: folder))
        #expect(throws: KernelError.self) { try KernelSpec.uninstall(from: .prefix(prefix)) }
    }

    @Test("--user follows JUPYTER_DATA_DIR, then XDG_DATA_HOME, then ~/.local/share")
    func userFolder() {
        #expect(KernelSpec.Location.user.kernelsFolder(environment: ["JUPYTER_DATA_DIR": "/j", "HOME": "/h"]) == "/j/kernels")
        #expect(KernelSpec.Location.user.kernelsFolder(environment: ["XDG_DATA_HOME": "/x", "HOME": "/h"]) == "/x/jupyter/kernels")
        #expect(KernelSpec.Location.user.kernelsFolder(environment: ["HOME": "/h"]) == "/h/.local/share/jupyter/kernels")
    }

    @Test("the PNG's checksums: CRC-32 and Adler-32 check values")
    func checksums() {
        // CRC-32 check value of "123456789" (the catalogue value for CRC-32/ISO-HDLC).
        #expect(KernelLogo.crc32(Array("123456789".utf8)) == 0xCBF4_3926)
        // Adler-32 of "Wikipedia" is 0x11E60398 (RFC 1950's definition, worked example).
        let stream = KernelLogo.zlibStored(Array("Wikipedia".utf8))
        #expect(Array(stream.suffix(4)) == [0x11, 0xE6, 0x03, 0x98])
        #expect(Array(stream.prefix(7)) == [0x78, 0x01, 0x01, 9, 0, 0xF6, 0xFF])
    }
}

@Suite("kernel: clear_output")
struct KernelClearTests {
    @Test("clear_output goes out in order, and what a front end keeps is what the session saves")
    func clearOutput() {
        let source = "print(\"a\")\nclear_output()\nprint(\"b\")\ndisplay(1)\nclear_output(wait=true)\ndisplay(2)"
        let published = Published()
        let output = sink(published)
        let run = SessionEvaluator().evaluate(source: source, origin: .cell(1), echo: output)
        output.finish()
        #expect(published.types == ["stream", "clear_output", "stream", "display_data", "clear_output", "display_data"])
        #expect(published.messages[4].content["wait"] == .bool(true))
        #expect(run.outputs == [.display(data: [textMIME: "2"])])
    }
}
