/// A recursive-descent parser with Pratt precedence climbing for expressions.
///
/// Errors are collected (panic-mode recovery skips to the next statement), so one cell can
/// report several. Nesting deeper than `maxDepth` stops parsing with one error instead of
/// exhausting the stack.
struct Parser {
    /// Deepest nesting of brackets, blocks and prefix operators the parser accepts.
    static let maxDepth = 1000

    let source: SourceText
    let tokens: [Token]
    private(set) var pos = 0
    private var depth = 0
    private var aborted = false
    /// Set by an unclosed-bracket error: the lexer hid the newlines after it, so recovery
    /// resumes at the next token that starts a line.
    private var resyncAtLine = false
    private(set) var diagnostics: [Diagnostic] = []

    /// A parse error that unwinds to the statement being parsed.
    private struct Failure: Error {}

    init(_ source: SourceText) {
        self.source = source
        self.tokens = Lexer.tokenize(source)
    }

    /// Parses a whole cell.
    ///
    /// - Parameter source: The cell's text.
    /// - Returns: The program and the parse errors (the program is not run when there are any).
    static func parse(_ source: SourceText) -> (program: Program, errors: [Diagnostic]) {
        var p = Parser(source)
        let program = p.parseProgram()
        return (program, p.diagnostics)
    }

    // MARK: - Token helpers

    var current: Token { tokens[pos] }
    private var prevEnd: Int { pos > 0 ? tokens[pos - 1].end : 0 }
    func peek(_ k: Int = 1) -> Token { tokens[Swift.min(pos + k, tokens.count - 1)] }
    private mutating func advance() -> Token {
        let t = tokens[pos]
        if pos < tokens.count - 1 { pos += 1 }
        return t
    }
    private func span(_ start: Int) -> SourceSpan { SourceSpan(source, start, prevEnd) }
    private func tokSpan(_ t: Token) -> SourceSpan { SourceSpan(source, t.start, t.end) }
    var atEOF: Bool { if case .eof = current.kind { return true }; return false }
    var atNewline: Bool { if case .newline = current.kind { return true }; return false }
    func atOp(_ s: String) -> Bool { current.isOp(s) }

    private mutating func fail(_ message: String, at t: Token, help: [String] = []) -> Failure {
        let help = transposeQuoteHelp(t) + characterHelp(t) + help
        if case let .invalid(m) = t.kind {
            diagnostics.append(Diagnostic(m, span: tokSpan(t), help: help))
        } else {
            diagnostics.append(Diagnostic(message, span: tokSpan(t), help: help))
        }
        return Failure()
    }

    private mutating func expectOp(_ s: String, opener: Token? = nil, context: String) throws {
        if atOp(s) { _ = advance(); return }
        if let opener {
            let (l, c) = source.location(of: opener.start)
            if atEOF || startsNewLine(current) {
                resyncAtLine = true
                diagnostics.append(Diagnostic("unclosed `\(source.slice(opener.start, opener.end))`", span: tokSpan(opener),
                                              help: ["this `\(source.slice(opener.start, opener.end))` at line \(l), col \(c) is never closed; add `\(s)`"]))
                throw Failure()
            }
            throw fail("expected `\(s)` \(context), found \(current.describe)", at: current,
                       help: ["to close the `\(source.slice(opener.start, opener.end))` opened at line \(l), col \(c)"])
        }
        throw fail("expected `\(s)` \(context), found \(current.describe)", at: current)
    }

    /// True when `t` is the first token on its line (a sign that a bracket was left open).
    private func startsNewLine(_ t: Token) -> Bool {
        pos > 0 && source.lineIndex(of: t.start) != source.lineIndex(of: tokens[pos - 1].end)
    }

    private mutating func skipNewlines() { while atNewline || atOp(";") { _ = advance() } }

    private mutating func enter() throws {
        depth += 1
        if depth > Parser.maxDepth {
            if !aborted {
                aborted = true
                diagnostics.append(Diagnostic("nesting too deep (more than \(Parser.maxDepth) levels)", span: tokSpan(current),
                                              help: ["split the expression into several statements"]))
            }
            throw Failure()
        }
    }

    // MARK: - Statements

