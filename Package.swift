// swift-tools-version:6.0
import PackageDescription

/// ritz: a terminal notebook for looking inside learning systems.
///
/// Dependencies point downward only:
/// ritz → RitzTUI / RitzKernel → RitzNotebook → RitzLang → RitzAnalysis → RitzLearn → RitzAutodiff → RitzTensor,
/// with RitzPlot beside them (it depends on nothing but the standard library) and the C system
/// libraries at the bottom. MLPReference, the hand-derived MLP kernels, hangs off RitzLearn for
/// the tests and ritz-bench only.
let package = Package(
    name: "ritz",
    products: [
        .executable(name: "ritz", targets: ["ritz"]),
        .executable(name: "ritz-bench", targets: ["ritz-bench"]),
    ],
    dependencies: [
        // The command line: subcommands, --help, usage errors and shell completion scripts.
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // .npz files: ZIP archives (ZIP64, as NumPy writes them) of stored or deflated .npy members.
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
        // Markdown cells: one parse for the terminal, the Markdown export and the HTML export.
        .package(url: "https://github.com/JohnSundell/Ink", from: "0.6.0"),
        // The Jupyter kernel: HMAC-SHA256 signatures of wire messages.
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
    ],
    targets: [
        // C system libraries, each a module map plus a shim header.
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CLAPACK", providers: [.apt(["liblapacke-dev"])]),
        .systemLibrary(name: "CFFTW", pkgConfig: "fftw3", providers: [.apt(["libfftw3-dev"])]),
        .systemLibrary(name: "CNcurses", providers: [.apt(["libncurses-dev"])]),
        .systemLibrary(name: "CReadline", providers: [.apt(["libreadline-dev"])]),
        .systemLibrary(name: "CSystem"),
        .systemLibrary(name: "CZMQ", providers: [.apt(["libzmq3-dev"])]),
        .systemLibrary(name: "CSuiteSparse", providers: [.apt(["libsuitesparse-dev"])]),

        // exp/tanh/sigmoid kernels with runtime dispatch between AVX2+FMA and baseline x86-64.
        .target(name: "CKernels"),
        .target(name: "RitzTensor", dependencies: ["CBLAS", "CLAPACK", "CFFTW", "CSystem", "CKernels",
                                                  .product(name: "ZIPFoundation", package: "ZIPFoundation")]),
        .target(name: "RitzAutodiff", dependencies: ["RitzTensor"]),
        // Open MPI behind RitzTensor's `Communicator`, loaded at run time only under mpirun.
        .target(name: "RitzMPI", dependencies: ["RitzTensor"]),
        .target(name: "RitzLearn", dependencies: ["RitzTensor", "RitzAutodiff"], resources: [.copy("Resources/digits.csv"), .copy("Resources/DIGITS.md")]),
        // Hand-derived MLP forward, gradient, R-operator HVP and GGN: the reference the tape is
        // tested and timed against. Only the tests and ritz-bench use it, never ritz or a library.
        .target(name: "MLPReference", dependencies: ["RitzTensor", "RitzLearn", "CBLAS"]),
        .target(name: "RitzAnalysis", dependencies: ["RitzTensor", "RitzAutodiff", "RitzLearn", "CSuiteSparse", "CBLAS", "CLAPACK"]),
        .target(name: "RitzPlot"),
        .target(name: "RitzLang",
                dependencies: ["RitzTensor", "RitzAutodiff", "RitzLearn", "RitzAnalysis", "RitzPlot"]),
        .target(name: "RitzNotebook", dependencies: ["RitzLang", "RitzPlot", .product(name: "Ink", package: "Ink")], resources: [.copy("Resources/tour.ipynb")]),
        .target(name: "RitzKernel", dependencies: ["RitzNotebook", "RitzLang", "RitzPlot", "CZMQ",
                                                  .product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "RitzTUI", dependencies: ["RitzNotebook", "RitzLang", "RitzPlot", "CNcurses", "CReadline"]),
        .executableTarget(name: "ritz", dependencies: ["RitzTUI", "RitzKernel", "RitzNotebook", "RitzLang", "RitzTensor", "RitzPlot", "RitzMPI",
                                                       .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "ritz-bench",
                          dependencies: ["RitzTensor", "RitzAutodiff", "RitzLearn", "MLPReference", "RitzAnalysis",
                                         "RitzPlot", "RitzLang", "RitzNotebook", "RitzMPI", "CBLAS", "CLAPACK", "CKernels"]),

        .testTarget(name: "RitzTensorTests", dependencies: ["RitzTensor"], resources: [.copy("Fixtures")]),
        .testTarget(name: "RitzAutodiffTests", dependencies: ["RitzAutodiff", "RitzTensor"], resources: [.copy("Fixtures")]),
        .testTarget(name: "RitzLearnTests", dependencies: ["RitzLearn", "MLPReference", "RitzAutodiff", "RitzTensor"], resources: [.copy("Fixtures")]),
        .testTarget(name: "RitzAnalysisTests", dependencies: ["RitzAnalysis", "RitzLearn", "MLPReference", "RitzTensor"], exclude: ["Fixtures"]),
        .testTarget(name: "RitzPlotTests", dependencies: ["RitzPlot"], exclude: ["Golden"]),
        .testTarget(name: "RitzLangTests", dependencies: ["RitzLang", "RitzTensor"], exclude: ["Scripts"]),
        .testTarget(name: "RitzNotebookTests", dependencies: ["RitzNotebook", "RitzLang"], exclude: ["Fixtures", "html_safety.py"]),
        .testTarget(name: "RitzKernelTests", dependencies: ["RitzKernel", "RitzNotebook"]),
        .testTarget(name: "RitzTUITests", dependencies: ["RitzTUI", "RitzNotebook"]),
    ]
)
