import Foundation
import RitzTensor
import Testing

/// The `ritz` command line as a user meets it: usage errors, help, the version report, and
/// scripts and sessions printing alike.
@Suite("command line")
struct CommandLineTests {
    /// Runs the binary; returns standard output, standard error and the exit status. An empty
    /// value in `environment` removes that variable.
    static func ritz(_ arguments: [String], environment: [String: String] = [:]) throws
        -> (out: String, err: String, status: Int32) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: TmuxSession.binary ?? "ritz")
        p.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["XDG_STATE_HOME"] = NSTemporaryDirectory() + "ritz-cli-state"
        for (k, v) in environment { env[k] = v.isEmpty ? nil : v }
        p.environment = env
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self), p.terminationStatus)
    }

    static func temporary(_ name: String, _ contents: Data) throws -> String {
        let dir = NSTemporaryDirectory() + "ritz-cli-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/" + name
        try contents.write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Starts the binary, waits until its standard output contains `marker`, calls `then` with
    /// the process, and returns the exit status and the output after the marker.
    static func runUntil(_ marker: String, binary: String, _ arguments: [String], environment: [String: String] = [:],
                         then: (Process) -> Void) throws -> (status: Int32, rest: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = arguments
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        var seen = Data()
        while !String(decoding: seen, as: UTF8.self).contains(marker) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen.append(chunk)
        }
        then(p)
        let rest = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: rest, as: UTF8.self))
    }

    @Test("an unknown subcommand or file type is a usage error: message, usage, exit 2",
          arguments: [["frobnicate"], ["notes.txt"], ["run", "notes.txt"], ["check", "x.ritz"],
                      ["export", "a.ipynb", "--to", "pdf"], ["run"], ["run", "a.ritz", "--bogus"]])
    func usageErrors(_ arguments: [String]) throws {
        guard TmuxSession.binary != nil else { return }
        let r = try Self.ritz(arguments)
        #expect(r.status == 2)
        #expect(r.err.contains("Usage:") || r.err.contains("usage:"))
        #expect(!r.err.contains("not available"))
    }

    @Test("every subcommand has --help with a usage line, exit 0",
          arguments: ["notebook", "repl", "run", "check", "export", "recover", "doctor"])
    func subcommandHelp(_ name: String) throws {
        guard TmuxSession.binary != nil else { return }
        let r = try Self.ritz([name, "--help"])
        #expect(r.status == 0)
        #expect(r.out.contains("USAGE: ritz \(name)"))
        let viaHelp = try Self.ritz(["help", name])
        #expect(viaHelp.status == 0)
        #expect(viaHelp.out.contains("USAGE: ritz \(name)"))
    }

    @Test("ritz help TOPIC is the language help; an unknown topic exits 1")
    func languageHelp() throws {
        guard TmuxSession.binary != nil else { return }
        let r = try Self.ritz(["help", "eigs"])
        #expect(r.status == 0)
        #expect(r.out.contains("eigs("))
        #expect(try Self.ritz(["help", "no_such_topic_here"]).status == 1)
    }

    @Test("--version, and --verbose names the BLAS kernel and how it was chosen")
    func version() throws {
        guard TmuxSession.binary != nil else { return }
        let short = try Self.ritz(["--version"])
        #expect(short.status == 0)
        #expect(short.out.hasPrefix("ritz "))
        let verbose = try Self.ritz(["--version", "--verbose"], environment: ["OPENBLAS_CORETYPE": "Haswell"])
        #expect(verbose.status == 0)
        #expect(verbose.out.contains("BLAS kernel   Haswell (OPENBLAS_CORETYPE=Haswell"))
        #expect(verbose.out.contains("threads"))
        #expect(verbose.out.contains("terminal"))
        let doctor = try Self.ritz(["doctor"], environment: ["OPENBLAS_CORETYPE": "Haswell"])
        #expect(doctor.out == verbose.out)
    }

    @Test("a run whose journal cannot be written says autosave is off, and runs")
    func autosaveOff() throws {
        let script = try Self.temporary("a.ritz", Data("1 + 1\n".utf8))
        // The state folder is a file: no journal folder can be made in it, not even by root.
        let blocked = try Self.temporary("state", Data("x".utf8))
        let r = try Self.ritz(["run", script], environment: ["XDG_STATE_HOME": blocked])
        #expect(r.status == 0)
        #expect(r.out == "Out[1]: 2\n")
        #expect(r.err.contains("ritz: autosave is off, `ritz recover` will have nothing of this run"), "\(r.err)")
    }

    @Test("doctor shows a TERM that terminfo lacks, control characters made visible")
    func doctorUnknownTerminal() throws {
        let r = try Self.ritz(["doctor"], environment: ["TERM": "x\u{1b}[2Jy"])
        let line = r.out.split(separator: "\n").first { $0.hasPrefix("terminal") }.map(String.init) ?? ""
        #expect(line.contains("not in terminfo here; the notebook draws as xterm-256color"), "\(r.out)")
        #expect(!r.out.contains("\u{1b}"))
    }

    @Test("under an affinity mask of one processor ritz runs one thread, and doctor says why")
    func oneProcessorAffinity() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/taskset"), let binary = TmuxSession.binary else { return }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/taskset")
        p.arguments = ["-c", "0", binary, "doctor"]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        let threads = text.split(separator: "\n").first { $0.hasPrefix("threads") }.map(String.init) ?? ""
        #expect(threads.contains(" 1 (ritz's pieces"), "\(text)")
        if UsableCores.count > 1 && BLASKernel.isThreadSafe { #expect(threads.contains("the affinity mask allows 1 of"), "\(text)") }
    }

    @Test("RITZ_CPU_KERNELS forces one of ritz's kernel sets the CPU runs, and doctor says so")
    func forcedKernelSet() throws {
        guard TmuxSession.binary != nil else { return }
        func kernelsLine(_ value: String) throws -> String {
            let r = try Self.ritz(["doctor"], environment: ["RITZ_CPU_KERNELS": value])
            #expect(r.status == 0)
            let line = r.out.split(separator: "\n").first { $0.hasPrefix("ritz kernels") }
            return line.map(String.init) ?? ""
        }
        let automatic = try kernelsLine("")
        let widest = try #require(automatic.split(separator: " ").last.map(String.init))
        #expect(["avx512", "avx2+fma", "baseline"].contains(widest), "\(automatic)")
        #expect(try kernelsLine("baseline").hasSuffix("products: baseline (RITZ_CPU_KERNELS=baseline)"))
        #expect(try kernelsLine("avx1024").hasSuffix(
            "products: \(widest) (RITZ_CPU_KERNELS=avx1024 ignored: not a kernel set this CPU runs)"))
    }

    @Test("a generic kernel on a CPU with wider vectors: ritz restarts once with the CPU's kernel")
    func restartsWithBetterKernel() throws {
        guard TmuxSession.binary != nil else { return }
        let cpu = CPUFeatures.current
        guard let expected = BLASKernel.preferred(reported: "Prescott", cpu: cpu) else { return }
        var env = ["RITZ_BLAS_ASSUME_REPORTED": "Prescott"]
        env["OPENBLAS_CORETYPE"] = ""
        let r = try Self.ritz(["doctor"], environment: env)
        #expect(r.status == 0)
        #expect(r.out.contains("BLAS kernel   \(expected) (chosen by ritz: OpenBLAS had picked Prescott"))
        #expect(r.out.contains("OpenBLAS") && r.out.contains(" \(expected) "))
    }

    @Test("a script and the session saved from it print the same outputs")
    func runFormatsAgree() throws {
        guard TmuxSession.binary != nil else { return }
        let script = try Self.temporary("s.ritz", Data("""
        # %%
        x = [1, 2, 3]
        x * 2
        # %%
        print("text")
        A = [1, 2; 3, 4]
        A
        """.utf8))
        let saved = script.replacingOccurrences(of: ".ritz", with: ".ipynb")
        let first = try Self.ritz(["run", script, "--save", saved])
        #expect(first.status == 0)
        #expect(first.out.contains("Out[1]: [2. 4. 6.]"))
        let again = try Self.ritz(["run", saved])
        #expect(again.status == 0)
        #expect(again.out == first.out)
        // Saving a session over itself is allowed.
        #expect(try Self.ritz(["run", saved, "--save", saved]).status == 0)
    }

    @Test("a script that is not UTF-8 is refused with the byte offset, exit 1")
    func invalidUTF8() throws {
        guard TmuxSession.binary != nil else { return }
        let path = try Self.temporary("bad.ritz", Data([0x78, 0x20, 0x3D, 0x20, 0x31, 0x0A, 0xFF, 0x0A]))
        let r = try Self.ritz(["run", path])
        #expect(r.status == 1)
        #expect(r.err.contains("not valid UTF-8"))
        #expect(r.err.contains("offset 6"))
    }

    @Test("Ctrl-C during a builtin that does not poll stops the run before the next cell, saves, exits 130")
    func interruptBetweenCells() throws {
        guard let binary = TmuxSession.binary else { return }
        let script = try Self.temporary("slow.ritz", Data("""
        # %%
        print("first")
        # %%
        S = randn(900, 900, seed=1)
        S = S + S.T
        for i in 0:40 { e = eigh(S); }
        # %%
        print("must not run")
        """.utf8))
        let saved = script.replacingOccurrences(of: ".ritz", with: ".ipynb")
        // Once the first cell has printed, interrupt the second.
        let (status, rest) = try Self.runUntil("first", binary: binary, ["run", script, "--save", saved]) { p in
            usleep(300_000)
            kill(p.processIdentifier, SIGINT)
        }
        #expect(status == 130)
        #expect(!rest.contains("must not run"))
        let notebook = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: saved))) as? [String: Any]
        let cells = notebook?["cells"] as? [[String: Any]] ?? []
        #expect(cells.count == 3)
        #expect(cells.first?["execution_count"] as? Int == 1)
    }

    @Test("run --save refuses a target that another program wrote during the run, keeping the journal")
    func saveRefusesConcurrentWriter() throws {
        guard let binary = TmuxSession.binary else { return }
        let script = try Self.temporary("s.ritz", Data("""
        # %%
        print("started")
        # %%
        t = clock()
        while clock() - t < 1.5 { 0 }
        1
        """.utf8))
        let dir = (script as NSString).deletingLastPathComponent
        let out = dir + "/out.ipynb", state = dir + "/state"
        try Data("{}".utf8).write(to: URL(fileURLWithPath: out))
        let (status, _) = try Self.runUntil("started", binary: binary, ["run", script, "--save", out],
                                            environment: ["XDG_STATE_HOME": state]) { _ in
            try? Data("another writer".utf8).write(to: URL(fileURLWithPath: out))
        }
        #expect(status == 1)
        #expect(try String(contentsOfFile: out, encoding: .utf8) == "another writer")
        // Unchanged targets save.
        let quiet = try Self.ritz(["run", script, "--save", out], environment: ["XDG_STATE_HOME": state])
        #expect(quiet.status == 0)
        #expect(try String(contentsOfFile: out, encoding: .utf8).contains("\"cells\""))
    }

    @Test("long loops inside builtins stop at Ctrl-C: simulate, a cell interrupted after 0.5 s",
          arguments: ["x = simulate(\"lorenz\", [1, 1, 1], 20000000)",
                      "m = karcher_mean([orth(randn(6, 2, seed=1)), orth(randn(6, 2, seed=2))], maxiter=100000000, tol=0)"])
    func builtinLoopsInterrupt(_ source: String) throws {
        guard TmuxSession.binary != nil else { return }
        let script = try Self.temporary("long.ritz", Data(source.utf8))
        let r = try Self.ritz(["run", script, "--keep-going", "--cell-timeout", "0.5"])
        // Interrupted (a failed cell under --keep-going), not finished and not an error of its own.
        #expect(r.status == 1, "\(r.err)")
        #expect(r.err.contains("interrupted"), "\(r.err)")
    }

    @Test("a list of many small strings is bounded by the session's limit too (the heap in use stands in for it)")
    func manySmallStringsBounded() throws {
        guard TmuxSession.binary != nil else { return }
        // Each string (128 KiB) is far under the limit; together they are not.
        let script = try Self.temporary("strings.ritz", Data("""
        base = "x"
        for i in 0:17 { base = base + base }
        l = ["start"]
        k = 0
        while true { l = l + [base + string(k)]; k = k + 1 }
        """.utf8))
        let r = try Self.ritz(["run", script], environment: ["RITZ_MEMORY_LIMIT": "40M"])
        #expect(r.status == 1)
        #expect(r.err.contains("out of memory") || r.err.contains("memory limit"))
    }

    @Test("memory bombs under ulimit -v end in a ritz error (exit 1), not a signal",
          arguments: ["x = ones(1000000)\nwhile true { x = concat([x, x]) }",
                      "s = \"ab\"\nwhile true { s = s + s }",
                      "a = ones(0.9e9)\nb = ones(0.9e9)"])
    func memoryBombsUnderAddressLimit(_ source: String) throws {
        guard let binary = TmuxSession.binary else { return }
        let script = try Self.temporary("bomb.ritz", Data(source.utf8))
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        // 3 GB of address space: the limit ritz derives from it must refuse before malloc fails.
        p.arguments = ["-c", "ulimit -v 3000000 && exec \"$0\" run \"$1\"", binary, script]
        let err = Pipe()
        p.standardOutput = FileHandle.nullDevice
        p.standardError = err
        try p.run()
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationReason == .exit && p.terminationStatus == 1, "\(text)")
        #expect(text.contains("memory limit") || text.contains("out of memory"))
    }
}
