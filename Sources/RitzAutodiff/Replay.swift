import RitzTensor

/// What a recorded application gives a replay: its primitive's kernel at the shapes it was
/// recorded at. Adopted by the object a rule keeps of its forward pass, so recording makes no
/// object for it; the kernel is made only when a replay is built and holds no tensor of the
/// recording.
protocol ReplaySource: AnyObject {
    /// The kernel, or nil when this application cannot be replayed.
    func replayKernel() -> (any ReplayKernel)?
}

/// The buffers one replayed application reads and writes.
struct ReplayFrame {
    /// The operands' values, in the node's operand order.
    let operands: UnsafePointer<UnsafePointer<Double>>
    /// The result's values (``ReplayKernel/outputCount``).
    let output: UnsafeMutablePointer<Double>
    /// The kernel's own space kept from its forward pass to its backward pass
    /// (``ReplayKernel/keptCount`` doubles).
    let kept: UnsafeMutablePointer<Double>
    /// Scratch space (``ReplayKernel/scratchCount`` doubles), arbitrary on entry.
    let scratch: UnsafeMutablePointer<Double>
    /// The batch's targets, for a kernel that reads them (``ReplayKernel/targetCount``): class
    /// labels, one per position, for a classification loss.
    let targets: UnsafeBufferPointer<Double>
}

/// One primitive's forward pass and VJP as passes over raw buffers, at the shapes of the
/// application it was made from: the same passes (the same kernels, in the same order) its rule
/// runs outside a recording, so a replay gives the bytes an eager step gives.
protocol ReplayKernel: AnyObject {
    /// Elements of the result.
    var outputCount: Int { get }
    /// Doubles the forward pass keeps for the backward pass.
    var keptCount: Int { get }
    /// Doubles of scratch space either pass needs.
    var scratchCount: Int { get }
    /// How many of the batch's targets the kernel reads from its frame (a loss against class
    /// labels), 0 for none.
    var targetCount: Int { get }

    /// Writes the result of the operands into `frame.output`.
    ///
    /// - Throws: `TensorError.invalidArgument` for labels that do not fit.
    func forward(_ frame: ReplayFrame) throws

    /// The operands' cotangents for the cotangent `g` of the result, which the pass may
    /// overwrite: operand j's into `cotangents[j]` (all of it written) where that is not nil.
    func backward(_ g: UnsafeMutablePointer<Double>, _ frame: ReplayFrame,
                  into cotangents: UnsafePointer<UnsafeMutablePointer<Double>?>)
}

/// A recorded loss and its gradient, replayed at new parameters and a new batch of the recorded
/// shapes into the buffers of the first replay: a training step that takes no memory and makes
/// no object.
///
/// Built from a ``Linearization`` whose nodes between the parameters and the loss each have a
/// replay (``Rule/replay``). The parameter variables read the caller's flat parameters in place;
/// a constant operand that held the recorded batch's inputs (or targets) reads the new ones;
/// other constants are copied once. The forward pass runs the nodes' kernels in recorded order;
/// the backward pass runs them in reverse, each operand's cotangent written where it is first
/// reached and added to where it is reached again, in the order the tape's sweep adds them. The
/// results are the recording's: the same kernels on the same values give the same bytes.
public final class GradientReplay {
    /// Where an operand's values come from on each run.
    private enum Source {
        /// The result of step `index`.
        case step(Int)
        /// Parameters `offset ..< offset + count` of the flat parameters.
        case parameter(offset: Int)
        /// The batch's inputs.
        case inputs
        /// The batch's targets.
        case targets
        /// A constant, copied into the arena at `offset`.
        case constant(offset: Int)
    }

    /// One node replayed.
    private struct Step {
        let kernel: any ReplayKernel
        /// Arena offsets of the result, its cotangent, the kernel's kept space.
        let output: Int, cotangent: Int, kept: Int
        /// The operands' sources, `operandStart ..< operandStart + operandCount` of `sources` (and
        /// of the pointer tables).
        let operandStart: Int, operandCount: Int
    }

    /// Where one operand's cotangent goes in the backward pass.
    private struct Contribution {
        /// Arena offset of the operand's cotangent (a step's, or the parameter gradient's).
        let target: Int
        /// Added to what is there (the operand was reached before), via scratch at `scratch`.
        let adds: Bool
        let scratch: Int
        let count: Int
    }

