import ArgumentParser
import Foundation
import RitzLang

/// `ritz`: the command line, one subcommand a front end. Without a subcommand, `ritz [FILE]`
/// opens the notebook.
struct RitzCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ritz",
        abstract: "A terminal notebook for looking inside learning systems.",
        discussion: """
            `ritz` alone opens the notebook on its built-in tour; `ritz FILE` opens a session \
            (.ipynb) or a script (.ritz). `ritz help TOPIC` shows the language help for TOPIC \
            (`ritz help language`, `ritz help eigs`), `ritz help COMMAND` a command's usage. \
            `ritz --version` prints the version; with `--verbose` (or `ritz doctor`) also the \
            BLAS library and kernel, the CPU features, threads and the terminal.
            """,
        subcommands: [NotebookCommand.self, ReplCommand.self, RunCommand.self, CheckCommand.self,
                      ExportCommand.self, RecoverCommand.self, KernelCommand.self, DoctorCommand.self],
        defaultSubcommand: NotebookCommand.self)

    /// Runs the command line and exits with its status.
    ///
    /// Usage errors (an unknown subcommand, option or file type) print the message and usage
    /// and exit 2; `--help` prints help and exits 0.
    ///
    /// - Parameter arguments: The arguments after the program name.
    static func start(_ arguments: [String]) -> Never {
        if let status = preDispatch(arguments) { Foundation.exit(status) }
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
            Foundation.exit(0)
        } catch let code as ExitCode {
            Foundation.exit(code.rawValue)
        } catch {
            let status = exitCode(for: error)
            let message = fullMessage(for: error)
            if status == .success {
                if !message.isEmpty { print(message) }
                Foundation.exit(0)
            }
            if !message.isEmpty { printError(message) }
            Foundation.exit(status == .validationFailure ? 2 : status.rawValue)
        }
    }

    /// The forms that are not subcommands: `--version [--verbose]`, `-V`, and `help TOPIC`,
    /// where TOPIC is the language's (a subcommand's name gives that subcommand's usage).
    ///
    /// - Parameter arguments: The arguments after the program name.
    /// - Returns: The exit status when handled here, else nil.
    static func preDispatch(_ arguments: [String]) -> Int32? {
        guard let first = arguments.first else { return nil }
        if first == "--version" || first == "-V" {
            let rest = arguments.dropFirst()
            guard rest.allSatisfy({ $0 == "--verbose" || $0 == "-v" }) else {
                printError("ritz: --version takes only --verbose\n" + usageString())
                return 2
            }
            print(rest.isEmpty ? VersionReport.short() : VersionReport.verbose())
            return 0
        }
        if first == "help" {
            let rest = Array(arguments.dropFirst())
            guard let topic = rest.first else {
                print(helpMessage())
                print(Session().helpIndex())
                return 0
            }
            if let sub = configuration.subcommands.first(where: { $0._commandName == topic }) {
                print(helpMessage(for: sub))
                return 0
            }
            return LanguageHelp.show(topic)
        }
        return nil
    }
}

/// Prints to standard error.
func printError(_ s: String) {
    FileHandle.standardError.write(Data((s.hasSuffix("\n") ? s : s + "\n").utf8))
}

/// The language help for `ritz help TOPIC`: the text the notebook shows for `?TOPIC`.
enum LanguageHelp {
    /// Prints the help for `topic`, or a near name.
    ///
    /// - Parameter topic: A builtin, keyword or topic name.
    /// - Returns: 0 when found, 1 when not.
    static func show(_ topic: String) -> Int32 {
        let session = Session()
        if let text = session.help(topic) {
            print(text)
            return 0
        }
        printError("ritz help: no topic `\(topic)`")
        if let near = session.complete(prefix: String(topic.prefix(2))).first { printError("  did you mean `\(near)`?") }
        return 1
    }
}
