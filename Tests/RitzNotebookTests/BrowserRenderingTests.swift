import Foundation
import Testing
import RitzNotebook
#if canImport(Glibc)
import Glibc
#endif

/// The tour's HTML export as a real browser lays it out and paints it.
///
/// The tour is run first (so its plots are the ones this build draws) and exported with
/// `Notebook.export(to:)`, the path `ritz export --to html` takes. Headless Chromium then
/// 1. loads a probed copy of the page at two window widths and reports every plot's geometry
///    (`LayoutProbe`), and
/// 2. screenshots the unmodified page at 1280 px wide, tall enough to hold it all, and the test
///    decodes the PNG (`PNGImage`) and looks inside every plot panel for painted data.
@Suite("HTML export in headless Chromium")
struct BrowserRenderingTests {
    /// The window width of the screenshot, and of the first layout probed: a desktop window.
    static let screenshotWidth = 1280
    /// The window widths the layout is probed at: the screenshot's, and Chromium's narrowest
    /// headless window (500 px), where every plot must scale down rather than be cut.
    static let widths = [screenshotWidth, 500]

    @Test("every plot of the tour's HTML export is visible and unclipped in Chromium, and painted in its screenshot",
          .enabled(if: HeadlessChromium.executable != nil || HeadlessChromium.required,
                   "chromium is not installed (apt-get install chromium); under CI=true or RITZ_REQUIRE_CHROMIUM=1 this is a failure"))
    func tourRendersInChromium() throws {
        let chromium = try #require(HeadlessChromium.executable,
                                    "chromium is not on PATH but CI or RITZ_REQUIRE_CHROMIUM requires it: apt-get install chromium")
        var tour = try #require(Tour.notebook())
        let failed = try NotebookRunner(evaluator: SessionEvaluator()).runAll(&tour, stopOnError: true)
        try #require(failed == nil, "the tour failed at cell \((failed ?? 0) + 1)")
        let plotCount = tour.cells.flatMap(\.outputs).filter { $0.svg != nil }.count
        try #require(plotCount > 0)

        let dir = try temporaryDirectory()
        var problems: [String] = []
        // On failure the page, its probed copy and the screenshot stay for a look.
        defer { if problems.isEmpty { try? FileManager.default.removeItem(atPath: dir) } }
        let browser = HeadlessChromium(executable: chromium, folder: dir)
        let page = dir + "/tour.html", probed = dir + "/tour-probed.html", shot = dir + "/tour.png"
        try tour.export(to: page)
        try LayoutProbe.instrument(String(contentsOfFile: page, encoding: .utf8))
            .write(toFile: probed, atomically: true, encoding: .utf8)

        var reports: [Int: LayoutReport] = [:]
        for width in Self.widths {
            let dom = try browser.run(["--dump-dom"], page: probed, window: (width, 800))
            let report = try LayoutProbe.report(fromDumpedDOM: dom)
            reports[width] = report
            problems += LayoutProbe.problems(in: report, expectedPlots: plotCount, window: width)
                .map { "at \(width) px: \($0)" }
        }
        let wide = try #require(reports[Self.screenshotWidth])
        // One screenshot of the whole page: the window is as tall as the page (no vh units in
        // the export, so the height does not change the layout), capped at a size Chromium draws.
        let height = LayoutProbe.pixel(wide.pageHeight, .up)
        try #require(height > 0 && height <= 16_384, "page height \(height) px")
        _ = try browser.run(["--screenshot=\(shot)"], page: page, window: (Self.screenshotWidth, height))
        let image = try PNGImage(data: Data(contentsOf: URL(fileURLWithPath: shot)))
        if image.width != Self.screenshotWidth || image.height != height {
            problems.append("screenshot is \(image.width)×\(image.height), not \(Self.screenshotWidth)×\(height)")
        }
        if image.isSingleColour { problems.append("screenshot is a single colour") }
        problems += LayoutProbe.unpaintedPanels(in: image, report: wide)

        // Labels inside a panel that its clip cuts (a reference line near a panel's top, as the
        // sharpness panel's "2/lr" in the tour's stability plot, takes its label below the line).
        let cut = wide.plots.enumerated().flatMap { index, plot in plot.cutLabels.map { "plot \(index + 1) label \($0)" } }
        problems += cut.map { "\($0) is cut by its panel" }
        #expect(problems == [], "files kept in \(dir)")
    }
}