    private let steps: [Step]
    private let sources: [Source]
    /// Per operand slot: its cotangent's destination, nil where none is needed.
    private let contributions: [Contribution?]
    /// Operand value pointers, refilled each run (parameters and inputs move between runs).
    private let operandTable: UnsafeMutablePointer<UnsafePointer<Double>>
    /// Cotangent destinations per operand slot (nil: not needed), fixed at build.
    private let cotangentTable: UnsafeMutablePointer<UnsafeMutablePointer<Double>?>
    /// All the replay's doubles: results, cotangents, kept spaces, constants, the gradient, scratch.
    private let arena: UnsafeMutablePointer<Double>
    /// Arena offset of the gradient (``parameterCount`` values) and of the shared scratch.
    private let gradientOffset: Int, scratchOffset: Int
    /// Parameter blocks the loss does not reach: zero in every gradient.
    private let unreached: [Range<Int>]
    /// The step of the loss (one value) and of the outputs.
    private let lossStep: Int, outputStep: Int
    /// Number of parameters, of input values, and of target values read (0 when none).
    public let parameterCount: Int
    public let inputCount: Int
    public let targetCount: Int
    /// The outputs' shape.
    public let outputShape: [Int]

    /// The replay of `linearization`'s loss and gradient, or nil when a node has no replay.
    ///
    /// - Parameters:
    ///   - tape: The recording.
    ///   - points: The parameter variables' nodes, in block order.
    ///   - outputNode: The outputs' node; `lossNode`: the loss's.
    ///   - inputs, targets: The batch's inputs and targets as recorded: constants holding their
    ///     storage read the new ones, and a kernel that reads targets reads the new targets.
    init?(tape: Tape, points: [Var], outputNode: Int, lossNode: Int, inputs: Tensor, targets: Tensor) {
        let nodes = tape.nodes
        guard let lo = points.map(\.id).min(), lossNode >= lo, lossNode < nodes.count else { return nil }
        // The parameters' offsets in the flat vector, by node.
        var parameterOffset = [Int: Int]()
        var offset = 0
        for p in points {
            parameterOffset[p.id] = offset
            offset += p.count
        }
        parameterCount = offset
        // Nodes on a path from a parameter to the loss, and whether each depends on a parameter.
        let width = lossNode - lo + 1
        var depends = [Bool](repeating: false, count: width)
        for p in points { depends[p.id - lo] = true }
        for i in lo...lossNode where parameterOffset[i] == nil {
            depends[i - lo] = nodes[i].inputs.contains { $0 >= lo && depends[$0 - lo] }
        }
        var live = [Bool](repeating: false, count: width)
        live[width - 1] = true
        for i in stride(from: lossNode, through: lo, by: -1) where live[i - lo] && parameterOffset[i] == nil {
            for p in nodes[i].inputs where p >= lo { live[p - lo] = true }
        }
        guard depends[width - 1] else { return nil }
        // Each live node's kernel and arena space; constants and inputs by operand.
        var arenaCount = 0
        func take(_ n: Int) -> Int { defer { arenaCount += n }; return arenaCount }
        var steps = [Step](), sources = [Source](), stepOf = [Int: Int]()
        var constants = [(offset: Int, values: Tensor)]()
        var scratch = 0
        var inputCount = 0
        var targetCount = 0
        /// Fixes the number of targets read, nil when another reader read another number.
        func readsTargets(_ n: Int) -> Bool {
            guard targetCount == 0 || targetCount == n else { return false }
            targetCount = n
            return true
        }
        for i in lo...lossNode where live[i - lo] && parameterOffset[i] == nil {
            let node = nodes[i]
            guard depends[i - lo], let kernel = node.rule.replay?.replayKernel(),
                  kernel.outputCount == node.output.count else { return nil }
            let start = sources.count
            for (j, p) in node.inputs.enumerated() {
                if p >= lo, let s = stepOf[p] {
                    sources.append(.step(s))
                } else if let o = parameterOffset[p] {
                    sources.append(.parameter(offset: o))
                } else if p >= 0 {
                    return nil  // a node recorded before the parameters
                } else {
                    let value = node.constants[j].value
                    guard !value.isComplex, value.dtype == .float64 else { return nil }
                    if GradientReplay.sameStorage(value, inputs) {
                        sources.append(.inputs)
                        inputCount = value.count
                    } else if GradientReplay.sameStorage(value, targets) {
                        guard readsTargets(value.count) else { return nil }
                        sources.append(.targets)
                    } else {
                        let o = take(value.count)
                        constants.append((o, value))
                        sources.append(.constant(offset: o))
                    }
                }
            }
            if kernel.targetCount > 0, !readsTargets(kernel.targetCount) { return nil }
            scratch = Swift.max(scratch, kernel.scratchCount)
            stepOf[i] = steps.count
            steps.append(Step(kernel: kernel, output: take(node.output.count), cotangent: take(node.output.count),
                              kept: take(kernel.keptCount), operandStart: start, operandCount: node.inputs.count))
        }
        guard let lossStep = stepOf[lossNode], nodes[lossNode].output.count == 1, let outputStep = stepOf[outputNode]
        else { return nil }
        // Cotangent destinations, in the backward pass's order: an operand's first contribution
        // is written in place, later ones added through scratch.
        let gradientOffset = take(parameterCount)
        var reached = Set<Int>()
        var contributions = [Contribution?](repeating: nil, count: sources.count)
        var addScratch = 0
        for step in steps.reversed() {
            var extra = 0
            for slot in step.operandStart..<(step.operandStart + step.operandCount) {
                let target: Int, count: Int
                switch sources[slot] {
                case .step(let t):
                    (target, count) = (steps[t].cotangent, steps[t].kernel.outputCount)
                case .parameter(let o):
                    guard let block = points.first(where: { parameterOffset[$0.id] == o }) else { return nil }
                    (target, count) = (gradientOffset + o, block.count)
                case .inputs, .targets, .constant:
                    continue
                }
                let adds = !reached.insert(target).inserted
                contributions[slot] = Contribution(target: target, adds: adds, scratch: extra, count: count)
                if adds { extra += count }
            }
            addScratch = Swift.max(addScratch, extra)
        }
        let unreached = points.compactMap { p -> Range<Int>? in
            guard let o = parameterOffset[p.id], !reached.contains(gradientOffset + o) else { return nil }
            return o..<(o + p.count)
        }
        let scratchOffset = take(scratch + addScratch)
        // The arena is held beside the tensors, outside their count: checked against the limit
        // as other such memory is (the heap in use standing in for it once it is made).
        let (bytes, overflow) = arenaCount.multipliedReportingOverflow(by: MemoryLayout<Double>.size)
        guard !overflow, (try? AllocationLimit.checkUntracked(bytes: bytes)) != nil else { return nil }
        let arena = UnsafeMutablePointer<Double>.allocate(capacity: Swift.max(arenaCount, 1))
        arena.initialize(repeating: 0, count: Swift.max(arenaCount, 1))
        for (o, value) in constants {
            value.storage.withUnsafeBufferPointer { src in
                if let base = src.baseAddress { (arena + o).update(from: base, count: value.count) }
            }
        }
        let operandTable = UnsafeMutablePointer<UnsafePointer<Double>>.allocate(capacity: Swift.max(sources.count, 1))
        operandTable.initialize(repeating: UnsafePointer(arena), count: Swift.max(sources.count, 1))
        let cotangentTable = UnsafeMutablePointer<UnsafeMutablePointer<Double>?>.allocate(capacity: Swift.max(sources.count, 1))
        cotangentTable.initialize(repeating: nil, count: Swift.max(sources.count, 1))
        for (slot, c) in contributions.enumerated() {
            guard let c else { continue }
            cotangentTable[slot] = arena + (c.adds ? scratchOffset + scratch + c.scratch : c.target)
        }
        (self.steps, self.sources, self.contributions) = (steps, sources, contributions)
        (self.operandTable, self.cotangentTable, self.arena) = (operandTable, cotangentTable, arena)
        (self.gradientOffset, self.scratchOffset, self.unreached) = (gradientOffset, scratchOffset, unreached)
        (self.lossStep, self.outputStep) = (lossStep, outputStep)
        self.inputCount = inputCount
        self.targetCount = targetCount
        outputShape = nodes[outputNode].output.shape
    }

