/// An expression or statement with the span of source it came from.
struct Node {
    var kind: NodeKind
    var span: SourceSpan
}

/// A binary operator of the language. `**` is another spelling of `^` (the parser maps it).
public enum BinaryOperator: String, Sendable, CaseIterable {
    case add = "+", sub = "-", mul = "*", div = "/", floorDiv = "//", mod = "%", pow = "^", matmul = "@"
    case eq = "==", ne = "!=", lt = "<", le = "<=", gt = ">", ge = ">="
}

/// One item of a subscript. A new axis (`None`, `none`) is an `at` whose value is `none`.
enum IndexNode {
    case at(Node)
    case slice(start: Node?, stop: Node?, step: Node?)
    /// `...`: as many whole axes as the other items leave.
    case ellipsis(SourceSpan)
}

/// A call argument, positional or `name=value`.
struct ArgNode {
    var name: String?
    var nameSpan: SourceSpan?
    var value: Node
}

/// A parameter of `fn` or a lambda.
struct ParamNode {
    var name: String
    var span: SourceSpan
    var defaultValue: Node?
}

/// The syntax tree. Statements and expressions share one type: `if` and blocks are expressions.
indirect enum NodeKind {
    case number(Double)
    case imaginary(Double)
    case string(String)
    case bool(Bool)
    case none
    case name(String)
    /// `[a, b; c, d]`: rows of elements; `hasRows` when a `;` was written.
    case matrix(rows: [[Node]], hasRows: Bool)
    case record(fields: [(String, Node)])
    case range(start: Node, stop: Node, step: Node?)
    case unary(op: String, operand: Node)          // "-" or "not"
    case binary(op: BinaryOperator, lhs: Node, rhs: Node)
    case logical(isAnd: Bool, lhs: Node, rhs: Node)
    case call(callee: Node, args: [ArgNode])
    case index(target: Node, items: [IndexNode])
    case field(target: Node, name: String)
    case lambda(params: [ParamNode], body: Node)
    case ifExpr(cond: Node, then: Node, otherwise: Node?)
    case block([Node])
    // Statements
    case assign(target: Node, value: Node)
    /// `a, b = value`: each target (a name, element or field) takes one item of the value.
    case destructure(targets: [Node], value: Node)
    /// `a, b` on the right of `=` or after `return`: a list of the values.
    case tuple([Node])
    case compoundAssign(op: BinaryOperator, target: Node, value: Node)
    case fnDecl(name: String, nameSpan: SourceSpan, params: [ParamNode], body: Node)
    /// `for x in …` or `for a, b in …` (each item unpacked as by `a, b = item`).
    case forLoop(variables: [(name: String, span: SourceSpan)], iterable: Node, body: Node)
    case whileLoop(cond: Node, body: Node)
    case returnStmt(Node?)
    case breakStmt
    case continueStmt
    case help(String)
    /// A node that failed to parse (its errors were reported); never evaluated.
    case error
}

/// A parsed cell: its statements and whether the last line ended with `;`.
struct Program {
    var statements: [Node]
    var suppressDisplay: Bool
    var source: SourceText
}
