/// Turns raw terminal input into keys: Esc prefixes become Alt, and bracketed paste
/// (`ESC [200~ … ESC [201~`) becomes one `.paste` event.
///
/// Input arrives as `.code(Int)` for curses function keys and `.character(UInt32)` for text and
/// control characters; this keeps the decoder free of curses so it can be tested.
public struct KeyDecoder: Sendable {
    /// One unit of raw input.
    public enum Raw: Equatable, Sendable {
        case character(UInt32)
        case code(Int)
    }

    /// Curses key codes the decoder needs, passed in so that tests need no curses.
    public struct Codes: Sendable {
        public var up = 0o403, down = 0o402, left = 0o404, right = 0o405
        public var home = 0o406, end = 0o550, backspace = 0o407, delete = 0o512
        public var pageUp = 0o523, pageDown = 0o522, resize = 0o632, backTab = 0o541, enter = 0o527
        public var f0 = 0o410
        public init() {}
    }

    let codes: Codes
    private var pending: [UInt32] = []
    private var pasting = false
    private var pasteBuffer: [UInt32] = []

    /// Creates a decoder.
    ///
    /// - Parameter codes: The terminal library's key codes.
    public init(codes: Codes = Codes()) { self.codes = codes }

    /// True while an Esc sequence is incomplete (the caller may wait briefly for more input).
    public var hasPending: Bool { !pending.isEmpty }

    /// Feeds one raw input and returns the keys it completes.
    ///
    /// - Parameter raw: The input.
    /// - Returns: Zero or more keys.
    public mutating func feed(_ raw: Raw) -> [Key] {
        if pasting {
            if case .character(let c) = raw {
                pasteBuffer.append(c)
                let end: [UInt32] = [27, 91, 50, 48, 49, 126]  // ESC [ 2 0 1 ~
                if pasteBuffer.count >= end.count, Array(pasteBuffer.suffix(end.count)) == end {
                    pasteBuffer.removeLast(end.count)
                    pasting = false
                    let text = String(String.UnicodeScalarView(pasteBuffer.compactMap(Unicode.Scalar.init)))
                    pasteBuffer = []
                    return [.paste(text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n"))]
                }
            } else if case .code(let code) = raw, code == codes.enter {
                pasteBuffer.append(10)
            }
            return []
        }
        switch raw {
        case .code(let code):
            let flushed = flush()
            return flushed + [functionKey(code)].compactMap { $0 }
        case .character(let c):
            if !pending.isEmpty {
                pending.append(c)
                return decodeEscape()
            }
            if c == 27 {
                pending = [27]
                return []
            }
            return [plain(c)].compactMap { $0 }
        }
    }

    /// Ends a lone Esc (or an unfinished sequence) after an input timeout.
    ///
    /// - Returns: The keys the pending input stands for.
    public mutating func flush() -> [Key] {
        guard !pending.isEmpty else { return [] }
        let p = pending
        pending = []
        if p == [27] { return [.escape] }
        if p.count == 2 { return [alt(p[1])] }
        return [.escape]
    }

    private mutating func decodeEscape() -> [Key] {
        let p = pending
        guard p.count >= 2 else { return [] }
        if p[1] != 91 && p[1] != 79 {  // not CSI or SS3: Alt + character
            pending = []
            return [alt(p[1])]
        }
        guard p.count >= 3 else { return [] }
        let last = p[p.count - 1]
        // A CSI sequence ends with a byte in 0x40...0x7E.
        if p[1] == 79 || (0x40...0x7E).contains(last) {
            pending = []
            let body = String(String.UnicodeScalarView(p.dropFirst(2).compactMap(Unicode.Scalar.init)))
            switch body {
            case "200~": pasting = true; pasteBuffer = []; return []
            case "A": return [.up]
            case "B": return [.down]
            case "C": return [.right]
            case "D": return [.left]
            case "H", "1~", "7~": return [.home]
            case "F", "4~", "8~": return [.end]
            case "3~": return [.delete]
            case "5~": return [.pageUp]
            case "6~": return [.pageDown]
            case "Z": return [.backTab]
            case "1;3A", "1;9A": return [.altUp]
            case "1;3B", "1;9B": return [.altDown]
            case "1;5C": return [.ctrlRight]
            case "1;5D": return [.ctrlLeft]
            case "P", "11~": return [.function(1)]
            case "Q", "12~": return [.function(2)]
            case "R", "13~": return [.function(3)]
            case "S", "14~": return [.function(4)]
            case "15~": return [.function(5)]
            default: return []
            }
        }
        if p.count > 16 { pending = [] }
        return []
    }

    private func alt(_ c: UInt32) -> Key {
        if c == 13 || c == 10 { return .altEnter }
        if c == 127 || c == 8 { return .alt("\u{7f}") }
        guard let s = Unicode.Scalar(c) else { return .escape }
        return .alt(Character(s))
    }

    private func plain(_ c: UInt32) -> Key? {
        switch c {
        case 13, 10: return .enter
        case 9: return .tab
        case 127, 8: return .backspace
        case 31: return .ctrl("_")
        case 0: return nil
        case 1...26: return .ctrl(Character(Unicode.Scalar(c + 96) ?? "?"))
        case 28...30: return nil
        default:
            guard let s = Unicode.Scalar(c) else { return nil }
            return .char(Character(s))
        }
    }

    private func functionKey(_ code: Int) -> Key? {
        switch code {
        case codes.up: return .up
        case codes.down: return .down
        case codes.left: return .left
        case codes.right: return .right
        case codes.home: return .home
        case codes.end: return .end
        case codes.backspace: return .backspace
        case codes.delete: return .delete
        case codes.pageUp: return .pageUp
        case codes.pageDown: return .pageDown
        case codes.resize: return .resize
        case codes.backTab: return .backTab
        case codes.enter: return .enter
        case (codes.f0 + 1)...(codes.f0 + 12): return .function(code - codes.f0)
        default: return nil
        }
    }
}