    /// Whether `a` holds `b`'s storage itself, under any shape (a reshaped view of the inputs
    /// reads the new inputs as the inputs do).
    private static func sameStorage(_ a: Tensor, _ b: Tensor) -> Bool {
        a.storage.withUnsafeBufferPointer { pa in
            b.storage.withUnsafeBufferPointer { pb in pa.count == pb.count && pa.baseAddress == pb.baseAddress }
        }
    }

    deinit {
        operandTable.deallocate()
        cotangentTable.deallocate()
        arena.deallocate()
    }

    /// The loss at the last run.
    public private(set) var loss = Double.nan

    /// The outputs of the last run (``outputShape``, row-major).
    public var outputs: UnsafeBufferPointer<Double> {
        let step = steps[outputStep]
        return UnsafeBufferPointer(start: arena + step.output, count: step.kernel.outputCount)
    }

    /// Runs the forward pass and the gradient's backward pass at `parameters` on the batch
    /// `inputs` (``inputCount`` values, laid out as the recorded inputs) with its `targets`
    /// (``targetCount`` values, laid out as the recorded targets).
    ///
    /// - Throws: `AutodiffError.tangentShape` for buffers of the wrong length;
    ///   `TensorError.invalidArgument` for labels that are not classes of the loss.
    public func run(parameters: UnsafeBufferPointer<Double>, inputs: UnsafeBufferPointer<Double>,
                    targets: UnsafeBufferPointer<Double>) throws {
        guard parameters.count == parameterCount, let params = parameters.baseAddress else {
            throw AutodiffError.tangentShape(op: "replay", expected: [parameterCount], got: [parameters.count])
        }
        guard inputs.count == inputCount else {
            throw AutodiffError.tangentShape(op: "replay", expected: [inputCount], got: [inputs.count])
        }
        guard targets.count == targetCount else {
            throw AutodiffError.tangentShape(op: "replay", expected: [targetCount], got: [targets.count])
        }
        let data = inputs.baseAddress ?? UnsafePointer(arena)
        for (slot, source) in sources.enumerated() {
            switch source {
            case .step(let s): operandTable[slot] = UnsafePointer(arena + steps[s].output)
            case .parameter(let o): operandTable[slot] = params + o
            case .inputs: operandTable[slot] = data
            case .targets: operandTable[slot] = targets.baseAddress ?? UnsafePointer(arena)
            case .constant(let o): operandTable[slot] = UnsafePointer(arena + o)
            }
        }
        let scratch = arena + scratchOffset
        for step in steps {
            try step.kernel.forward(frame(step, scratch: scratch, targets: targets))
        }
        loss = arena[steps[lossStep].output]
        // The backward pass from the seed 1 of the loss.
        arena[steps[lossStep].cotangent] = 1
        for step in steps.reversed() {
            step.kernel.backward(arena + step.cotangent, frame(step, scratch: scratch, targets: targets),
                                 into: cotangentTable + step.operandStart)
            for slot in step.operandStart..<(step.operandStart + step.operandCount) {
                guard let c = contributions[slot], c.adds, let added = cotangentTable[slot] else { continue }
                let dst = arena + c.target
                for i in 0..<c.count { dst[i] = dst[i] + added[i] }
            }
        }
        for r in unreached { (arena + gradientOffset + r.lowerBound).update(repeating: 0, count: r.count) }
    }

    private func frame(_ step: Step, scratch: UnsafeMutablePointer<Double>, targets: UnsafeBufferPointer<Double>) -> ReplayFrame {
        ReplayFrame(operands: UnsafePointer(operandTable + step.operandStart), output: arena + step.output,
                    kept: arena + step.kept, scratch: scratch, targets: targets)
    }

    /// out ← w ∇L, or out ← out + w ∇L with `accumulate`, from the last run (as
    /// ``Linearization/addGradient(weight:into:accumulate:)`` gathers a swept gradient).
    ///
    /// - Throws: `AutodiffError.internalRule` when `out` has the wrong length.
    public func addGradient(weight w: Double, into out: UnsafeMutableBufferPointer<Double>, accumulate: Bool) throws {
        guard out.count == parameterCount, let d = out.baseAddress else { throw AutodiffError.internalRule(op: "gradient") }
        Linearization.add(arena + gradientOffset, weight: w, into: d, count: parameterCount, accumulate: accumulate)
    }
}