    private mutating func parseProgram() -> Program {
        var statements: [Node] = []
        var suppress = false
        while true {
            while atNewline || atOp(";") { _ = advance() }
            if atEOF || aborted { break }
            if atOp("}") {
                _ = fail("unmatched `}`", at: current)
                _ = advance()
                continue
            }
            let before = pos
            do {
                let s = try parseStatement()
                statements.append(s)
                suppress = false
                if atOp(";") { suppress = true; _ = advance() }
                else if !(atNewline || atEOF) {
                    throw fail("expected end of statement, found \(current.describe)", at: current, help: Parser.foreignStatementHelp(s))
                }
            } catch {
                if aborted { break }
                if pos == before { _ = advance() }  // always make progress
                synchronize()
            }
        }
        // `;` on the last line suppresses display only when nothing but newlines follows it.
        return Program(statements: statements, suppressDisplay: suppress && trailingSemicolon(), source: source)
    }

    private func trailingSemicolon() -> Bool {
        var k = tokens.count - 1
        while k >= 0 {
            switch tokens[k].kind {
            case .eof, .newline: k -= 1
            case .op(";"): return true
            default: return false
            }
        }
        return false
    }

    /// Skips to the next statement boundary at the current brace level.
    private mutating func synchronize() {
        var braces = 0
        // Stays set for the rest of the cell: the lexer keeps hiding newlines after an unclosed bracket.
        let atLine = resyncAtLine
        while !atEOF {
            if braces == 0 && (atNewline || atOp(";")) { return }
            if atLine && braces == 0 && startsNewLine(current) { return }
            if atOp("{") { braces += 1 }
            if atOp("}") {
                if braces == 0 { return }
                braces -= 1
            }
            _ = advance()
        }
    }

    private mutating func parseStatement() throws -> Node {
        let t = current
        switch t.kind {
        case .keyword(.fn) where { if case .identifier = peek().kind { return true }; return false }():
            _ = advance()
            let nameTok = advance()
            guard case let .identifier(name) = nameTok.kind else { throw fail("expected a function name", at: nameTok) }
            let params = try parseParamList()
            let body = try parseBlock()
            return Node(kind: .fnDecl(name: name, nameSpan: tokSpan(nameTok), params: params, body: body), span: span(t.start))
        case .keyword(.for):
            _ = advance()
            var variables: [(name: String, span: SourceSpan)] = []
            repeat {
                if !variables.isEmpty { _ = advance() } // `,`
                let vTok = advance()
                guard case let .identifier(name) = vTok.kind else { throw fail("expected a loop variable after `for`", at: vTok) }
                if variables.contains(where: { $0.name == name }) {
                    diagnostics.append(Diagnostic("duplicate loop variable `\(name)`", span: tokSpan(vTok)))
                }
                variables.append((name, tokSpan(vTok)))
            } while atOp(",")
            guard current.isKeyword(.in) else {
                throw fail("expected `in` after `for \(variables.map(\.name).joined(separator: ", "))`", at: current,
                           help: loopHelp())
            }
            _ = advance()
            let iter = try parseExpression(0)
            let body = try parseBlock()
            return Node(kind: .forLoop(variables: variables, iterable: iter, body: body), span: span(t.start))
        case .keyword(.while):
            _ = advance()
            let cond = try parseExpression(0)
            let body = try parseBlock()
            return Node(kind: .whileLoop(cond: cond, body: body), span: span(t.start))
        case .keyword(.return):
            _ = advance()
            if atNewline || atEOF || atOp(";") || atOp("}") {
                return Node(kind: .returnStmt(nil), span: span(t.start))
            }
            let v = try parseTupleValue()
            return Node(kind: .returnStmt(v), span: span(t.start))
        case .keyword(.break):
            _ = advance(); return Node(kind: .breakStmt, span: tokSpan(t))
        case .keyword(.continue):
            _ = advance(); return Node(kind: .continueStmt, span: tokSpan(t))
        default:
            let e = try parseExpression(0)
            if atOp(",") {
                // `a, b = value` destructures; `a, b` alone is a tuple (a list of the values).
                var targets = [e]
                while atOp(",") {
                    _ = advance()
                    targets.append(try parseExpression(0))
                }
                guard atOp("=") else { return Node(kind: .tuple(targets), span: span(t.start)) }
                let eq = advance()
                for target in targets { try checkTarget(target, eq) }
                let v = try parseTupleValue()
                return Node(kind: .destructure(targets: targets, value: v), span: span(t.start))
            }
            if atOp("=") {
                let eq = advance()
                try checkTarget(e, eq)
                let v = try parseTupleValue()
                return Node(kind: .assign(target: e, value: v), span: span(t.start))
            }
            for (s, op) in [("+=", BinaryOperator.add), ("-=", .sub), ("*=", .mul), ("/=", .div), ("**=", .pow), ("//=", .floorDiv)] where atOp(s) {
                let eq = advance()
                try checkTarget(e, eq)
                let v = try parseExpression(0)
                return Node(kind: .compoundAssign(op: op, target: e, value: v), span: span(t.start))
            }
            return e
        }
    }

