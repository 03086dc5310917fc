import RitzNotebook

/// A notebook exercising every kind of cell and output, with awkward text.
func sampleNotebook() -> Notebook {
    let svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"40\" height=\"20\"><path d=\"M0 0L40 20\"/></svg>"
    return Notebook(cells: [
        Cell(id: "intro", kind: .markdown, source: "# Tour\n\nTensors & `plots` <b>here</b>."),
        Cell(id: "cell-2", source: "x = [1, 2; 3, 4]\nx @ x", executionCount: 1, outputs: [
            .result(executionCount: 1, data: [textMIME: "2×2 tensor\n 7  10\n15  22"]),
        ]),
        Cell(id: "cell-3", source: "print(\"a\\tb \\\"q\\\" <script>\")\nplot(0:10)", executionCount: 2, outputs: [
            .stream(name: "stdout", text: "a\tb \"q\" <script>\n"),
            .plot(text: "⠁⠂⠄⡀\n⣿ axis", svg: svg),
        ]),
        Cell(id: "cell-4", source: "y = W @ x", executionCount: 3, outputs: [
            .error(name: "ShapeError", value: "shape mismatch in `@`",
                   traceback: ["error: shape mismatch in `@`: (3, 4) @ (3, 4)", "  --> cell 4, line 1, col 5"]),
        ]),
        Cell(id: "cell-5", source: "", executionCount: nil),
        Cell(id: "raw-1", kind: .raw, source: "raw text\nline 2"),
    ], metadata: ["custom": .object(["k": .number(1)])])
}
