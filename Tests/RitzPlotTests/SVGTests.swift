import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import RitzPlot

/// Collects the elements of an SVG document with their attributes and text.
final class SVGCollector: NSObject, XMLParserDelegate {
    struct Element { let name: String; let attributes: [String: String]; var text: String; let ancestors: [String] }
    var elements: [Element] = []
    private var stack: [Int] = []
    private var classes: [String] = []

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        elements.append(Element(name: name, attributes: attributes, text: "", ancestors: classes))
        stack.append(elements.count - 1)
        classes.append(attributes["class"] ?? "")
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        stack.removeLast()
        classes.removeLast()
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if let i = stack.last { elements[i].text += string }
    }

    static func parse(_ svg: String) -> SVGCollector? {
        let c = SVGCollector()
        let p = XMLParser(data: Data(svg.utf8))
        p.delegate = c
        return p.parse() ? c : nil
    }

    func named(_ n: String) -> [Element] { elements.filter { $0.name == n } }
    func withClass(_ k: String) -> [Element] { elements.filter { $0.attributes["class"] == k } }
    var texts: [String] { named("text").map(\.text) }
}

@Suite struct SVGTests {
    @Test(arguments: ["line", "scatter", "histogram", "density", "heatmap", "bar", "spectrum", "contour", "stacked", "live"])
    func wellFormedWithFramesAndTicks(kind: String) throws {
        guard let f = try GoldenTests.figures().first(where: { $0.0 == kind })?.1 else { Issue.record("missing"); return }
        let svg = f.svg(width: 720, height: 450)
        guard let doc = SVGCollector.parse(svg) else { Issue.record("not well-formed XML"); return }
        let root = doc.elements.first
        #expect(root?.name == "svg")
        #expect(root?.attributes["xmlns"] == "http://www.w3.org/2000/svg")
        #expect(root?.attributes["width"] == "720")
        #expect(doc.withClass("frame").count == f.panels.count)
        #expect(doc.withClass("background").count == 1)
        // Tick labels of the y axes are present as text.
        let axes = f.axes(xTarget: max(2, 600 / 90), yTargets: [], unicode: true, aspect: 1)
        #expect(!axes.x.ticks.isEmpty)
        #expect(doc.named("text").count >= 4)
        // Every coordinate attribute is a finite number.
        for e in doc.elements {
            for key in ["x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "width", "height", "r"] {
                if let v = e.attributes[key] { #expect(Double(v)?.isFinite == true, "\(e.name) \(key)=\(v)") }
            }
        }
    }

    @Test func lineFigureHasSeriesLegendTitleAndLabels() throws {
        var f = try Figure.lines([("train", nil, [1, 0.5, 0.25, 0.2]), ("test", nil, [1.1, 0.7, 0.6, 0.65])])
        f.title = "Loss & <curves>"
        f.xlabel = "epoch"
        f.ylabel = "loss"
        guard let doc = SVGCollector.parse(f.svg()) else { Issue.record("not well-formed"); return }
        let paths = doc.withClass("series")
        #expect(paths.count == 2)
        #expect(Set(paths.compactMap { $0.attributes["stroke"] }) == [PlotColor.blue.hex, PlotColor.red.hex])
        #expect(doc.texts.contains("Loss & <curves>"))
        #expect(doc.texts.contains("epoch") && doc.texts.contains("loss"))
        let legendTexts = doc.elements.filter { $0.name == "text" && $0.ancestors.contains("legend") }.map(\.text)
        #expect(legendTexts == ["train", "test"])
        for label in ["0", "1.0", "2.0", "3.0"] { #expect(doc.texts.contains(label)) }
    }

    @Test func nanBreaksTheSVGPath() throws {
        let f = try Figure.line([1, 2, .nan, 3, 4])
        guard let d = SVGCollector.parse(f.svg())?.withClass("series").first?.attributes["d"] else { Issue.record("no path"); return }
        #expect(d.filter { $0 == "M" }.count == 2)
        #expect(d.filter { $0 == "L" }.count == 2)
    }

    @Test func heatmapHasOneCellPerEntryAndAColourBar() throws {
        let f = try Figure.heatmap((0..<12).map(Double.init), rows: 3, cols: 4)
        guard let doc = SVGCollector.parse(f.svg()) else { Issue.record("not well-formed"); return }
        let cells = doc.elements.filter { $0.name == "rect" && $0.ancestors.contains("heatmap") }
        #expect(cells.count == 12)
        #expect(Set(cells.compactMap { $0.attributes["fill"] }).count == 12)
        #expect(doc.withClass("colorbar").count == 1)
        #expect(doc.named("stop").count >= 2)
    }

    @Test func bigHeatmapIsAveragedToAtMost200Square() throws {
        let f = try Figure.heatmap((0..<(450 * 30)).map { Double($0 % 97) }, rows: 450, cols: 30)
        guard let doc = SVGCollector.parse(f.svg()) else { Issue.record("not well-formed"); return }
        let cells = doc.elements.filter { $0.name == "rect" && $0.ancestors.contains("heatmap") }
        #expect(cells.count == 150 * 30)
    }

    @Test func spectrumHasUnitCircleAndMarkersPerClass() throws {
        let f = try Figure.spectrum(re: [0.5, 0.9, 1.3], im: [0.5, 0, 0.2], residuals: [1e-9, 1e-9, 0.4], tolerance: 1e-3)
        guard let doc = SVGCollector.parse(f.svg()) else { Issue.record("not well-formed"); return }
        let circle = doc.withClass("series").first
        #expect(circle?.attributes["stroke-dasharray"] != nil)
        let marks = doc.elements.filter { $0.attributes["class"] == "marker" && $0.ancestors.contains("markers") }
        #expect(marks.filter { $0.name == "circle" }.count == 2)
        #expect(marks.filter { $0.name == "path" }.count == 1)
        let legendTexts = doc.elements.filter { $0.name == "text" && $0.ancestors.contains("legend") }.map(\.text)
        #expect(legendTexts == ["residual ≤ 0.001", "residual > 0.001"])
        #expect(doc.texts.contains("Re") && doc.texts.contains("Im"))
    }

    @Test func contourHasOnePathPerLevelAndLogTicksUseSuperscripts() throws {
        let figures = try GoldenTests.figures()
        guard let contour = figures.first(where: { $0.0 == "contour" })?.1,
              let doc = SVGCollector.parse(contour.svg()) else { Issue.record("not well-formed"); return }
        #expect(doc.withClass("contour").count == 3)
        guard let density = figures.first(where: { $0.0 == "density" })?.1,
              let d2 = SVGCollector.parse(density.svg()) else { Issue.record("not well-formed"); return }
        #expect(d2.texts.contains("10⁻⁴"))
    }

    @Test func hlineIsDashedAndLabelled() throws {
        let f = try Figure.line([1, 3, 2]).hline(2.5, label: "2/lr")
        guard let doc = SVGCollector.parse(f.svg()) else { Issue.record("not well-formed"); return }
        #expect(doc.withClass("hline").first?.attributes["stroke-dasharray"] != nil)
        #expect(doc.texts.contains("2/lr"))
    }
}
