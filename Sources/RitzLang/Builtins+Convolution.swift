import RitzAutodiff
import RitzTensor

/// Convolution and pooling layers. Each implementation computes on `RitzAutodiff.Var`, so the
/// same code serves constant tensors and traced values (it is also the entry's differentiation
/// rule), and derivatives come from the rules in `Var+Convolution.swift`.
extension Builtins {
    static var convolution: [BuiltinEntry] {
        let g = "Layers"
        return [
            BuiltinEntry("conv2d", [Param("x"), Param("w"), .keyword("stride", default: .number(1)),
                                    .keyword("pad", default: .number(0)), .keyword("b")], group: g,
                         summary: "2-d cross-correlation (PyTorch/JAX layout) of images x [N, C, H, W] with filters w [O, C, KH, KW] → [N, O, OH, OW]; pad zeros on every side, or \"same\" for ⌈H/stride⌉ outputs; b= a bias [O] added to each filter's map (then kfac_op pairs it with w)",
                         examples: ["x = reshape(digits().x[0:2], -1, 1, 8, 8)   # digits as [N, 1, 8, 8] images\nconv2d(x, ones(4, 1, 3, 3) / 9, pad=\"same\").shape",
                                    "conv2d(reshape(0:16, 1, 1, 4, 4), ones(1, 1, 2, 2), stride=2)"]) { a in
                try value(a.vars("x").conv2d(a.vars("w"), bias: a.has("b") ? a.vars("b") : nil, stride: a.int("stride"),
                                             padding: a.convPadding()))
            },
            BuiltinEntry("conv1d", [Param("x"), Param("w"), .keyword("stride", default: .number(1)),
                                    .keyword("pad", default: .number(0)), .keyword("dilation", default: .number(1))], group: g,
                         summary: "1-d cross-correlation of sequences x [N, C, L] with filters w [O, C, K] → [N, O, OL]; pad zeros at both ends, or \"same\"; dilation spaces the taps",
                         examples: ["conv1d(reshape([1, 2, 3, 4, 5], 1, 1, 5), reshape([1, 0, -1], 1, 1, 3))",
                                    "conv1d(ones(1, 2, 8), ones(3, 2, 3), pad=\"same\", dilation=2).shape"]) { a in
                try value(a.vars("x").conv1d(a.vars("w"), stride: a.int("stride"), padding: a.convPadding(),
                                             dilation: a.int("dilation")))
            },
            BuiltinEntry("maxpool2d", [Param("x"), Param("k"), .keyword("stride")], group: g,
                         summary: "the maximum of each k×k window of images [N, C, H, W] (stride k unless given; no padding); the gradient goes to the first maximum of a window",
                         examples: ["maxpool2d(reshape(0:16, 1, 1, 4, 4), 2)"]) { a in
                try value(a.vars("x").maxPool2d(a.int("k"), stride: a.optionalInt("stride")))
            },
            BuiltinEntry("avgpool2d", [Param("x"), Param("k"), .keyword("stride")], group: g,
                         summary: "the mean of each k×k window of images [N, C, H, W] (stride k unless given; no padding)",
                         examples: ["avgpool2d(reshape(0:16, 1, 1, 4, 4), 2)"]) { a in
                try value(a.vars("x").avgPool2d(a.int("k"), stride: a.optionalInt("stride")))
            },
        ].map { entry in entry.differentiation(.rule(entry.impl)) }
    }

    private static func value(_ x: Var) -> Value { Interpreter.valueOf(x) }
}

extension Args {
    /// The argument `name` as a (possibly traced) `Var`.
    fileprivate func vars(_ name: String) throws -> Var { try Interpreter.varOf(try valueOrThrow(name)) }

    /// The `pad=` argument: a whole number of zeros, or "same".
    ///
    /// - Throws: A `Diagnostic` for any other value.
    fileprivate func convPadding() throws -> ConvPadding {
        if case let .string(s)? = value("pad") {
            guard s == "same" else {
                throw Diagnostic("`pad` of `\(entry.name)` is a number of zeros or \"same\", got \"\(s)\"", span: nil,
                                 help: ["signature: \(entry.signature)"])
            }
            return .same
        }
        return .explicit(try int("pad"))
    }
}