    /// An expression, or several separated by `,` (a tuple, `b, a`), as the right of `=` and
    /// after `return` take them.
    private mutating func parseTupleValue() throws -> Node {
        let first = try parseExpression(0)
        guard atOp(",") else { return first }
        var items = [first]
        while atOp(",") {
            _ = advance()
            items.append(try parseExpression(0))
        }
        return Node(kind: .tuple(items), span: span(first.span.start))
    }

    private mutating func checkTarget(_ e: Node, _ eq: Token) throws {
        // A place: a name, or fields and elements of a place (`x`, `x[i]`, `r.a`, `m.params[0]`).
        var node = e
        while true {
            switch node.kind {
            case .name: return
            case let .index(target, _): node = target; continue
            case let .field(target, _): node = target; continue
            default: break
            }
            break
        }
        diagnostics.append(Diagnostic("cannot assign to this expression", span: e.span,
                                      help: ["assign to a name (`x = …`), an element (`x[i] = …`) or a field (`r.a = …`); use `==` to compare"]))
        throw Failure()
    }

    private mutating func parseBlock() throws -> Node {
        try enter()
        defer { depth -= 1 }
        while atNewline { _ = advance() }
        let open = current
        guard atOp("{") else {
            throw fail("expected `{`, found \(current.describe)", at: current,
                       help: ["a body is written in braces (not after a colon): `if c { … }`, `for i in 0:n { … }`, `fn f(x) { … }`"])
        }
        _ = advance()
        var statements: [Node] = []
        var hadError = false
        while true {
            skipNewlines()
            if atOp("}") { _ = advance(); break }
            if atEOF {
                diagnostics.append(Diagnostic("unclosed `{`", span: tokSpan(open), help: ["this `{` is never closed; add `}`"]))
                throw Failure()
            }
            let before = pos
            do {
                statements.append(try parseStatement())
                if !(atNewline || atOp(";") || atOp("}")) {
                    throw fail("expected end of statement, found \(current.describe)", at: current, help: Parser.foreignStatementHelp(statements.last))
                }
            } catch {
                if aborted { throw error }
                hadError = true
                if pos == before { _ = advance() }  // always make progress
                synchronize()
            }
        }
        let node = Node(kind: .block(statements), span: span(open.start))
        return hadError ? Node(kind: .error, span: node.span) : node
    }

    private mutating func parseParamList() throws -> [ParamNode] {
        let open = current
        try expectOp("(", context: "to start the parameter list")
        var params: [ParamNode] = []
        while !atOp(")") {
            let t = advance()
            guard case let .identifier(name) = t.kind else {
                throw fail("expected a parameter name, found \(t.describe)", at: t)
            }
            var dflt: Node?
            if atOp("=") { _ = advance(); dflt = try parseExpression(0) }
            if params.contains(where: { $0.name == name }) {
                diagnostics.append(Diagnostic("duplicate parameter `\(name)`", span: tokSpan(t)))
            }
            params.append(ParamNode(name: name, span: tokSpan(t), defaultValue: dflt))
            if atOp(",") { _ = advance() } else { break }
        }
        try expectOp(")", opener: open, context: "to end the parameter list")
        return params
    }

    // MARK: - Expressions

