import Foundation
import RitzLang
import RitzNotebook
import RitzTUI
import RitzTensor

/// ritz: the command line. Each subcommand is one entry of `commands`; the notebook, REPL,
/// check, export and recover entries are filled by the notebook module.
MemoryTuning.apply()

let arguments = Array(CommandLine.arguments.dropFirst())

/// Prints to standard error.
func printError(_ s: String) {
    FileHandle.standardError.write(Data((s + "\n").utf8))
}

/// A subcommand that is not part of this build yet.
func notAvailable(_ name: String) -> Int32 {
    printError("ritz: `\(name)` is not available in this build")
    return 2
}

let commands: [String: ([String]) -> Int32] = [
    "run": RunCommand.main,
    "help": HelpCommand.main,
    "repl": { _ in notAvailable("repl") },
    "check": { _ in notAvailable("check") },
    "export": { _ in notAvailable("export") },
    "recover": { _ in notAvailable("recover") },
]

// Notebook side (RitzTUI): `ritz [FILE]`, repl, run of sessions and --save, check, export, recover.
if let status = RitzCLI.main(arguments: arguments, makeEvaluator: { SessionEvaluator() }) { exit(status) }

let status: Int32
if let first = arguments.first, let command = commands[first] {
    status = command(Array(arguments.dropFirst()))
} else if arguments.first == "--help" || arguments.first == "-h" {
    status = HelpCommand.main([])
} else {
    // `ritz [FILE]` opens the notebook.
    status = notAvailable("notebook")
}
exit(status)
