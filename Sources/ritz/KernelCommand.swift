import ArgumentParser
import Foundation
import RitzKernel

/// `ritz kernel -f CONNECTION_FILE`: ritz as a Jupyter kernel; `install` and `uninstall` manage
/// its kernelspec.
struct KernelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernel",
        abstract: "Run ritz as a Jupyter kernel, or install its kernelspec.",
        discussion: """
            Jupyter starts `ritz kernel -f CONNECTION_FILE` itself once the kernelspec is installed \
            (`ritz kernel install --user`); then pick "ritz" in JupyterLab, VS Code or nbclient.
            """,
        subcommands: [KernelInstallCommand.self, KernelUninstallCommand.self])

    @Option(name: .customShort("f"), help: ArgumentHelp("The connection file the Jupyter client wrote.", valueName: "connection-file"))
    var connectionFile: String?

    func run() throws {
        guard let connectionFile else {
            throw ValidationError("give the connection file: `ritz kernel -f FILE` (Jupyter does), or `ritz kernel install`")
        }
        do {
            let connection = try ConnectionInfo.load(path: connectionFile)
            let kernel = try Kernel(connection: connection, version: VersionReport.version)
            throw ExitCode(kernel.run())
        } catch let error as KernelError {
            printError("ritz kernel: \(error)")
            throw ExitCode(1)
        }
    }
}

/// Where `install` and `uninstall` put the kernelspec: system-wide, `--user` or `--prefix DIR`.
struct KernelSpecLocation: ParsableArguments {
    @Flag(help: "For this user (under the Jupyter data folder, ~/.local/share/jupyter).")
    var user = false

    @Option(help: "Under an environment's prefix: DIR/share/jupyter/kernels (a venv's, for example).")
    var prefix: String?

    func validate() throws {
        if user && prefix != nil { throw ValidationError("give --user or --prefix, not both") }
    }

    var location: KernelSpec.Location {
        if let prefix { return .prefix(prefix) }
        return user ? .user : .system
    }
}

/// `ritz kernel install [--user | --prefix DIR]`.
struct KernelInstallCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install",
        abstract: "Install the kernelspec (kernel.json with this binary's absolute path, and the logos).",
        discussion: "Without --user or --prefix it goes to /usr/local/share/jupyter/kernels, as `jupyter kernelspec install` does.")

    @OptionGroup var where_: KernelSpecLocation

    func run() throws {
        do {
            // The binary itself, even when started through a link or a relative path.
            let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
                ?? CommandLine.arguments.first ?? "ritz"
            let folder = try KernelSpec.install(at: where_.location, executable: executable)
            print("installed the ritz kernel in \(folder)")
        } catch let error as KernelError {
            printError("ritz kernel install: \(error)")
            throw ExitCode(1)
        }
    }
}

/// `ritz kernel uninstall [--user | --prefix DIR]`.
struct KernelUninstallCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "uninstall",
        abstract: "Remove the kernelspec that `ritz kernel install` wrote.")

    @OptionGroup var where_: KernelSpecLocation

    func run() throws {
        do {
            let folder = try KernelSpec.uninstall(from: where_.location)
            print("removed \(folder)")
        } catch let error as KernelError {
            printError("ritz kernel uninstall: \(error)")
            throw ExitCode(1)
        }
    }
}