/// Debian's headless Chromium, run once per page with a throwaway profile and a time limit.
struct HeadlessChromium {
    /// The browser's path on PATH (`chromium`, as Debian names it, or `chromium-browser`), or nil.
    static let executable: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for name in ["chromium", "chromium-browser"] {
            for folder in path.split(separator: ":") where !folder.isEmpty {
                let candidate = "\(folder)/\(name)"
                if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            }
        }
        return nil
    }()

    /// Whether a missing browser fails the test instead of skipping it: `CI` set (as CI
    /// services do), or `RITZ_REQUIRE_CHROMIUM=1` (as `.ci/run` does).
    static var required: Bool {
        let environment = ProcessInfo.processInfo.environment
        return !(environment["CI"] ?? "").isEmpty || environment["RITZ_REQUIRE_CHROMIUM"] == "1"
    }

    /// The longest one page may take before the browser is killed: a load takes about 2 s
    /// alone, many times that on a machine busy with the rest of the suite; a hung browser
    /// takes forever.
    static let timeoutSeconds = 120

    /// The browser to run.
    let executable: String
    /// The test's temporary folder: the browser's profile, home, stdout and stderr go there.
    let folder: String

    /// Loads `page` in a fresh headless browser and returns what it printed.
    ///
    /// The flags: `--no-sandbox` (a root container has no user namespaces for the sandbox),
    /// `--disable-gpu`, a profile in the temporary folder, one CSS pixel per device pixel,
    /// no scrollbars (so a page's layout width is the window's width), and no background
    /// networking, extensions or first-run work.
    ///
    /// - Parameters:
    ///   - options: What to do with the page (`--dump-dom`, `--screenshot=PATH`).
    ///   - page: The HTML file.
    ///   - window: The window's width and height in CSS pixels.
    /// - Returns: The browser's standard output.
    /// - Throws: `BrowserFailure` when it cannot start, exits non-zero, or outlives `timeoutSeconds`
    ///   (then it is killed).
    func run(_ options: [String], page: String, window: (width: Int, height: Int)) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--user-data-dir=\(folder)/chromium-profile",
            "--window-size=\(window.width),\(window.height)", "--force-device-scale-factor=1", "--hide-scrollbars",
            "--no-first-run", "--disable-extensions", "--disable-background-networking", "--disable-dev-shm-usage",
        ] + options + [URL(fileURLWithPath: page).absoluteString]
        // Its home and caches in the temporary folder too: nothing is written to the user's.
        var environment = ProcessInfo.processInfo.environment
        for name in ["HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"] { environment[name] = folder }
        process.environment = environment
        let stdoutPath = folder + "/chromium.out", stderrPath = folder + "/chromium.err"
        for path in [stdoutPath, stderrPath] {
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw BrowserFailure(message: "cannot create \(path)")
            }
        }
        // Files rather than pipes: a page's DOM can outgrow a pipe's buffer while we wait.
        guard let stdout = FileHandle(forWritingAtPath: stdoutPath), let stderr = FileHandle(forWritingAtPath: stderrPath) else {
            throw BrowserFailure(message: "cannot open \(stdoutPath)")
        }
        defer { try? stdout.close(); try? stderr.close() }
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = FileHandle.nullDevice
        let finished = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in finished.signal() }
        do { try process.run() } catch { throw BrowserFailure(message: "cannot start \(executable): \(error)") }
        if finished.wait(timeout: .now() + .seconds(Self.timeoutSeconds)) == .timedOut {
            // Debian's launcher execs the browser, so this id is the browser itself; its
            // renderer and helper processes exit when it does.
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw BrowserFailure(message: "chromium did not finish \(options) within \(Self.timeoutSeconds) s; killed")
        }
        let output = (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? ""
        guard process.terminationStatus == 0 else {
            let log = (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? ""
            throw BrowserFailure(message: "chromium exited with \(process.terminationStatus): \(log.suffix(2000))")
        }
        return output
    }
}

