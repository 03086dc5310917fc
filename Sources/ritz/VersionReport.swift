import CKernels
import Foundation
import RitzMPI
import RitzPlot
import RitzTensor
import RitzTUI

/// What `ritz --version` prints, and with `--verbose` (or `ritz doctor`) what a bug report needs:
/// the BLAS library and the kernel it runs, the CPU, ritz's own kernels, threads and the terminal.
enum VersionReport {
    /// ritz's version.
    static let version = "0.3.0"

    /// The Swift language version this binary was compiled with.
    static var swiftVersion: String {
        #if swift(>=6.3)
        return "6.3"
        #elseif swift(>=6.2)
        return "6.2"
        #elseif swift(>=6.1)
        return "6.1"
        #else
        return "6.0"
        #endif
    }

    /// `ritz 0.3.0`, and under mpirun the MPI library and the world size.
    static func short() -> String {
        World.size > 1 || World.communicator is OpenMPI ? "ritz \(version)\n\(mpi)" : "ritz \(version)"
    }

    /// The data-parallel line: the MPI library and world size of this run, or that there is none.
    static var mpi: String {
        let world = World.communicator
        guard world is OpenMPI else { return "MPI: none (a single process; `mpirun -n N ritz run FILE` runs data-parallel)" }
        return "MPI: \(world.library), world size \(world.size)"
    }

    /// The name of ritz's own kernel set and how it was chosen: the widest this CPU runs, or the
    /// one `RITZ_CPU_KERNELS` names (ignored, and said so, when this CPU cannot run it).
    static func ownKernelsChoice(environment: [String: String]) -> String {
        let name = ck_selected().map { String(cString: $0.pointee.name) } ?? "baseline"
        guard let forced = environment[CK_KERNELS_VARIABLE], !forced.isEmpty else { return name }
        return forced == name ? "\(name) (\(CK_KERNELS_VARIABLE)=\(forced))"
            : "\(name) (\(CK_KERNELS_VARIABLE)=\(forced) ignored: not a kernel set this CPU runs)"
    }

    /// The full report, one `name  value` line each.
    static func verbose(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        #if DEBUG
        let build = "debug build"
        #else
        let build = "release build"
        #endif
        let cpu = CPUFeatures.current
        let kernel: String
        switch BLASKernel.choice {
        case .detected: kernel = "\(BLASKernel.coreName) (OpenBLAS's own choice for this CPU)"
        case .environment(let set): kernel = "\(BLASKernel.coreName) (OPENBLAS_CORETYPE=\(set), set before ritz started)"
        case .selected(let from):
            kernel = "\(BLASKernel.coreName) (chosen by ritz: OpenBLAS had picked \(from), narrower than this CPU's vectors)"
        }
        let ownKernels = ownKernelsChoice(environment: environment)
        let term = environment["TERM"] ?? ""
        let batch = BatchTerminal.detect(environment: environment)
        let colors = term.isEmpty ? nil : TerminalCapabilities.colors(term: term)
        let terminal: String
        switch TerminalCapabilities.notebookTerminal(term) {
        case .own: terminal = "TERM=\(term), \(colors.map { "\($0) colours" } ?? "no colour in terminfo")"
        case .substitute(_, let type):
            terminal = (term.isEmpty ? "TERM not set" : "TERM=\(term), not in terminfo here") + "; the notebook draws as \(type)"
        case .unusable(let reason): terminal = reason
        }
        let rows: [(String, String)] = [
            ("ritz", "\(version) (Swift \(swiftVersion), \(build))"),
            ("BLAS", BLASKernel.config),
            ("BLAS kernel", kernel),
            ("CPU", "\(CPUFeatures.names.brand.isEmpty ? "unknown" : CPUFeatures.names.brand) — \(cpu.vendor.isEmpty ? "non-x86" : "\(cpu.vendor) family \(cpu.family) model \(cpu.model)")"),
            ("CPU vectors", cpu.names.isEmpty ? "none beyond the baseline" : cpu.names),
            ("ritz kernels", "exp/tanh/sigmoid and short products: \(ownKernels)"),
            ("threads", "\(Parallel.threads) (ritz's pieces; OpenBLAS runs on one thread)\(Parallel.threadLimit.map { "; \($0)" } ?? "")"),
            ("MPI", String(mpi.dropFirst("MPI: ".count))),
            ("terminal", TerminalText.inert(terminal)),
            ("ritz run", "\(batch.isTTY ? "a terminal" : "not a terminal"), \(batch.canvas == .braille ? "braille" : "ASCII") plots, colour \(batch.color ? "on" : "off")\(environment["NO_COLOR"].map { $0.isEmpty ? "" : " (NO_COLOR)" } ?? "")"),
            ("notebook", TerminalCapabilities.notebookBraille ? "braille plots (UTF-8)" : "ASCII plots (no UTF-8 locale)"),
        ]
        let width = rows.map(\.0.count).max() ?? 0
        return rows.map { $0.0.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.1 }
            .joined(separator: "\n")
    }
}
