import Foundation
import RitzNotebook

/// The kernelspec that tells Jupyter how to start ritz: `kernels/ritz/kernel.json` with the
/// logos, under a Jupyter data folder.
///
/// `kernel.json` holds `argv` (the absolute path of this binary, `kernel -f {connection_file}`),
/// `display_name`, `language` and `interrupt_mode` (`message`: interrupts come as
/// `interrupt_request` on the control channel; SIGINT works as well).
public enum KernelSpec {
    /// The kernel's name, as sessions' `kernelspec.name` gives it.
    public static let name = "ritz"

    /// Where a kernelspec goes.
    public enum Location: Equatable, Sendable {
        /// For every user: `/usr/local/share/jupyter/kernels` (as `jupyter kernelspec install`).
        case system
        /// For this user: `$JUPYTER_DATA_DIR/kernels`, else `$XDG_DATA_HOME/jupyter/kernels`,
        /// else `~/.local/share/jupyter/kernels`.
        case user
        /// Under an environment's prefix: `PREFIX/share/jupyter/kernels`.
        case prefix(String)

        /// The `kernels` folder of this location.
        ///
        /// - Parameter environment: The process environment (for `--user`).
        /// - Returns: The folder's path.
        public func kernelsFolder(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
            switch self {
            case .system: return "/usr/local/share/jupyter/kernels"
            case .prefix(let prefix): return (prefix as NSString).appendingPathComponent("share/jupyter/kernels")
            case .user:
                if let data = environment["JUPYTER_DATA_DIR"], !data.isEmpty { return data + "/kernels" }
                if let xdg = environment["XDG_DATA_HOME"], !xdg.isEmpty { return xdg + "/jupyter/kernels" }
                return (environment["HOME"] ?? NSHomeDirectory()) + "/.local/share/jupyter/kernels"
            }
        }
    }

    /// The `kernel.json` for a binary.
    ///
    /// - Parameter executable: The absolute path of the `ritz` binary.
    /// - Returns: The kernelspec JSON.
    public static func json(executable: String) -> JSONValue {
        .object(["argv": .array([.string(executable), .string("kernel"), .string("-f"), .string("{connection_file}")]),
                 "display_name": .string("ritz"), "language": .string("ritz"),
                 "interrupt_mode": .string("message"), "metadata": .object(["debugger": .bool(false)])])
    }

    /// Writes `kernels/ritz/` (kernel.json, logo-svg.svg, logo-32x32.png, logo-64x64.png).
    ///
    /// - Parameters:
    ///   - location: Where.
    ///   - executable: The binary Jupyter runs; made absolute against the working folder.
    /// - Returns: The folder written.
    /// - Throws: `KernelError.kernelSpec` when a folder or file cannot be written.
    @discardableResult
    public static func install(at location: Location, executable: String) throws -> String {
        let folder = location.kernelsFolder() + "/" + name
        let absolute = executable.hasPrefix("/") ? executable
            : (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(executable)
        let binary = (absolute as NSString).standardizingPath
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try AtomicFile.write(json(executable: binary).serialized(indent: 1) + "\n", to: folder + "/kernel.json")
            try AtomicFile.write(KernelLogo.svg, to: folder + "/logo-svg.svg")
            for size in [32, 64] {
                try AtomicFile.write(KernelLogo.png(size: size), to: folder + "/logo-\(size)x\(size).png")
            }
        } catch {
            throw KernelError.kernelSpec("cannot write \(folder): \(error)")
        }
        return folder
    }

    /// Removes `kernels/ritz/` from a location.
    ///
    /// - Parameter location: Where it was installed.
    /// - Returns: The folder removed.
    /// - Throws: `KernelError.kernelSpec` when it is not there or cannot be removed.
    @discardableResult
    public static func uninstall(from location: Location) throws -> String {
        let folder = location.kernelsFolder() + "/" + name
        guard FileManager.default.fileExists(atPath: folder + "/kernel.json") else {
            throw KernelError.kernelSpec("no ritz kernel is installed in \(location.kernelsFolder())")
        }
        do {
            try FileManager.default.removeItem(atPath: folder)
        } catch {
            throw KernelError.kernelSpec("cannot remove \(folder): \(error.localizedDescription)")
        }
        return folder
    }
}