/// Why the browser gave no answer.
struct BrowserFailure: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// What the probe measured in one layout of the page, in CSS pixels relative to the page's top left.
struct LayoutReport: Decodable {
    /// An element's border box (`getBoundingClientRect`, the page unscrolled).
    struct Box: Decodable, CustomStringConvertible {
        let left, top, right, bottom: Double
        var width: Double { right - left }
        var height: Double { bottom - top }
        var description: String { "(\(left), \(top))–(\(right), \(bottom))" }

        /// Whether `inner` lies inside this box, to within `slack` on every side.
        func contains(_ inner: Box, slack: Double) -> Bool {
            inner.left >= left - slack && inner.right <= right + slack
                && inner.top >= top - slack && inner.bottom <= bottom + slack
        }
    }

    /// One `<div class="plot">`: its figure (the inline `<svg>`, or the `<img>` of a plot that
    /// was not inlined) and what it sits in.
    struct Plot: Decodable {
        /// `svg` or `img`, or `none` for a plot block without a figure.
        let kind: String
        /// The figure's box.
        let box: Box
        /// The box of its notebook cell (`<div class="cell">`).
        let cell: Box
        /// The plot block's content width and its visible width: more content than room overflows.
        let scrollWidth, clientWidth: Double
        /// The figure's own size: the SVG's viewBox (else its width and height), or the
        /// image's natural size.
        let intrinsicWidth, intrinsicHeight: Double
        /// Whether the content scales with the box: an image, or an SVG with a viewBox. An SVG
        /// without one drawn narrower than its own width is cut.
        let scales: Bool
        /// The box of every plot panel: each `rect.frame` the SVG draws around a panel's data.
        let panels: [Box]
        /// The box of every legend (`g.legend`), drawn over a panel but not its data.
        let legends: [Box]
        /// The text of every label inside a panel's clipped data whose box reaches outside
        /// the clip rectangle, so that the panel cuts it.
        let cutLabels: [String]
        /// For every `clip-path="url(#id)"` in the SVG: whether the browser resolves the id to
        /// a `<clipPath>` inside the same SVG (a repeated id resolves to the page's first one).
        let clipsResolved: [Bool]
    }

    /// The viewport's width (`documentElement.clientWidth`).
    let viewportWidth: Double
    /// The page's scrollable width and height.
    let pageWidth, pageHeight: Double
    /// The plots in page order.
    let plots: [Plot]
    /// Content-Security-Policy violations the page raised (`securitypolicyviolation` events).
    let violations: [String]
}

/// A script that measures the page's plots in the browser, and the checks on what it measured.
enum LayoutProbe {
    /// The nonce the probe script carries, allowed by the probed copy's policy.
    static let nonce = "ritz-layout-probe"

