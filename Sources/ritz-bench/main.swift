import RitzTensor

/// ritz-bench: prints each figure beside the hardware limit or the reference workload of its
/// issue. `ritz-bench [SECTION...]` runs only the named sections.
let sections: [(name: String, run: () throws -> Void)] = [
    ("tensor", TensorBench.run),
    ("lang", LangBench.run),
    ("autodiff", AutodiffBench.run),
    ("plot", PlotBench.run),
    ("koopman", KoopmanBench.run),
    ("learn", LearnBench.run),
    ("curvature", CurvatureBench.run),
    ("notebook", NotebookBench.run),
    ("live", LiveBench.run),
]

MemoryTuning.apply()
let wanted = Set(CommandLine.arguments.dropFirst())
for section in sections where wanted.isEmpty || wanted.contains(section.name) {
    do { try section.run() } catch { print("  \(section.name) failed: \(error)") }
}
