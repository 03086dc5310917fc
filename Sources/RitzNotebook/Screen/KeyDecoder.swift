/// Turns raw terminal input into keys.
///
/// An Esc before a character or a key sequence means Alt. Key sequences are read by their
/// structure, not from a list of known strings: CSI (`ESC [` parameters, final byte) and SS3
/// (`ESC O` final byte) with xterm's modifier parameter (`ESC [1;5C` is Ctrl-Right,
/// `ESC [3;5~` Ctrl-Delete; see `Key.Modifiers`) and rxvt's forms (`ESC [a` Shift-Up, `ESC Od`
/// Ctrl-Left, `ESC [3^` Ctrl-Delete). Bracketed paste (`ESC [200~ … ESC [201~`) becomes one
/// `.paste` event.
///
/// Input arrives as `.code(Int)` for curses function keys and `.character(UInt32)` for text and
/// control characters; this keeps the decoder free of curses so it can be tested. The codes
/// curses gives modified keys (`kUP3`, `kRIT5`…) depend on the terminal and are resolved by the
/// caller at start-up into `Codes.modified`.
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
        /// The codes the terminal library gave modified navigation keys on this terminal
        /// (terminfo's `kUP3` Alt-Up, `kRIT5` Ctrl-Right, `kDC5` Ctrl-Delete…), with their keys.
        public var modified: [Int: Key] = [:]
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

    /// True when the pending input is a lone Esc.
    ///
    /// A terminal library that decodes keys (curses with `keypad`) hands over an Esc only after
    /// waiting its escape delay for what follows, or together with what followed, so the caller
    /// should take only input already queued before calling `flush()`: waiting again would
    /// stretch the time in which Esc and then a letter read as Alt-letter.
    public var hasLoneEscape: Bool { pending == [Self.esc] }

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
            // An Esc that came with a navigation key is Alt held with it (rxvt sends Alt-Up as
            // ESC ESC [A, and curses decodes the part after the first Esc).
            if hasLoneEscape, let navigation = navigation(forCode: code) {
                pending = []
                return Key(navigation, .alt).map { [$0] } ?? []
            }
            return flush() + (key(forCode: code).map { [$0] } ?? [])
        case .character(let c):
            if !pending.isEmpty {
                pending.append(c)
                return decodeEscape()
            }
            if c == Self.esc {
                pending = [c]
                return []
            }
            return plain(c).map { [$0] } ?? []
        }
    }

    /// Ends a lone Esc (or an unfinished sequence) after an input timeout.
    ///
    /// - Returns: The keys the pending input stands for: Esc for a lone Esc (two for two), Alt
    ///   plus the character for Esc and one character, nothing for an unfinished sequence.
    public mutating func flush() -> [Key] {
        let p = pending
        pending = []
        switch p.count {
        case 0: return []
        case 1: return [.escape]
        case 2: return p[1] == Self.esc ? [.escape, .escape] : [alt(p[1])]
        default: return []
        }
    }

    private static let esc: UInt32 = 0x1B, csi: UInt32 = 0x5B, ss3: UInt32 = 0x4F

    /// Decodes `pending` (an Esc and what followed it) once it holds a whole key.
    private mutating func decodeEscape() -> [Key] {
        // A second Esc before a sequence is Alt held with that key (rxvt: ESC ESC [A).
        let altPrefix = pending.count >= 2 && pending[1] == Self.esc
        let start = altPrefix ? 2 : 1
        guard pending.count > start else { return [] }
        let introducer = pending[start]
        guard introducer == Self.csi || introducer == Self.ss3 else {
            if introducer == Self.esc {  // a third Esc: the first was a key of its own
                pending.removeFirst()
                return [.escape]
            }
            pending = []
            return altPrefix ? [.escape, alt(introducer)] : [alt(introducer)]
        }
        guard pending.count > start + 1, let last = pending.last else { return [] }
        guard (0x20...0x7E).contains(last) else {
            // No sequence holds a control character or non-ASCII text: the sequence was broken
            // off. Drop it and read the character afresh.
            pending = []
            return feed(.character(last))
        }
        // A sequence ends with a byte in 0x40...0x7E (ECMA-48 § 5.4), or rxvt's `$`.
        guard (0x40...0x7E).contains(last) || last == 0x24 else {
            if pending.count > 32 { pending = [] }
            return []
        }
        let parameters = Array(pending[(start + 1)..<(pending.count - 1)])
        pending = []
        if introducer == Self.csi, last == 0x7E, parameters == [0x32, 0x30, 0x30] {  // 200~
            pasting = true
            pasteBuffer = []
            return []
        }
        let key = sequenceKey(csi: introducer == Self.csi, parameters: parameters, final: last,
                              held: altPrefix ? .alt : [])
        return key.map { [$0] } ?? []
    }

    /// The key a CSI or SS3 sequence stands for, or nil when it stands for nothing here.
    ///
    /// Letter keys (`ESC [1;5C`, `ESC OA`) carry the modifier parameter last; numbered keys
    /// (`ESC [3;5~`) carry the key number first and the modifier second (xterm's ctlseqs,
    /// "PC-Style Function Keys"). rxvt ends numbered keys with `$` for Shift, `^` for Ctrl and
    /// `@` for both, and sends Shift-arrows as `ESC [a`…`ESC [d`, Ctrl-arrows as `ESC Oa`…`ESC Od`.
    ///
    /// - Parameters:
    ///   - csi: True for CSI (`ESC [`), false for SS3 (`ESC O`).
    ///   - parameters: The bytes between the introducer and the final byte (`1;5` in `ESC [1;5C`).
    ///   - final: The final byte.
    ///   - held: Modifiers known from elsewhere (Alt, when an Esc came first).
    /// - Returns: The key, or nil.
    private func sequenceKey(csi: Bool, parameters: [UInt32], final: UInt32, held: Key.Modifiers) -> Key? {
        // Decimal numbers separated by `;`; an empty one is the default. Anything else (`?`,
        // `:` sub-parameters, private markers) belongs to no key sequence decoded here.
        var numbers: [Int?] = []
        for field in parameters.split(separator: 0x3B, omittingEmptySubsequences: false) {
            guard field.count <= 5, field.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
            numbers.append(field.isEmpty ? nil : field.reduce(0) { $0 * 10 + Int($1 - 0x30) })
        }
        guard let scalar = Unicode.Scalar(final) else { return nil }
        // A character key with modifiers: `ESC [code;mod u` (fixterms, kitty) or
        // `ESC [27;mod;code~` (xterm's modifyOtherKeys).
        if csi, final == 0x75, (1...2).contains(numbers.count), let code = numbers[0] {
            return Self.modifiedCharacter(code: code, parameter: numbers.count > 1 ? numbers[1] ?? 1 : 1)
        }
        if csi, final == 0x7E, numbers.count == 3, numbers[0] == 27, let parameter = numbers[1], let code = numbers[2] {
            return Self.modifiedCharacter(code: code, parameter: parameter)
        }
        var modifiers = held
        let target: Target
        switch (csi, Character(scalar)) {
        case (true, "~"), (true, "$"), (true, "^"), (true, "@"):
            guard let number = numbers.first ?? nil, let key = Self.numberedKeys[number],
                  let parameter = Key.Modifiers(xtermParameter: numbers.count > 1 ? numbers[1] ?? 1 : 1)
            else { return nil }
            modifiers.formUnion(parameter)
            switch final {
            case 0x24: modifiers.insert(.shift)
            case 0x5E: modifiers.insert(.control)
            case 0x40: modifiers.formUnion([.control, .shift])
            default: break
            }
            target = key
        case (_, let letter):
            guard numbers.count <= 2, let parameter = Key.Modifiers(xtermParameter: (numbers.last ?? nil) ?? 1),
                  let key = Self.letterKeys[letter] ?? (csi ? Self.csiLetterKeys[letter] : Self.ss3LetterKeys[letter])
            else { return nil }
            modifiers.formUnion(parameter)
            target = key
        }
        switch target {
        case .navigation(let navigation, let implied): return Key(navigation, modifiers.union(implied))
        case .key(let key): return modifiers.subtracting(.shift).isEmpty ? key : nil
        case .function(let n): return modifiers.isEmpty ? .function(n) : nil
        }
    }

    /// The key a character reported with modifiers stands for, or nil when nothing uses it.
    ///
    /// - Parameters:
    ///   - code: The character's code point (13 Enter, 45 `-`, 95 `_`).
    ///   - parameter: xterm's modifier parameter (2 Shift, 6 Shift-Ctrl).
    /// - Returns: `.shiftEnter`, `.ctrlShiftMinus`, `.enter` for an unmodified Enter, or nil.
    static func modifiedCharacter(code: Int, parameter: Int) -> Key? {
        guard let modifiers = Key.Modifiers(xtermParameter: parameter) else { return nil }
        switch (code, modifiers) {
        case (13, []): return .enter
        case (13, .shift): return .shiftEnter
        case (45, [.control, .shift]), (95, [.control, .shift]): return .ctrlShiftMinus
        default: return nil
        }
    }

    /// What a sequence names before its modifiers are applied.
    private enum Target {
        /// A navigation key, with the modifiers its form implies (rxvt's Ctrl-arrows).
        case navigation(Key.Navigation, Key.Modifiers)
        /// A key that ignores Shift (Shift-Tab is already shifted, keypad keys).
        case key(Key)
        /// F1…F12, which mean nothing with modifiers.
        case function(Int)
    }

    /// Final letters of both CSI and SS3 forms.
    private static let letterKeys: [Character: Target] = [
        "A": .navigation(.up, []), "B": .navigation(.down, []), "C": .navigation(.right, []),
        "D": .navigation(.left, []), "H": .navigation(.home, []), "F": .navigation(.end, []),
        "P": .function(1), "Q": .function(2), "R": .function(3), "S": .function(4),
    ]

    /// Final letters of CSI only: Shift-Tab, rxvt's Shift-arrows.
    private static let csiLetterKeys: [Character: Target] = [
        "Z": .key(.backTab),
        "a": .navigation(.up, .shift), "b": .navigation(.down, .shift),
        "c": .navigation(.right, .shift), "d": .navigation(.left, .shift),
    ]

    /// Final letters of SS3 only: rxvt's Ctrl-arrows, and the numeric keypad in application
    /// mode (which `smkx` turns on for some terminals, `screen` among them).
    private static let ss3LetterKeys: [Character: Target] = [
        "a": .navigation(.up, .control), "b": .navigation(.down, .control),
        "c": .navigation(.right, .control), "d": .navigation(.left, .control),
        "M": .key(.enter), "p": .key(.char("0")), "q": .key(.char("1")), "r": .key(.char("2")),
        "s": .key(.char("3")), "t": .key(.char("4")), "u": .key(.char("5")), "v": .key(.char("6")),
        "w": .key(.char("7")), "x": .key(.char("8")), "y": .key(.char("9")), "k": .key(.char("+")),
        "m": .key(.char("-")), "j": .key(.char("*")), "o": .key(.char("/")), "n": .key(.char(".")),
        "X": .key(.char("=")), "l": .key(.char(",")),
    ]

    /// Key numbers of `ESC [n~` (VT220): 1 and 7 Home, 4 and 8 End (rxvt), 3 Delete, 5 PgUp,
    /// 6 PgDn, 11…24 the function keys, skipping 16 and 22.
    private static let numberedKeys: [Int: Target] = [
        1: .navigation(.home, []), 7: .navigation(.home, []), 4: .navigation(.end, []), 8: .navigation(.end, []),
        3: .navigation(.delete, []), 5: .navigation(.pageUp, []), 6: .navigation(.pageDown, []),
        11: .function(1), 12: .function(2), 13: .function(3), 14: .function(4), 15: .function(5),
        17: .function(6), 18: .function(7), 19: .function(8), 20: .function(9), 21: .function(10),
        23: .function(11), 24: .function(12),
    ]

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

    /// The navigation key a curses code stands for, if it is one.
    private func navigation(forCode code: Int) -> Key.Navigation? {
        switch code {
        case codes.up: return .up
        case codes.down: return .down
        case codes.left: return .left
        case codes.right: return .right
        case codes.home: return .home
        case codes.end: return .end
        case codes.delete: return .delete
        case codes.pageUp: return .pageUp
        case codes.pageDown: return .pageDown
        default: return nil
        }
    }

    /// The key a curses code stands for.
    private func key(forCode code: Int) -> Key? {
        if let navigation = navigation(forCode: code) { return navigation.key }
        switch code {
        case codes.backspace: return .backspace
        case codes.resize: return .resize
        case codes.backTab: return .backTab
        case codes.enter: return .enter
        case (codes.f0 + 1)...(codes.f0 + 12): return .function(code - codes.f0)
        default: return codes.modified[code]
        }
    }
}