    private static func infixPrecedence(_ t: Token) -> Int? {
        switch t.kind {
        case let .op(o):
            switch o {
            case "|>": return 1
            case "==", "!=", "<", "<=", ">", ">=": return 6
            case ":": return 7
            case "+", "-": return 8
            case "*", "/", "//", "%", "@": return 9
            case "^", "**": return 11
            case "(", "[", ".": return 12
            default: return nil
            }
        case .keyword(.or): return 3
        case .keyword(.and): return 4
        default: return nil
        }
    }

    /// Parses an expression whose operators bind at least as tightly as `minPrec`.
    private mutating func parseExpression(_ minPrec: Int, allowRange: Bool = true) throws -> Node {
        try enter()
        defer { depth -= 1 }
        var lhs = try parsePrefix(minPrec)
        while let prec = Parser.infixPrecedence(current), prec >= minPrec {
            let t = current
            let start = lhs.span.start
            switch t.kind {
            case .op("|>"):
                _ = advance()
                let rhs = try parseExpression(2)
                if case let .call(callee, args) = rhs.kind {
                    lhs = Node(kind: .call(callee: callee, args: [ArgNode(name: nil, value: lhs)] + args), span: span(start))
                } else {
                    lhs = Node(kind: .call(callee: rhs, args: [ArgNode(name: nil, value: lhs)]), span: span(start))
                }
            case .keyword(.or), .keyword(.and):
                _ = advance()
                let rhs = try parseExpression(prec + 1)
                lhs = Node(kind: .logical(isAnd: t.isKeyword(.and), lhs: lhs, rhs: rhs), span: span(start))
            case .op(":"):
                if !allowRange { return lhs }
                _ = advance()
                let stop = try parseExpression(8)
                var step: Node?
                if atOp(":") { _ = advance(); step = try parseExpression(8) }
                lhs = Node(kind: .range(start: lhs, stop: stop, step: step), span: span(start))
                if atOp(":") { throw fail("a range has at most three parts, `start:stop:step`", at: current) }
            case .op("("):
                lhs = try parseCall(lhs)
            case .op("["):
                lhs = try parseIndex(lhs)
            case .op("."):
                _ = advance()
                let nameTok = advance()
                guard case let .identifier(name) = nameTok.kind else {
                    throw fail("expected a field name after `.`, found \(nameTok.describe)", at: nameTok)
                }
                lhs = Node(kind: .field(target: lhs, name: name), span: span(start))
            case let .op(o):
                guard let op = o == "**" ? .pow : BinaryOperator(rawValue: o) else { return lhs }
                _ = advance()
                // `^` is right-associative; everything else left-associative. Comparisons do not chain.
                let rhs = try parseExpression(op == .pow ? prec : prec + 1)
                lhs = Node(kind: .binary(op: op, lhs: lhs, rhs: rhs), span: span(start))
                if prec == 6, let p2 = Parser.infixPrecedence(current), p2 == 6 {
                    throw fail("comparisons do not chain; write `a < b and b < c`", at: current)
                }
            default:
                return lhs
            }
        }
        return lhs
    }

    private mutating func parsePrefix(_ minPrec: Int) throws -> Node {
        let t = current
        switch t.kind {
        case .keyword(.not):
            _ = advance()
            let operand = try parseExpression(6)
            return Node(kind: .unary(op: "not", operand: operand), span: span(t.start))
        case .op("-"), .op("+"):
            _ = advance()
            let operand = try parseExpression(11)
            if t.isOp("+") { return operand }
            if case let .number(v) = operand.kind { return Node(kind: .number(-v), span: span(t.start)) }
            return Node(kind: .unary(op: "-", operand: operand), span: span(t.start))
        default:
            return try parsePrimary()
        }
    }

