import Foundation
import Testing
@testable import RitzPlot

@Suite struct ScratchTests {
    @Test func show() throws {
        let x = (0..<200).map { Double($0) / 20 }
        var f = try Figure.lines([("sin", x, x.map { sin($0) }), ("cos", x, x.map { cos($0) * 0.5 })])
        f.title = "Waves"; f.xlabel = "t"; f.ylabel = "amplitude"
        for k in CanvasKind.allCases { print(f.renderText(width: 60, height: 18, canvas: k, color: false)) }
        let h = try Figure.histogram((0..<1000).map { sin(Double($0) * 12.9898) * 43758.5453 }.map { $0 - $0.rounded(.down) })
        print(h.renderText(width: 50, height: 14, canvas: .braille, color: false))
        let s = try Figure.spectrum(re: [0.9, 0.5, -0.3, 1.2, 0.0], im: [0.1, -0.6, 0.2, 0.0, 0.95], residuals: [1e-8, 1e-9, 0.3, 0.5, 1e-10], tolerance: 1e-3)
        print(s.renderText(width: 50, height: 20, canvas: .braille, color: false))
        var vals = [Double](); for i in 0..<20 { for j in 0..<30 { vals.append(sin(Double(i)/3)*cos(Double(j)/5)) } }
        print(try Figure.heatmap(vals, rows: 20, cols: 30).renderText(width: 50, height: 16, canvas: .block, color: false))
        print(try Figure.contour(vals, rows: 20, cols: 30, x: (-1, 1), y: (-1, 1)).renderText(width: 50, height: 16, canvas: .braille, color: false))
        print(try Figure.density(x: (0..<100).map { Double($0) / 10 }, y: (0..<100).map { exp(-Double($0) / 5) }).renderText(width: 50, height: 16, canvas: .braille, color: false))
        print(try Figure.bar([3, 5, 2, 7], labels: ["a", "b", "c", "d"]).renderText(width: 40, height: 12, canvas: .block, color: false))
        let st = Figure.stacked([try Figure.line(x.map { exp(-$0) }, name: "loss").withYLabel("loss"), try Figure.line(x.map { 1.5 + sin($0) }).withYLabel("sharpness").hline(2, label: "2/lr")])
        print(st.renderText(width: 60, height: 20, canvas: .braille, color: false))
    }
}
extension Figure { func withYLabel(_ s: String) -> Figure { var f = self; f.ylabel = s; return f } }
