import Foundation
import PracticeCore

/// Self-contained HTML: inline CSS and an inline SVG pain chart; prints cleanly.
public enum HTMLRenderer {
    public static func render(_ s: CoordinationSummary) -> String {
        var html = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>\(escape(s.title)) — \(escape(s.client.name))</title>
            <style>
            body{font-family:"DejaVu Sans",Helvetica,Arial,sans-serif;font-size:11pt;color:#222;max-width:46em;margin:2em auto;line-height:1.4}
            h1{font-size:16pt;margin:0 0 .2em}h2{font-size:12pt;border-bottom:1px solid #999;margin:1.2em 0 .4em}
            table{border-collapse:collapse;width:100%;margin:.4em 0}th,td{border:1px solid #bbb;padding:2px 6px;text-align:left;font-size:10pt}
            th{background:#eee}.meta{color:#555}.flag{color:#a00}.sig{margin-top:2em}
            @media print{body{margin:0;max-width:none}h2{break-after:avoid}table{break-inside:avoid}}
            </style></head><body>
            <h1>\(escape(s.title))</h1>
            <p class="meta">\(escape(s.practice.name)) · \(s.generatedOn)</p>
            <p><b>To:</b> \(escape(s.addressee.name)) (\(escape(s.addresseeKind.cliName)))\(s.addressee.lines.isEmpty ? "" : "<br>" + s.addressee.lines.map(escape).joined(separator: "<br>"))</p>
            <p><b>Client:</b> \(escape(s.client.name)), born \(s.clientBorn)</p>

            """
        if let t = s.therapist {
            html += "<p><b>Therapist:</b> \(escape(t.name))\(s.therapistMskYears.map { ", \($0.formatted1) years of musculoskeletal experience" } ?? "")</p>\n"
        }
        for section in Section.all(s) {
            html += "<h2>\(escape(section.title))</h2>\n"
            for p in section.paragraphs {
                html += "<p\(p.contains("[rule") ? " class=\"flag\"" : "")>\(escape(p).replacingOccurrences(of: "\n", with: "<br>"))</p>\n"
            }
            if section.title.hasPrefix("Pain trend") { html += PainChart.svg(s) + "\n" }
            if let table = section.table, !table.rows.isEmpty {
                html += "<table><tr>" + table.header.map { "<th>\(escape($0))</th>" }.joined() + "</tr>\n"
                for row in table.rows { html += "<tr>" + row.map { "<td>\(escape($0))</td>" }.joined() + "</tr>\n" }
                html += "</table>\n"
            }
        }
        html += "<p class=\"sig\">" + Section.signature(s).map(escape).joined(separator: "<br>") + "</p>\n</body></html>\n"
        return html
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}

/// The pain chart's geometry, shared by the SVG and the PDF: axis 0–10, a point per session.
struct PainChart {
    static let width = 480.0
    static let height = 200.0
    static let left = 36.0
    static let bottom = 30.0
    static let top = 10.0
    static let right = 10.0

    let sessions: [CoordinationSummary.Session]
    let baseline: Int?

    init(_ s: CoordinationSummary) {
        sessions = s.completed.filter { $0.painBefore != nil || $0.painAfter != nil }
        baseline = s.baselinePain
    }

    func x(_ index: Int) -> Double {
        let span = Self.width - Self.left - Self.right
        return sessions.count <= 1 ? Self.left + span / 2 : Self.left + span * Double(index) / Double(sessions.count - 1)
    }

    func y(_ score: Double) -> Double { Self.top + (Self.height - Self.top - Self.bottom) * (1 - score / 10) }

    func points(_ value: (CoordinationSummary.Session) -> Int?) -> [(Double, Double)] {
        sessions.enumerated().compactMap { index, session in value(session).map { (x(index), y(Double($0))) } }
    }

    /// Which session dates get a label, so they don't collide.
    var labelled: [Int] {
        let step = max(1, Int((Double(sessions.count) / 8).rounded(.up)))
        return Array(stride(from: 0, to: sessions.count, by: step))
    }

    static func svg(_ s: CoordinationSummary) -> String {
        let chart = PainChart(s)
        guard !chart.sessions.isEmpty else { return "<p>No pain scores to chart.</p>" }
        func path(_ points: [(Double, Double)]) -> String {
            points.map { String(format: "%.1f,%.1f", $0.0, $0.1) }.joined(separator: " ")
        }
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"Pain before and after each session\">\n"
        for tick in stride(from: 0, through: 10, by: 2) {
            let y = chart.y(Double(tick))
            svg += String(format: "<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"#ddd\"/>", left, y, width - right, y)
            svg += String(format: "<text x=\"%.0f\" y=\"%.1f\" font-size=\"9\" text-anchor=\"end\">%d</text>\n", left - 4, y + 3, tick)
        }
        if let baseline = chart.baseline {
            let y = chart.y(Double(baseline))
            svg += String(format: "<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"#888\" stroke-dasharray=\"4 3\"/>", left, y, width - right, y)
            svg += String(format: "<text x=\"%.0f\" y=\"%.1f\" font-size=\"9\" fill=\"#555\" text-anchor=\"end\">baseline %d</text>\n", width - right, y - 3, baseline)
        }
        svg += "<polyline fill=\"none\" stroke=\"#c0392b\" stroke-width=\"2\" points=\"\(path(chart.points { $0.painBefore }))\"/>\n"
        svg += "<polyline fill=\"none\" stroke=\"#2e86c1\" stroke-width=\"2\" points=\"\(path(chart.points { $0.painAfter }))\"/>\n"
        for index in chart.labelled {
            let label = String(chart.sessions[index].date.description.dropFirst(5))
            svg += String(format: "<text x=\"%.1f\" y=\"%.0f\" font-size=\"8\" text-anchor=\"middle\">", chart.x(index), height - 14) + label + "</text>"
        }
        svg += "<text x=\"\(Int(left))\" y=\"\(Int(height - 2))\" font-size=\"9\" fill=\"#c0392b\">— before session</text>"
        svg += "<text x=\"\(Int(left) + 110)\" y=\"\(Int(height - 2))\" font-size=\"9\" fill=\"#2e86c1\">— after session</text>\n</svg>"
        return svg
    }
}
