import Foundation
import RitzLang
import RitzNotebook

extension Kernel {
    /// Answers one request: `busy` on IOPub, the reply, `idle` (for `execute_request`, once the
    /// cell has ended).
    ///
    /// - Parameters:
    ///   - request: The decoded request.
    ///   - onControl: It came on the control channel (replies go back there).
    func handle(_ request: WireMessage, onControl: Bool) {
        let channel = onControl ? control : shell
        let type = request.type
        guard type.hasSuffix("_request") else {
            if !type.hasPrefix("comm_") { log("ignored a `\(type)` message") }
            return
        }
        // Control takes what must work while a cell runs; the rest reads the session, which only
        // the shell channel does, between cells.
        if onControl && !Kernel.controlRequests.contains(type) {
            log("ignored `\(type)` on the control channel")
            return
        }
        publishStatus("busy", parent: request)
        let content = request.content
        switch type {
        case "execute_request":
            if startExecution(request) { return }  // `idle` follows when the cell ends
        case "kernel_info_request":
            reply(to: request, on: channel, type: "kernel_info_reply", content: kernelInfo())
        case "complete_request":
            reply(to: request, on: channel, type: "complete_reply", content: completion(content))
        case "inspect_request":
            reply(to: request, on: channel, type: "inspect_reply", content: inspection(content))
        case "is_complete_request":
            reply(to: request, on: channel, type: "is_complete_reply",
                  content: Kernel.completeness(content["code"]?.stringValue ?? ""))
        case "history_request":
            reply(to: request, on: channel, type: "history_reply",
                  content: ["status": .string("ok"), "history": .array(history.reply(content))])
        case "comm_info_request":
            reply(to: request, on: channel, type: "comm_info_reply", content: ["status": .string("ok"), "comms": .object([:])])
        case "interrupt_request":
            evaluator.interrupt()
            reply(to: request, on: channel, type: "interrupt_reply", content: ["status": .string("ok")])
        case "shutdown_request":
            // Stop the running cell at its next safe point; the process exits after the reply,
            // and a client that asked for a restart starts a fresh one (a fresh session).
            evaluator.interrupt()
            let restart: JSONValue = content["restart"].flatMap { if case .bool = $0 { return $0 } else { return nil } } ?? .bool(false)
            reply(to: request, on: channel, type: "shutdown_reply", content: ["status": .string("ok"), "restart": restart])
            stopping = true
        default:
            log("ignored an unknown request `\(type)`")
            let replyType = String(type.dropLast("_request".count)) + "_reply"
            reply(to: request, on: channel, type: replyType,
                  content: ["status": .string("error"), "ename": .string("unknown request"),
                            "evalue": .string("ritz does not handle `\(type)`"), "traceback": .array([])])
        }
        publishStatus("idle", parent: request)
    }

    /// Requests answered on the control channel.
    static let controlRequests: Set<String> = ["kernel_info_request", "interrupt_request", "shutdown_request"]

    // MARK: - kernel_info

    /// `kernel_info_reply`: protocol 5.3, ritz's version and the sessions' `language_info`.
    func kernelInfo() -> [String: JSONValue] {
        var language = Notebook.languageInfo
        language["version"] = .string(version)
        return ["status": .string("ok"), "protocol_version": .string(MessageFactory.protocolVersion),
                "implementation": .string("ritz"), "implementation_version": .string(version),
                "language_info": .object(language),
                "banner": .string("ritz \(version): a notebook for looking inside learning systems. ?name shows help."),
                "help_links": .array([]), "debugger": .bool(false)]
    }

    // MARK: - execute

    /// Starts a cell on the worker, or answers at once (a help request, a malformed request).
    ///
    /// - Parameter request: The `execute_request`.
    /// - Returns: True when a cell is now running (its reply and `idle` come when it ends).
    func startExecution(_ request: WireMessage) -> Bool {
        let content = request.content
        func flag(_ name: String) -> Bool? { if case .bool(let b)? = content[name] { return b } else { return nil } }
        guard let code = content["code"]?.stringValue else {
            reply(to: request, on: shell, type: "execute_reply",
                  content: ["status": .string("error"), "ename": .string("error"),
                            "evalue": .string("execute_request without a `code` string"), "traceback": .array([]),
                            "execution_count": .number(Double(evaluator.session.executionCount))])
            return false
        }
        let silent = flag("silent") ?? false
        let storeHistory = flag("store_history") ?? !silent
        let stopOnError = flag("stop_on_error") ?? true
        if let name = HelpRequest.name(in: code) {
            // `?name` and `name?`: the help pager, as IPython answers them; no cell runs.
            let text = name.isEmpty ? evaluator.topics() : (evaluator.help(name) ?? "no help for `\(name)`")
            let page: JSONValue = .object(["source": .string("page"), "start": .number(0),
                                           "data": .object([textMIME: .string(text)])])
            reply(to: request, on: shell, type: "execute_reply",
                  content: ["status": .string("ok"), "execution_count": .number(Double(evaluator.session.executionCount)),
                            "payload": .array([page]), "user_expressions": .object([:])])
            return false
        }
        let count = evaluator.session.executionCount + 1
        if !silent {
            publish("execute_input", ["code": .string(code), "execution_count": .number(Double(count))], parent: request)
        }
        let output = KernelOutput(executionCount: count, displayPrefix: "ritz-\(factory.session)-") { [weak self] type, content in
            if !silent { self?.publish(type, content, parent: request) }
        }
        let cell = RunningCell(request: request, code: code, storeHistory: storeHistory, stopOnError: stopOnError,
                               output: output)
        running = cell
        let evaluator = self.evaluator
        Thread.detachNewThread {
            cell.finish(evaluator.evaluate(source: code, origin: .cell(count), echo: output))
        }
        return true
    }