    private mutating func parsePrimary() throws -> Node {
        let t = current
        switch t.kind {
        case let .number(v): _ = advance(); return Node(kind: .number(v), span: tokSpan(t))
        case let .imaginary(v): _ = advance(); return Node(kind: .imaginary(v), span: tokSpan(t))
        case let .string(s): _ = advance(); return Node(kind: .string(s), span: tokSpan(t))
        case .keyword(.true): _ = advance(); return Node(kind: .bool(true), span: tokSpan(t))
        case .keyword(.false): _ = advance(); return Node(kind: .bool(false), span: tokSpan(t))
        case .keyword(.none): _ = advance(); return Node(kind: .none, span: tokSpan(t))
        case let .identifier(name):
            if ["f", "F", "rf", "fr"].contains(name), case .string = peek(1).kind, peek(1).start == t.end {
                throw fail("ritz has no f-strings", at: t,
                           help: ["write format(\"value %g\", x), or \"value \" + string(x)"])
            }
            _ = advance()
            if atOp("->") {
                return try parseLambdaBody([ParamNode(name: name, span: tokSpan(t), defaultValue: nil)], start: t.start)
            }
            return Node(kind: .name(name), span: tokSpan(t))
        case .op("("):
            return try parseParen()
        case .op("["):
            return try parseMatrix()
        case .op("{"):
            if looksLikeDictionary {
                throw fail("`{key: value, …}` is not a record: ritz writes records with parentheses, (key=value, …)", at: current,
                           help: ["e.g. p = (w=randn([64, 10]), b=zeros([10])); braces hold a block of statements"])
            }
            return try parseBlock()
        case .keyword(.if):
            return try parseIf()
        case .keyword(.fn):
            _ = advance()
            let params = try parseParamList()
            let body = try parseBlock()
            return Node(kind: .lambda(params: params, body: body), span: span(t.start))
        case .op("?"):
            _ = advance()
            let nameTok = advance()
            switch nameTok.kind {
            case let .identifier(n): return Node(kind: .help(n), span: span(t.start))
            case let .keyword(k): return Node(kind: .help(k.rawValue), span: span(t.start))
            default: throw fail("expected a name after `?`", at: nameTok)
            }
        case .eof:
            throw fail("expected an expression, found end of input", at: t, help: incrementHelp())
        case .op("*"), .op("**"):
            throw fail("expected an expression, found \(t.describe)", at: t,
                       help: ["`*` multiplies two values; a power is written `x ^ 2` or `x ** 2`"])
        default:
            throw fail("expected an expression, found \(t.describe)", at: t, help: incrementHelp())
        }
    }

    private mutating func parseLambdaBody(_ params: [ParamNode], start: Int) throws -> Node {
        _ = advance() // ->
        let body = try parseExpression(2)
        return Node(kind: .lambda(params: params, body: body), span: span(start))
    }

    private mutating func parseIf() throws -> Node {
        let t = advance()
        let cond = try parseExpression(1)
        let then = try parseBlock()
        var otherwise: Node?
        // `else` may follow on the next line.
        var k = pos
        while case .newline = tokens[k].kind, k < tokens.count - 1 { k += 1 }
        if tokens[k].isKeyword(.else) {
            pos = k
            _ = advance()
            otherwise = current.isKeyword(.if) ? try parseIf() : try parseBlock()
        }
        return Node(kind: .ifExpr(cond: cond, then: then, otherwise: otherwise), span: span(t.start))
    }

    private mutating func parseParen() throws -> Node {
        let open = advance()
        var items: [(name: String?, nameTok: Token?, value: Node)] = []
        var sawComma = false
        while !atOp(")") {
            if atEOF { break }
            if case let .identifier(n) = current.kind, peek().isOp("=") {
                let nt = advance(); _ = advance()
                items.append((n, nt, try parseExpression(0)))
            } else {
                items.append((nil, nil, try parseExpression(0)))
            }
            if atOp(",") { _ = advance(); sawComma = true } else { break }
        }
        try expectOp(")", opener: open, context: "to close the parenthesis")
        if atOp("->") {
            var params: [ParamNode] = []
            for item in items {
                if let n = item.name, let nt = item.nameTok {
                    params.append(ParamNode(name: n, span: tokSpan(nt), defaultValue: item.value))
                } else if case let .name(n) = item.value.kind {
                    params.append(ParamNode(name: n, span: item.value.span, defaultValue: nil))
                } else {
                    diagnostics.append(Diagnostic("expected a parameter name", span: item.value.span))
                    throw Failure()
                }
            }
            return try parseLambdaBody(params, start: open.start)
        }
        if items.isEmpty {
            throw fail("empty parentheses are not a value", at: open, help: ["write `() -> …` for a function of no arguments"])
        }
        if items.count == 1 && items[0].name == nil && !sawComma {
            var inner = items[0].value
            inner.span = span(open.start)
            return inner
        }
        if items.allSatisfy({ $0.name == nil }) {
            // `(a, b)` and `(x,)`: a tuple, held as a list.
            return Node(kind: .tuple(items.map(\.value)), span: span(open.start))
        }
        var fields: [(String, Node)] = []
        for item in items {
            guard let n = item.name else {
                diagnostics.append(Diagnostic("a record needs `name=value` fields", span: item.value.span,
                                              help: ["write `(a=1, b=2)`; for a tuple of values leave every name out, `(a, b)`"]))
                throw Failure()
            }
            if fields.contains(where: { $0.0 == n }), let nt = item.nameTok {
                diagnostics.append(Diagnostic("duplicate field `\(n)`", span: tokSpan(nt)))
            }
            fields.append((n, item.value))
        }
        return Node(kind: .record(fields: fields), span: span(open.start))
    }