    /// Runs in the page: records policy violations from the start, and after `load` writes a
    /// `LayoutReport` as JSON into a hidden `<pre id="ritz-probe">` at the end of the body,
    /// where `--dump-dom` shows it and it moves nothing above it.
    static let script = #"""
    (() => {
      const violations = [];
      document.addEventListener('securitypolicyviolation', (e) => violations.push(e.violatedDirective + ' ' + e.blockedURI));
      const box = (e) => { const r = e.getBoundingClientRect(); return { left: r.left, top: r.top, right: r.right, bottom: r.bottom }; };
      // The element an element's clip-path="url(#id)" resolves to in this page, or null.
      const clipOf = (e) => {
        const match = /url\(#([^)]*)\)/.exec(e.getAttribute('clip-path'));
        return match ? document.getElementById(match[1]) : null;
      };
      // Whether a text inside a clipped group has its box (getBBox: advance × ascent + descent,
      // in the SVG's user units, as the clip rectangle's are) reaching outside the clip rectangle.
      const isCut = (text) => {
        const shape = clipOf(text.closest('[clip-path]'))?.querySelector('rect');
        if (!shape) return false;
        const b = text.getBBox(), x = shape.x.baseVal.value, y = shape.y.baseVal.value;
        return b.x < x - 0.5 || b.y < y - 0.5 || b.x + b.width > x + shape.width.baseVal.value + 0.5
          || b.y + b.height > y + shape.height.baseVal.value + 0.5;
      };
      addEventListener('load', () => {
        const root = document.documentElement;
        const plots = [...document.querySelectorAll('.plot')].map((block) => {
          const figure = block.querySelector('svg, img') || block;
          const kind = figure === block ? 'none' : figure.tagName.toLowerCase();
          const viewBox = kind === 'svg' && figure.viewBox.baseVal ? figure.viewBox.baseVal : null;
          // An SVG's own size: its viewBox, else its width and height attributes.
          const own = kind === 'img' ? [figure.naturalWidth, figure.naturalHeight]
            : kind === 'svg' ? (viewBox ? [viewBox.width, viewBox.height] : [figure.width.baseVal.value, figure.height.baseVal.value])
            : [0, 0];
          const all = (selector) => kind === 'svg' ? [...figure.querySelectorAll(selector)] : [];
          const resolvesInside = (e) => {
            const target = clipOf(e);
            return target !== null && figure.contains(target) && target.tagName.toLowerCase() === 'clippath';
          };
          return {
            kind, box: box(figure), cell: box(block.closest('.cell') || block),
            scrollWidth: block.scrollWidth, clientWidth: block.clientWidth,
            intrinsicWidth: own[0], intrinsicHeight: own[1], scales: kind === 'img' || viewBox !== null,
            panels: all('rect.frame').map(box),
            legends: all('g.legend').map(box),
            cutLabels: all('[clip-path] text').filter(isCut).map((t) => t.textContent),
            clipsResolved: all('[clip-path]').map(resolvesInside),
          };
        });
        const out = document.createElement('pre');
        out.id = 'ritz-probe';
        out.hidden = true;
        out.textContent = JSON.stringify({ viewportWidth: root.clientWidth, pageWidth: root.scrollWidth,
                                           pageHeight: root.scrollHeight, plots, violations });
        document.body.appendChild(out);
      });
    })();
    """#

    /// The page with the probe added: the script right after the policy's `<meta>`, and the
    /// policy's `script-src` replaced by the probe's nonce.
    ///
    /// The export forbids all script (`script-src 'none'`, or only MathJax's CDN on a page with
    /// math), which would block the probe too. Only that directive changes, so every other
    /// rule the page is laid out and painted under (styles, images, fonts, frames) is the
    /// product's own; MathJax, if any, is then blocked too (its violation is expected) and
    /// nothing is fetched. The page that is screenshotted is the export itself, unchanged.
    ///
    /// - Parameter page: The exported HTML.
    /// - Returns: The probed copy.
    /// - Throws: `BrowserFailure` when the page has no Content-Security-Policy `<meta>`.
    static func instrument(_ page: String) throws -> String {
        let opening = "<meta http-equiv=\"Content-Security-Policy\" content=\""
        guard let start = page.range(of: opening),
              let end = page.range(of: "\">", range: start.upperBound..<page.endIndex) else {
            throw BrowserFailure(message: "the export has no Content-Security-Policy <meta>")
        }
        let directives = page[start.upperBound..<end.lowerBound].split(separator: ";")
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .map { $0.hasPrefix("script-src ") ? "script-src 'nonce-\(nonce)'" : $0 }
        let policy = directives.joined(separator: "; ")
        return "\(page[..<start.upperBound])\(policy)\">\n<script nonce=\"\(nonce)\">\n\(script)\n</script>\(page[end.upperBound...])"
    }

    /// The probe's report from the DOM Chromium dumped.
    ///
    /// - Parameter dom: `--dump-dom` output of the probed page.
    /// - Returns: The decoded report.
    /// - Throws: `BrowserFailure` when the report is missing (the script did not run), or a
    ///   decoding error.
    static func report(fromDumpedDOM dom: String) throws -> LayoutReport {
        guard let open = dom.range(of: "<pre id=\"ritz-probe\" hidden=\"\">"),
              let close = dom.range(of: "</pre>", range: open.upperBound..<dom.endIndex) else {
            throw BrowserFailure(message: "no probe report in the dumped DOM: the probe script did not run")
        }
        // Text serialised into HTML has `&`, `<`, `>` escaped; `&amp;` goes last.
        let json = dom[open.upperBound..<close.lowerBound]
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&amp;", with: "&")
        return try JSONDecoder().decode(LayoutReport.self, from: Data(json.utf8))
    }

    /// Layout measurements are in CSS pixels with 1/64 px resolution; one pixel of slack
    /// covers that rounding and the half-pixel a 1 px frame stroke reaches past its rectangle.
    static let slack = 1.0

    /// What is wrong with the plots of one layout; empty when each is visible and unclipped.
    ///
    /// "Visible and unclipped" means, for every plot:
    /// * it is drawn as a figure (an inline SVG or an image) of non-zero width and height;
    /// * it lies inside the viewport's width and inside its cell, and its block does not
    ///   overflow (`scrollWidth ≤ clientWidth`), so nothing is cut at the right;
    /// * its whole viewBox is shown: drawn at its intrinsic size or scaled down (never up,
    ///   and only when it has a viewBox to scale), with the intrinsic aspect ratio kept
    ///   (height = width · intrinsic height / intrinsic width), so the viewBox maps onto the
    ///   box exactly, not cut or squeezed;
    /// * every panel frame is non-empty and inside the figure's box, and every clip path
    ///   resolves to one inside the same SVG (else the browser clips the data to another
    ///   plot's panel);
    /// and the page itself is no wider than the viewport, and its policy blocked nothing.
    ///
    /// - Parameters:
    ///   - report: The probe's report.
    ///   - expectedPlots: How many plots the notebook has.
    ///   - window: The window width the layout was made at.
    /// - Returns: One line per problem.
    static func problems(in report: LayoutReport, expectedPlots: Int, window: Int) -> [String] {
        var problems: [String] = []
        if report.viewportWidth != Double(window) { problems.append("viewport is \(report.viewportWidth) px wide") }
        if report.pageWidth > report.viewportWidth { problems.append("page is \(report.pageWidth) px wide, wider than the viewport") }
        // MathJax, on a page with math, is blocked in the probed copy on purpose (`instrument`).
        let violations = report.violations.filter { !$0.hasSuffix(" " + Notebook.mathJaxURL) }
        if !violations.isEmpty { problems.append("policy violations: \(violations)") }
        if report.plots.count != expectedPlots { problems.append("\(report.plots.count) plot blocks, expected \(expectedPlots)") }
        let viewport = LayoutReport.Box(left: 0, top: 0, right: report.viewportWidth, bottom: report.pageHeight)
        for (index, plot) in report.plots.enumerated() {
            let name = "plot \(index + 1)", box = plot.box
            guard plot.kind == "svg" || plot.kind == "img" else { problems.append("\(name) has no figure"); continue }
            guard box.width > 0, box.height > 0, plot.intrinsicWidth > 0, plot.intrinsicHeight > 0 else {
                problems.append("\(name) is empty: box \(box), intrinsic \(plot.intrinsicWidth)×\(plot.intrinsicHeight)")
                continue
            }
            if !viewport.contains(box, slack: slack) { problems.append("\(name) \(box) leaves the viewport") }
            if !plot.cell.contains(box, slack: slack) { problems.append("\(name) \(box) leaves its cell \(plot.cell)") }
            if plot.scrollWidth > plot.clientWidth { problems.append("\(name) overflows its block: \(plot.scrollWidth) > \(plot.clientWidth)") }
            if box.width > plot.intrinsicWidth + slack { problems.append("\(name) is stretched to \(box.width) px") }
            if !plot.scales && box.width < plot.intrinsicWidth - slack {
                problems.append("\(name) is \(box.width) px wide, narrower than its \(plot.intrinsicWidth) px without a viewBox to scale")
            }
            let keptRatioHeight = box.width * plot.intrinsicHeight / plot.intrinsicWidth
            if abs(box.height - keptRatioHeight) > slack {
                problems.append("\(name) is \(box.width)×\(box.height), not the aspect of its \(plot.intrinsicWidth)×\(plot.intrinsicHeight) viewBox")
            }
            if plot.kind == "svg" && plot.panels.isEmpty { problems.append("\(name) has no panel frame") }
            for (p, panel) in plot.panels.enumerated() where panel.width <= 0 || panel.height <= 0 || !box.contains(panel, slack: slack) {
                problems.append("\(name) panel \(p + 1) \(panel) is empty or outside its figure \(box)")
            }
            if let bad = plot.clipsResolved.firstIndex(of: false) {
                problems.append("\(name) clip reference \(bad + 1) resolves outside its own SVG")
            }
        }
        return problems
    }

    /// How many painted pixels a panel's interior must hold at least. The tour's panels hold
    /// 1000 to 3200 outside their legends (the sparsest is the Koopman eigenvalue scatter
    /// with its unit circle; a curve across a 570 px panel alone paints more than 570), so
    /// 200 still means "the data was drawn", while a panel whose data is clipped away or
    /// hidden shows 0: grid and background are lighter than `inkLevel`.
    static let minimumInk = 200

    /// A pixel is ink when some channel is below this: the grid (#e6e6e6, 230) and its
    /// anti-aliasing into white stay above it, every series colour and text goes below.
    static let inkLevel: UInt8 = 200

    /// The panels of `report` whose interior shows no data in the screenshot.
    ///
    /// The interior is the frame's box less 2 px on each side, so the frame's own stroke
    /// (1 px, anti-aliased over two pixels at fractional positions) is not counted, and less
    /// the figure's legends (with a pixel's margin), whose swatches are not data.
    ///
    /// - Parameters:
    ///   - image: The screenshot, one image pixel per CSS pixel, of the same layout.
    ///   - report: The probe's report of that layout.
    /// - Returns: One line per panel that is blank or outside the image.
    static func unpaintedPanels(in image: PNGImage, report: LayoutReport) -> [String] {
        var problems: [String] = []
        for (index, plot) in report.plots.enumerated() {
            for (p, panel) in plot.panels.enumerated() {
                let name = "plot \(index + 1) panel \(p + 1) \(panel)"
                let x0 = pixel(panel.left, .up) + 2, x1 = pixel(panel.right, .down) - 2
                let y0 = pixel(panel.top, .up) + 2, y1 = pixel(panel.bottom, .down) - 2
                guard x0 < x1, y0 < y1, x0 >= 0, y0 >= 0, x1 <= image.width, y1 <= image.height else {
                    problems.append("\(name) is not inside the \(image.width)×\(image.height) screenshot")
                    continue
                }
                let legends = plot.legends.filter { $0.width > 0 && $0.height > 0 }.map {
                    (x: pixel($0.left, .down) - 1..<pixel($0.right, .up) + 1,
                     y: pixel($0.top, .down) - 1..<pixel($0.bottom, .up) + 1)
                }
                let ink = image.count(x: x0..<x1, y: y0..<y1, darkerThan: inkLevel, excluding: legends)
                if ink < minimumInk { problems.append("\(name) shows \(ink) painted pixels: its data is not visible") }
            }
        }
        return problems
    }

    /// A CSS coordinate as a whole pixel, rounded as asked, clamped to ±2³⁰ so any value converts.
    static func pixel(_ coordinate: Double, _ rule: FloatingPointRoundingRule) -> Int {
        let limit = Double(1 << 30)
        return coordinate.isNaN ? 0 : Int(min(max(coordinate.rounded(rule), -limit), limit))
    }
}

/// An 8-bit RGB or RGBA PNG, decoded (the kind Chromium's `--screenshot` writes).
///
/// Chunks are read with their CRC-32 checked; the image data is inflated by the system's
/// zlib, loaded at run time (`libz.so.1`; the test target links no zlib of its own), and
/// unfiltered per scanline as the PNG specification (ISO/IEC 15948, §9) says.
struct PNGImage {
    let width: Int
    let height: Int
    /// 3 (RGB) or 4 (RGBA).
    let channels: Int
    /// Row-major samples, `channels` per pixel.
    let samples: [UInt8]

    /// Whether every pixel has the same colour.
    var isSingleColour: Bool {
        guard samples.count > channels else { return true }
        let first = samples[0..<channels]
        return stride(from: channels, to: samples.count, by: channels).allSatisfy { samples[$0..<$0 + channels] == first }
    }

    /// How many pixels in the rectangle, outside the excluded ones, have some colour channel
    /// below `level`.
    ///
    /// - Parameters:
    ///   - x: Columns (clamped to `0..<width`).
    ///   - y: Rows (clamped to `0..<height`).
    ///   - level: The channel value a pixel must go below in red, green or blue.
    ///   - excluded: Rectangles whose pixels are not counted.
    /// - Returns: The count.
    func count(x: Range<Int>, y: Range<Int>, darkerThan level: UInt8,
               excluding excluded: [(x: Range<Int>, y: Range<Int>)] = []) -> Int {
        let columns = x.clamped(to: 0..<width)
        var total = 0
        samples.withUnsafeBufferPointer { samples in
            for row in y.clamped(to: 0..<height) {
                var counted = [Bool](repeating: true, count: width)
                for rectangle in excluded where rectangle.y.contains(row) {
                    for column in rectangle.x.clamped(to: columns) { counted[column] = false }
                }
                for column in columns where counted[column] {
                    let at = (row * width + column) * channels
                    if min(samples[at], samples[at + 1], samples[at + 2]) < level { total += 1 }
                }
            }
        }
        return total
    }

    /// Decodes a PNG file's bytes.
    ///
    /// - Parameter data: The file.
    /// - Throws: `BrowserFailure` for a bad signature, chunk, CRC, size or filter, or a
    ///   format other than 8-bit non-interlaced RGB/RGBA.
    init(data: Data) throws {
        let bytes = [UInt8](data)
        let zlib = try Zlib()
        guard bytes.starts(with: [137, 80, 78, 71, 13, 10, 26, 10]) else { throw BrowserFailure(message: "not a PNG: bad signature") }
        func bigEndian(_ at: Int) -> Int { bytes[at..<at + 4].reduce(0) { $0 << 8 | Int($1) } }
        var offset = 8, header: [UInt8]?, compressed: [UInt8] = [], ended = false
        while offset + 12 <= bytes.count, !ended {
            let length = bigEndian(offset)
            guard length <= bytes.count - offset - 12 else { throw BrowserFailure(message: "PNG chunk at \(offset) runs past the end") }
            let typed = Array(bytes[offset + 4..<offset + 8 + length])
            guard zlib.crc32(typed) == UInt32(bigEndian(offset + 8 + length)) else {
                throw BrowserFailure(message: "PNG chunk at \(offset): CRC mismatch")
            }
            let type = String(decoding: typed[0..<4], as: UTF8.self), body = typed[4...]
            switch type {
            case "IHDR" where header == nil && offset == 8: header = Array(body)
            case "IDAT": compressed += body
            case "IEND": ended = true
            default: break
            }
            offset += 12 + length
        }
        guard let ihdr = header, ihdr.count == 13, ended else { throw BrowserFailure(message: "PNG without IHDR first or IEND last") }
        func field(_ at: Int) -> Int { ihdr[at..<at + 4].reduce(0) { $0 << 8 | Int($1) } }
        width = field(0)
        height = field(4)
        let (depth, colour, interlace) = (ihdr[8], ihdr[9], ihdr[12])
        guard depth == 8, colour == 2 || colour == 6, ihdr[10] == 0, ihdr[11] == 0, interlace == 0 else {
            throw BrowserFailure(message: "PNG format depth \(depth) colour \(colour) interlace \(interlace) is not 8-bit RGB/RGBA")
        }
        channels = colour == 6 ? 4 : 3
        // 1 filter byte + width·channels samples per row; bounded far below Int overflow.
        guard width > 0, height > 0, width <= 1 << 15, height <= 1 << 15 else {
            throw BrowserFailure(message: "PNG size \(width)×\(height)")
        }
        let filtered = try zlib.uncompress(compressed, size: height * (width * channels + 1))
        samples = try Self.unfilter(filtered, rows: height, rowLength: width * channels, bytesPerPixel: channels)
    }

    /// Undoes PNG's per-scanline filters (none, Sub, Up, Average, Paeth; PNG §9.2).
    ///
    /// - Parameters:
    ///   - filtered: Rows of one filter-type byte then `rowLength` filtered bytes.
    ///   - rows: The number of rows.
    ///   - rowLength: Bytes per row, without the filter byte.
    ///   - bytesPerPixel: The distance to the pixel on the left.
    /// - Returns: The samples, `rows · rowLength` bytes.
    /// - Throws: `BrowserFailure` for an unknown filter type.
    static func unfilter(_ filtered: [UInt8], rows: Int, rowLength: Int, bytesPerPixel: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: rows * rowLength)
        try out.withUnsafeMutableBufferPointer { out in
            try filtered.withUnsafeBufferPointer { filtered in
                for row in 0..<rows {
                    let filter = filtered[row * (rowLength + 1)], source = row * (rowLength + 1) + 1, target = row * rowLength
                    // x: the filtered byte; a: left, b: above, c: above left (0 outside the image).
                    func a(_ i: Int) -> Int { i >= bytesPerPixel ? Int(out[target + i - bytesPerPixel]) : 0 }
                    func b(_ i: Int) -> Int { row > 0 ? Int(out[target - rowLength + i]) : 0 }
                    func c(_ i: Int) -> Int { row > 0 && i >= bytesPerPixel ? Int(out[target - rowLength + i - bytesPerPixel]) : 0 }
                    func x(_ i: Int) -> Int { Int(filtered[source + i]) }
                    switch filter {
                    case 0: for i in 0..<rowLength { out[target + i] = filtered[source + i] }
                    case 1: for i in 0..<rowLength { out[target + i] = UInt8(truncatingIfNeeded: x(i) + a(i)) }
                    case 2: for i in 0..<rowLength { out[target + i] = UInt8(truncatingIfNeeded: x(i) + b(i)) }
                    case 3: for i in 0..<rowLength { out[target + i] = UInt8(truncatingIfNeeded: x(i) + (a(i) + b(i)) / 2) }
                    case 4:
                        for i in 0..<rowLength {
                            // Paeth: the neighbour nearest p = a + b − c, ties to a, then b.
                            let a = a(i), b = b(i), c = c(i)
                            let p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c)
                            out[target + i] = UInt8(truncatingIfNeeded: x(i) + (pa <= pb && pa <= pc ? a : (pb <= pc ? b : c)))
                        }
                    default: throw BrowserFailure(message: "PNG row \(row): unknown filter \(filter)")
                    }
                }
            }
        }
        return out
    }
}

/// The system zlib's `uncompress` and `crc32`, looked up at run time.
struct Zlib {
    private typealias Uncompress = @convention(c) (UnsafeMutablePointer<UInt8>?, UnsafeMutablePointer<UInt>?,
                                                   UnsafePointer<UInt8>?, UInt) -> Int32
    private typealias CRC32 = @convention(c) (UInt, UnsafePointer<UInt8>?, UInt32) -> UInt
    private let uncompressFunction: Uncompress
    private let crc32Function: CRC32

    /// Loads `libz.so.1` (Debian's `zlib1g`, which every Debian system has).
    ///
    /// - Throws: `BrowserFailure` when the library or a symbol is missing.
    init() throws {
        guard let library = dlopen("libz.so.1", RTLD_NOW),
              let uncompress = dlsym(library, "uncompress"), let crc = dlsym(library, "crc32") else {
            throw BrowserFailure(message: "cannot load zlib (libz.so.1)")
        }
        uncompressFunction = unsafeBitCast(uncompress, to: Uncompress.self)
        crc32Function = unsafeBitCast(crc, to: CRC32.self)
    }

    /// CRC-32 (ISO 3309, as PNG chunks carry it) of `bytes`.
    func crc32(_ bytes: [UInt8]) -> UInt32 {
        UInt32(truncatingIfNeeded: bytes.withUnsafeBufferPointer { crc32Function(0, $0.baseAddress, UInt32(bytes.count)) })
    }

    /// Inflates a zlib stream that must come to exactly `size` bytes.
    ///
    /// - Parameters:
    ///   - stream: The zlib stream (RFC 1950).
    ///   - size: The expected size.
    /// - Returns: The inflated bytes.
    /// - Throws: `BrowserFailure` when zlib fails or the size differs.
    func uncompress(_ stream: [UInt8], size: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: size)
        var produced = UInt(size)
        let status = out.withUnsafeMutableBufferPointer { target in
            stream.withUnsafeBufferPointer { source in
                uncompressFunction(target.baseAddress, &produced, source.baseAddress, UInt(stream.count))
            }
        }
        guard status == 0, produced == UInt(size) else {
            throw BrowserFailure(message: "zlib uncompress: status \(status), \(produced) of \(size) bytes")
        }
        return out
    }
}