    /// Sends what is left of a cell's output, its `execute_reply` and `idle`.
    func finishExecution(_ cell: RunningCell, _ run: CellRun) {
        cell.output.finish()
        running = nil
        let count = run.executionCount ?? cell.output.executionCount
        var content: [String: JSONValue] = ["execution_count": .number(Double(count)), "user_expressions": .object([:]),
                                            "payload": .array([])]
        if run.failed, let diagnostic = cell.output.firstError {
            content.merge(KernelOutput.errorContent(diagnostic)) { _, new in new }
            content["status"] = .string("error")
        } else {
            content["status"] = .string(run.failed ? "error" : "ok")
        }
        if cell.storeHistory {
            let value = run.outputs.last(where: { if case .result = $0 { return true } else { return false } })
            history.add(line: count, input: cell.code, output: value?.plainText)
        }
        // Requests that came while the cell ran were sent before its reply: with
        // `stop_on_error`, the cells among them are aborted (taken before the reply goes out, so
        // nothing sent after the client saw the error is caught).
        var queued: [[Data]] = []
        if run.failed && cell.stopOnError {
            while let frames = shell.receive(wait: false) { queued.append(frames) }
        }
        reply(to: cell.request, on: shell, type: "execute_reply", content: content)
        publishStatus("idle", parent: cell.request)
        abortQueuedExecutions(queued)
    }

    /// After a failed cell with `stop_on_error`, the cells already queued behind it (JupyterLab's
    /// Run All) are answered `aborted` without running, as IPython's kernel does; other requests
    /// waiting there are answered as usual.
    ///
    /// - Parameter queued: The shell messages that arrived while the failed cell ran.
    func abortQueuedExecutions(_ queued: [[Data]]) {
        for frames in queued {
            guard let request = decode(frames, on: shell) else { continue }
            guard request.type == "execute_request" else {
                handle(request, onControl: false)
                continue
            }
            publishStatus("busy", parent: request)
            reply(to: request, on: shell, type: "execute_reply",
                  content: ["status": .string("aborted"),
                            "execution_count": .number(Double(evaluator.session.executionCount))])
            publishStatus("idle", parent: request)
        }
    }

    // MARK: - complete, inspect, is_complete

    /// The text before a cursor given in Unicode code points (protocol 5.2 and later).
    static func prefix(_ code: String, cursor: Int?) -> String {
        let scalars = code.unicodeScalars
        let position = min(max(0, cursor ?? scalars.count), scalars.count)
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars.prefix(position))
        return String(view)
    }

    /// `complete_reply`: the REPL's completions at the cursor.
    func completion(_ content: JSONValue) -> [String: JSONValue] {
        let code = content["code"]?.stringValue ?? ""
        let before = Kernel.prefix(code, cursor: content["cursor_pos"]?.intValue)
        let end = before.unicodeScalars.count
        guard let result = Completer.complete(before, source: evaluator.completion) else {
            return ["status": .string("ok"), "matches": .array([]), "cursor_start": .number(Double(end)),
                    "cursor_end": .number(Double(end)), "metadata": .object([:])]
        }
        let replaced = before.suffix(result.replacing).unicodeScalars.count
        return ["status": .string("ok"), "matches": .array(result.candidates.map { .string($0) }),
                "cursor_start": .number(Double(end - replaced)), "cursor_end": .number(Double(end)),
                "metadata": .object([:])]
    }

    /// `inspect_reply`: the help text or value inspection (`?name`) of the name at the cursor.
    func inspection(_ content: JSONValue) -> [String: JSONValue] {
        let code = content["code"]?.stringValue ?? ""
        let cursor = content["cursor_pos"]?.intValue
        let before = Array(Kernel.prefix(code, cursor: cursor))
        let after = Array(code.dropFirst(before.count))
        func isNamePart(_ c: Character) -> Bool { c.isLetter || c.isNumber || c == "_" || c == "." }
        var start = before.count
        while start > 0, isNamePart(before[start - 1]) { start -= 1 }
        var end = 0
        while end < after.count, isNamePart(after[end]) { end += 1 }
        let name = (String(before[start...]) + String(after[..<end])).trimmingCharacters(in: CharacterSet(charactersIn: "."))
        let parts = name.split(separator: ".").map(String.init)
        let text = ([name] + parts.reversed()).lazy.compactMap { $0.isEmpty ? nil : self.evaluator.help($0) }.first
        guard let text else {
            return ["status": .string("ok"), "found": .bool(false), "data": .object([:]), "metadata": .object([:])]
        }
        return ["status": .string("ok"), "found": .bool(true), "data": .object([textMIME: .string(text)]),
                "metadata": .object([:])]
    }

    /// `is_complete_reply`: `complete`, or `incomplete` with the next line's indent when a
    /// bracket or block is open or the line ends asking for more (the REPL's `...>` rule).
    static func completeness(_ code: String) -> [String: JSONValue] {
        if InputCompleteness.isComplete(code) { return ["status": .string("complete")] }
        let lastLine = code.split(separator: "\n", omittingEmptySubsequences: false).last ?? ""
        var indent = String(lastLine.prefix { $0 == " " || $0 == "\t" })
        if let last = lastLine.last(where: { !$0.isWhitespace }), "([{".contains(last) { indent += "  " }
        return ["status": .string("incomplete"), "indent": .string(indent)]
    }
}