    private mutating func parseMatrix() throws -> Node {
        let open = advance()
        var rows: [[Node]] = [[]]
        var hasRows = false
        while !atOp("]") {
            if atEOF { break }
            if atOp(";") {
                _ = advance(); hasRows = true; rows.append([]); continue
            }
            rows[rows.count - 1].append(try parseExpression(0))
            if atOp(",") { _ = advance(); continue }
            if atOp(";") || atOp("]") { continue }
            if atEOF || startsNewLine(current) { break }
            throw fail("expected `,`, `;` or `]` in a bracket literal, found \(current.describe)", at: current,
                       help: spacedElementsHelp() + ["the `[` opened at line \(source.location(of: open.start).line), col \(source.location(of: open.start).col)"])
        }
        try expectOp("]", opener: open, context: "to close the bracket")
        rows = rows.filter { !$0.isEmpty }
        if rows.isEmpty { rows = [[]] }
        return Node(kind: .matrix(rows: rows, hasRows: hasRows), span: span(open.start))
    }

    private mutating func parseCall(_ callee: Node) throws -> Node {
        let open = advance()
        var args: [ArgNode] = []
        while !atOp(")") {
            if atEOF { break }
            if case let .identifier(n) = current.kind, peek().isOp("=") {
                let nt = advance(); _ = advance()
                args.append(ArgNode(name: n, nameSpan: tokSpan(nt), value: try parseExpression(0)))
            } else {
                args.append(ArgNode(name: nil, value: try parseExpression(0)))
            }
            if atOp(",") { _ = advance() } else { break }
        }
        try expectOp(")", opener: open, context: "to close the argument list")
        return Node(kind: .call(callee: callee, args: args), span: span(callee.span.start))
    }

    private mutating func parseIndex(_ target: Node) throws -> Node {
        let open = advance()
        var items: [IndexNode] = []
        while !atOp("]") {
            if atEOF { break }
            if atOp("...") {
                items.append(.ellipsis(tokSpan(advance())))
                if atOp(",") { _ = advance(); continue } else { break }
            }
            if case .identifier("None") = current.kind, peek().isOp(",") || peek().isOp("]") {
                // NumPy's `None` (ritz's `none`): a new axis of length 1.
                items.append(.at(Node(kind: .none, span: tokSpan(advance()))))
                if atOp(",") { _ = advance(); continue } else { break }
            }
            var startNode: Node?
            if !atOp(":") { startNode = try parseExpression(1, allowRange: false) }
            if atOp(":") {
                _ = advance()
                var stop: Node?, step: Node?
                if !atOp(":") && !atOp(",") && !atOp("]") { stop = try parseExpression(1, allowRange: false) }
                if atOp(":") {
                    _ = advance()
                    if !atOp(",") && !atOp("]") { step = try parseExpression(1, allowRange: false) }
                }
                items.append(.slice(start: startNode, stop: stop, step: step))
            } else if let s = startNode {
                items.append(.at(s))
            }
            if atOp(",") { _ = advance() } else { break }
        }
        try expectOp("]", opener: open, context: "to close the index")
        if items.isEmpty { throw fail("empty index `[]`", at: tokens[pos - 1]) }
        return Node(kind: .index(target: target, items: items), span: span(target.span.start))
    }
}
