/// Decides whether Enter should run the input or start a new line.
///
/// A `Scanner` keeps the state of one pass over the text, so a front end that receives input a
/// line at a time (the REPL, a pasted block) feeds each line once: accepting n lines costs time
/// linear in their total length, not the quadratic cost of re-reading the whole buffer per line.
public enum InputCompleteness {
    /// True when no bracket is open, no string is unterminated and the last line does not end
    /// with a binary operator, a comma or `->` that asks for more.
    ///
    /// Comments (`#` to the end of the line) and the inside of strings are ignored; a closing
    /// bracket without an opener counts as complete, so the evaluator reports the error.
    ///
    /// - Parameter source: The text typed so far.
    /// - Returns: Whether it is ready to run.
    public static func isComplete(_ source: String) -> Bool {
        var scanner = Scanner()
        scanner.feed(source)
        return scanner.isComplete
    }

    /// The state of one left-to-right pass: open brackets, string and comment state, and the
    /// last two significant characters.
    public struct Scanner: Sendable {
        private var depth = 0
        private var inString = false
        private var escaped = false
        private var inComment = false
        private var previousSignificant: Character?
        private var lastSignificant: Character?
        /// Characters read so far (the work done; each character is read once).
        public private(set) var charactersScanned = 0

        /// A scanner at the start of an empty input.
        public init() {}

        /// Reads more text, as if appended to everything fed before.
        ///
        /// - Parameter text: The next piece of input (a line with its leading `\n`, a paste).
        public mutating func feed<S: StringProtocol>(_ text: S) {
            for c in text {
                charactersScanned += 1
                if inComment {
                    if c == "\n" { inComment = false }
                    continue
                }
                if inString {
                    if escaped { escaped = false } else if c == "\\" { escaped = true } else if c == "\"" { inString = false }
                    if c == "\n" { previousSignificant = nil; lastSignificant = nil }
                    continue
                }
                switch c {
                case "#": inComment = true; continue
                case "\"": inString = true
                case "(", "[", "{": depth += 1
                case ")", "]", "}": depth = max(0, depth - 1)
                default: break
                }
                if c == "\n" { continue }
                if !c.isWhitespace {
                    previousSignificant = lastSignificant
                    lastSignificant = c
                }
            }
        }

        /// Whether the text fed so far is ready to run (see `InputCompleteness.isComplete`).
        public var isComplete: Bool {
            if inString || depth > 0 { return false }
            if let last = lastSignificant {
                if last == ">", previousSignificant == "|" || previousSignificant == "-" { return false }  // `|>`, `->`
                if ",+*/@^=|&".contains(last) { return false }
            }
            return true
        }
    }

    /// Input that arrives a line at a time and runs once it is complete (the REPL's `...>` lines).
    ///
    /// Each line is appended in place and scanned once, so n lines of an unfinished block cost
    /// work linear in their total length.
    public struct Lines: Sendable {
        /// The lines so far, joined by `\n`.
        public private(set) var text = ""
        /// The completeness state of `text`.
        public private(set) var scanner = Scanner()

        /// No lines yet.
        public init() {}

        /// True when nothing is pending.
        public var isEmpty: Bool { text.isEmpty }

        /// Adds one line (without its newline).
        ///
        /// - Parameter line: The line read.
        /// - Returns: Whether the input is now complete.
        public mutating func add(_ line: String) -> Bool {
            if !isEmpty {
                text += "\n"
                scanner.feed("\n")
            }
            text += line
            scanner.feed(line)
            return scanner.isComplete
        }

        /// Returns the input and starts a new one.
        ///
        /// - Returns: The lines joined by `\n`.
        public mutating func take() -> String {
            let done = text
            self = Lines()
            return done
        }
    }
}
