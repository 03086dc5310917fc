import RitzLang

/// `ritz help [TOPIC]`: the text the notebook shows for `?TOPIC`.
enum HelpCommand {
    static func main(_ args: [String]) -> Int32 {
        let session = Session()
        guard let topic = args.first else {
            print("usage: ritz [FILE] | repl | run FILE [--no-plots] | check FILE.ipynb [--rtol X] [--atol Y] [--exact] | export FILE --to md|html|ritz | recover | help [TOPIC]\n")
            print(session.helpIndex())
            return 0
        }
        if let text = session.help(topic) {
            print(text)
            return 0
        }
        printError("ritz help: no topic `\(topic)`")
        if let near = session.complete(prefix: String(topic.prefix(2))).first { printError("  did you mean `\(near)`?") }
        return 1
    }
}
