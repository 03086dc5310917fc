import Foundation
import RitzLang

/// What a running cell has produced so far; written by the evaluation thread, read by the UI.
public final class LiveCell: @unchecked Sendable {
    private let lock = NSLock()
    private var _items: [OutputItem] = []
    private var _progress: RitzLang.Progress?
    private var _version = 0

    public init() {}

    /// Appends printed text (merged with text just before it).
    public func appendText(_ text: String) {
        lock.lock(); defer { lock.unlock() }
        if case .text(let previous)? = _items.last {
            _items[_items.count - 1] = .text(previous + text)
        } else {
            _items.append(.text(text))
        }
        _version += 1
    }

    /// Appends an item, or replaces the plot with the same id (a live plot's newer state).
    public func put(_ item: OutputItem) {
        lock.lock(); defer { lock.unlock() }
        if case .plot(let id, _, _, _) = item,
           let at = _items.firstIndex(where: { if case .plot(id, _, _, _) = $0 { return true } else { return false } }) {
            _items[at] = item
        } else {
            _items.append(item)
        }
        _version += 1
    }

    /// Removes every item so far (`clear_output()`).
    public func clear() {
        lock.lock(); defer { lock.unlock() }
        _items.removeAll()
        _version += 1
    }

    /// Sets the progress for the status line. Kept as numbers: the text is made only when a
    /// screen is drawn (at most 30 times a second, on the drawing thread), not on the thread that
    /// computes, however often a long builtin reports.
    public func setProgress(_ progress: RitzLang.Progress?) {
        lock.lock(); defer { lock.unlock() }
        _progress = progress
        _version += 1
    }

    /// A consistent copy: items, the progress text (`step 120/500 · loss 0.42`) and a version
    /// that changes on every update.
    public func snapshot() -> (items: [OutputItem], progress: String?, version: Int) {
        lock.lock()
        let (items, progress, version) = (_items, _progress, _version)
        lock.unlock()
        return (items, progress?.statusText, version)
    }
}

/// The notebook's view of the language: run a cell on a worker thread, interrupt, help, names.
public protocol LiveEvaluator: AnyObject, Sendable {
    /// Runs a cell to completion (called on a worker thread), streaming into `live`.
    ///
    /// - Parameters:
    ///   - source: The cell text.
    ///   - cellNumber: 1-based position, for diagnostics.
    ///   - live: Receives outputs and progress while it runs.
    /// - Returns: The outputs to save and whether it failed.
    func run(source: String, cellNumber: Int, live: LiveCell) -> CellRun
    /// Asks the running cell to stop at the next safe point (thread-safe).
    func interrupt()
    /// The help entry for a name, or nil.
    func help(_ name: String) -> String?
    /// The list of help topics (`help()`).
    func topics() -> String
    /// Names for Tab completion.
    var completion: any CompletionSource { get }
}
