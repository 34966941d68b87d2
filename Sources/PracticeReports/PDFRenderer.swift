import CPangoCairo
import Foundation
import PracticeCore

/// Typeset PDF through cairo and pango: wrapped text, tables, a drawn pain chart, page numbers.
public enum PDFRenderer {
    public enum Paper: String, Sendable, CaseIterable {
        case a4, letter

        var size: (width: Double, height: Double) {
            switch self {
            case .a4: (595.28, 841.89)
            case .letter: (612, 792)
            }
        }
    }

    /// What a PDF is made of: the same blocks serve the coordination summary and the superbill.
    public enum Block: Sendable {
        case text(String, font: String, color: (Double, Double, Double) = (0, 0, 0))
        case heading(String)
        case table(header: [String], rows: [[String]])
        case chart(CoordinationSummary)
        case gap(Double)
    }

    /// Writes the summary to `path`. Returns the number of pages.
    @discardableResult
    public static func render(_ s: CoordinationSummary, paper: Paper, to path: String) throws -> Int {
        try render(blocks(s), footer: "\(s.client.name) — \(s.title), \(s.generatedOn)", paper: paper, to: path)
    }

    /// Lays blocks out on pages with a footer and "page n of N". Returns the number of pages.
    @discardableResult
    public static func render(_ blocks: [Block], footer: String, paper: Paper, to path: String) throws -> Int {
        // First pass counts pages (for "page n of N"); the second draws.
        let pages = try Page.layout(blocks, footer: footer, paper: paper, path: nil, totalPages: 0)
        return try Page.layout(blocks, footer: footer, paper: paper, path: path, totalPages: pages)
    }

    static func blocks(_ s: CoordinationSummary) -> [Block] {
        var blocks: [Block] = [
            .text(s.title, font: "DejaVu Sans Bold 16"),
            .text("\(s.practice.name) · \(s.generatedOn)", font: "DejaVu Sans 9", color: (0.35, 0.35, 0.35)),
            .gap(8),
            .text("To: \(s.addressee.name) (\(s.addresseeKind.cliName))" + (s.addresseeNPI.map { ", NPI \($0)" } ?? ""), font: "DejaVu Sans Bold 10"),
        ]
        if !s.addressee.lines.isEmpty { blocks.append(.text(s.addressee.lines.joined(separator: " · "), font: "DejaVu Sans 9")) }
        blocks.append(.text("Client: \(s.client.name), born \(s.clientBorn)", font: "DejaVu Sans Bold 10"))
        if let t = s.therapist {
            blocks.append(.text("Therapist: \(t.name)" + (s.therapistMskYears.map { ", \($0.formatted1) years of musculoskeletal experience" } ?? ""),
                                font: "DejaVu Sans 10"))
        }
        for section in Section.all(s) {
            blocks += [.gap(10), .heading(section.title)]
            for paragraph in section.paragraphs {
                blocks.append(.text(paragraph, font: "DejaVu Sans 10", color: paragraph.contains("[rule") ? (0.6, 0, 0) : (0, 0, 0)))
            }
            if section.title.hasPrefix("Pain trend") { blocks.append(.chart(s)) }
            if let table = section.table, !table.rows.isEmpty { blocks.append(.table(header: table.header, rows: table.rows)) }
        }
        blocks += [.gap(24), .text(Section.signature(s).joined(separator: "\n"), font: "DejaVu Sans 10")]
        return blocks
    }

    final class Page {
        let cr: OpaquePointer
        let surface: OpaquePointer
        let width: Double
        let height: Double
        let margin = 56.0
        var y: Double
        var number = 1
        let total: Int
        let drawing: Bool
        let footer: String

        init(paper: Paper, path: String?, total: Int, footer: String) throws {
            let (w, h) = paper.size
            (width, height) = (w, h)
            drawing = path != nil
            surface = path.map { cairo_pdf_surface_create($0, w, h) }
                ?? cairo_recording_surface_create(CAIRO_CONTENT_COLOR_ALPHA, nil)
            guard cairo_surface_status(surface) == CAIRO_STATUS_SUCCESS else {
                throw PracticeError.invalid(field: "--out", reason: "cannot write a PDF to \(path ?? "memory")")
            }
            cr = cairo_create(surface)
            y = margin
            self.total = total
            self.footer = footer
        }

        deinit {
            cairo_destroy(cr)
            cairo_surface_finish(surface)
            cairo_surface_destroy(surface)
        }

        var contentWidth: Double { width - 2 * margin }

        static func layout(_ blocks: [Block], footer: String, paper: Paper, path: String?, totalPages: Int) throws -> Int {
            let page = try Page(paper: paper, path: path, total: totalPages, footer: footer)
            for block in blocks {
                switch block {
                case .text(let text, let font, let color): page.text(text, font: font, color: color)
                case .heading(let title): page.heading(title)
                case .table(let header, let rows): page.table(Section.Table(header: header, rows: rows))
                case .chart(let summary): page.chart(PainChart(summary))
                case .gap(let points): page.gap(points)
                }
            }
            page.finishPage()
            // cairo reports a failed write (a full disk, a closed file) only in its status: check
            // it, so a failed PDF is an error and never renamed over a good one.
            if page.drawing {
                cairo_surface_finish(page.surface)
                let status = cairo_surface_status(page.surface)
                guard status == CAIRO_STATUS_SUCCESS else {
                    throw PracticeError.invalid(field: "--out",
                                                reason: "the PDF could not be written (\(String(cString: cairo_status_to_string(status))))")
                }
            }
            return page.number
        }

        func gap(_ points: Double) { y += points }

        func ensure(_ needed: Double) {
            if y + needed > height - margin - 20 {
                finishPage()
                number += 1
                y = margin
            }
        }

        func finishPage() {
            if total > 1 || (!drawing && number > 1) {
                let label = "Page \(number) of \(max(total, number))"
                let layout = makeLayout(label, font: "DejaVu Sans 8", width: contentWidth)
                draw(layout, x: margin, y: height - margin + 10, color: (0.4, 0.4, 0.4))
                let left = makeLayout(footer, font: "DejaVu Sans 8", width: contentWidth)
                draw(left, x: margin, y: height - margin + 22, color: (0.4, 0.4, 0.4))
                g_object_unref(UnsafeMutableRawPointer(layout))
                g_object_unref(UnsafeMutableRawPointer(left))
            }
            cairo_show_page(cr)
        }

        func makeLayout(_ text: String, font: String, width: Double) -> OpaquePointer {
            let layout = pango_cairo_create_layout(cr)!
            let description = pango_font_description_from_string(font)
            pango_layout_set_font_description(layout, description)
            pango_font_description_free(description)
            pango_layout_set_width(layout, Int32(width * 1024))
            pango_layout_set_wrap(layout, PANGO_WRAP_WORD_CHAR)
            pango_layout_set_text(layout, text, -1)
            return layout
        }

        func size(_ layout: OpaquePointer) -> (Double, Double) {
            var w: Int32 = 0
            var h: Int32 = 0
            pango_layout_get_pixel_size(layout, &w, &h)
            return (Double(w), Double(h))
        }

        func draw(_ layout: OpaquePointer, x: Double, y: Double, color: (Double, Double, Double) = (0, 0, 0)) {
            cairo_set_source_rgb(cr, color.0, color.1, color.2)
            cairo_move_to(cr, x, y)
            pango_cairo_show_layout(cr, layout)
        }

        /// A paragraph, broken across pages line by line: a paragraph taller than a page (one
        /// 3,000-character assessment, or a megabyte) flows on, as in a word processor. Very long
        /// text is laid out in pieces of a few thousand characters, so layout time stays linear.
        func text(_ text: String, font: String, color: (Double, Double, Double) = (0, 0, 0)) {
            for piece in Self.pieces(of: text) {
                let layout = makeLayout(piece, font: font, width: contentWidth)
                defer { g_object_unref(UnsafeMutableRawPointer(layout)) }
                let (_, h) = size(layout)
                if y + h <= height - margin - 20 {
                    draw(layout, x: margin, y: y, color: color)
                    y += h
                    continue
                }
                guard let iterator = pango_layout_get_iter(layout) else { continue }
                defer { pango_layout_iter_free(iterator) }
                cairo_set_source_rgb(cr, color.0, color.1, color.2)
                repeat {
                    var logical = PangoRectangle()
                    pango_layout_iter_get_line_extents(iterator, nil, &logical)
                    let lineHeight = Double(logical.height) / Double(PANGO_SCALE)
                    let baseline = Double(pango_layout_iter_get_baseline(iterator) - logical.y) / Double(PANGO_SCALE)
                    ensure(lineHeight)
                    if let line = pango_layout_iter_get_line_readonly(iterator) {
                        cairo_set_source_rgb(cr, color.0, color.1, color.2)
                        cairo_move_to(cr, margin, y + baseline)
                        pango_cairo_show_layout_line(cr, line)
                    }
                    y += lineHeight
                } while pango_layout_iter_next_line(iterator) != 0
            }
            y += 3
        }

        /// Splits text at line breaks, and a line longer than `limit` characters at a space near
        /// the limit (or at the limit, for text without spaces); whole short lines go back together.
        static func pieces(of text: String, limit: Int = 4_000) -> [String] {
            var pieces: [(text: String, endsLine: Bool)] = []
            for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
                var rest = Substring(line)
                while rest.count > limit {
                    let end = rest.index(rest.startIndex, offsetBy: limit)
                    let space = rest[..<end].lastIndex(of: " ").map { rest.index(after: $0) }
                    let cut = space.flatMap { rest.distance(from: rest.startIndex, to: $0) > limit / 2 ? $0 : nil } ?? end
                    pieces.append((String(rest[..<cut]), false))
                    rest = rest[cut...]
                }
                pieces.append((String(rest), true))
            }
            var merged: [String] = []
            var current: (text: String, endsLine: Bool)?
            for piece in pieces {
                if let open = current, open.endsLine, open.text.count + piece.text.count < limit {
                    current = (open.text + "\n" + piece.text, piece.endsLine)
                } else {
                    if let open = current { merged.append(open.text) }
                    current = piece
                }
            }
            if let open = current { merged.append(open.text) }
            return merged
        }

        func heading(_ title: String) {
            ensure(60)  // keep a heading with what follows it
            text(title, font: "DejaVu Sans Bold 12", color: (0.1, 0.25, 0.45))
            cairo_set_source_rgb(cr, 0.6, 0.6, 0.6)
            cairo_set_line_width(cr, 0.5)
            cairo_move_to(cr, margin, y - 1)
            cairo_line_to(cr, width - margin, y - 1)
            cairo_stroke(cr)
            y += 3
        }

        func table(_ table: Section.Table) {
            // Natural (unwrapped) widths; narrow columns keep theirs, wide ones share what is left.
            let natural: [Double] = table.header.indices.map { index in
                ([table.header[index]] + table.rows.map { $0[index] }).map { cell in
                    let layout = makeLayout(String(cell.prefix(300)), font: "DejaVu Sans Bold 8.5", width: 10_000)
                    defer { g_object_unref(UnsafeMutableRawPointer(layout)) }
                    return size(layout).0 + 8
                }.max() ?? 20
            }
            var columnWidths = natural
            if natural.reduce(0, +) > contentWidth {
                let fair = contentWidth / Double(natural.count)
                let narrow = natural.filter { $0 <= fair }.reduce(0, +)
                let wide = natural.filter { $0 > fair }.reduce(0, +)
                columnWidths = natural.map { $0 <= fair ? $0 : $0 / wide * (contentWidth - narrow) }
            } else {
                columnWidths = natural.map { $0 / natural.reduce(0, +) * contentWidth }
            }
            func row(_ cells: [String], bold: Bool) {
                // A row must fit on a page: a cell past 1,500 characters says where the rest is.
                let cells = cells.map { $0.count > 1_500 ? String($0.prefix(1_500)) + " … (continued in the full record)" : $0 }
                let layouts = cells.enumerated().map { index, cell in
                    makeLayout(cell, font: bold ? "DejaVu Sans Bold 8.5" : "DejaVu Sans 8.5", width: columnWidths[index] - 6)
                }
                defer { layouts.forEach { g_object_unref(UnsafeMutableRawPointer($0)) } }
                let rowHeight = (layouts.map { size($0).1 }.max() ?? 10) + 4
                ensure(rowHeight)
                var x = margin
                for (index, layout) in layouts.enumerated() {
                    if bold {
                        cairo_set_source_rgb(cr, 0.92, 0.92, 0.92)
                        cairo_rectangle(cr, x, y, columnWidths[index], rowHeight)
                        cairo_fill(cr)
                    }
                    cairo_set_source_rgb(cr, 0.7, 0.7, 0.7)
                    cairo_set_line_width(cr, 0.4)
                    cairo_rectangle(cr, x, y, columnWidths[index], rowHeight)
                    cairo_stroke(cr)
                    draw(layout, x: x + 3, y: y + 2)
                    x += columnWidths[index]
                }
                y += rowHeight
            }
            row(table.header, bold: true)
            for cells in table.rows { row(cells, bold: false) }
            y += 6
        }

        func chart(_ chart: PainChart) {
            guard !chart.sessions.isEmpty else { return }
            let scale = contentWidth / PainChart.width
            let h = PainChart.height * scale
            ensure(h + 8)
            let originX = margin
            let originY = y
            func point(_ p: (Double, Double)) -> (Double, Double) { (originX + p.0 * scale, originY + p.1 * scale) }
            cairo_set_line_width(cr, 0.4)
            for tick in stride(from: 0, through: 10, by: 2) {
                let (x0, yy) = point((PainChart.left, chart.y(Double(tick))))
                let (x1, _) = point((PainChart.width - PainChart.right, 0))
                cairo_set_source_rgb(cr, 0.85, 0.85, 0.85)
                cairo_move_to(cr, x0, yy)
                cairo_line_to(cr, x1, yy)
                cairo_stroke(cr)
                let label = makeLayout(String(tick), font: "DejaVu Sans 7", width: 30)
                draw(label, x: x0 - 14, y: yy - 5, color: (0.3, 0.3, 0.3))
                g_object_unref(UnsafeMutableRawPointer(label))
            }
            if let baseline = chart.baseline {
                let (x0, yy) = point((PainChart.left, chart.y(Double(baseline))))
                let (x1, _) = point((PainChart.width - PainChart.right, 0))
                cairo_set_source_rgb(cr, 0.45, 0.45, 0.45)
                var dashes = [4.0, 3.0]
                cairo_set_dash(cr, &dashes, 2, 0)
                cairo_move_to(cr, x0, yy)
                cairo_line_to(cr, x1, yy)
                cairo_stroke(cr)
                cairo_set_dash(cr, nil, 0, 0)
                let label = makeLayout("baseline \(baseline)/10", font: "DejaVu Sans 7", width: 80)
                draw(label, x: x1 - 60, y: yy - 11, color: (0.35, 0.35, 0.35))
                g_object_unref(UnsafeMutableRawPointer(label))
            }
            for (series, color) in [(chart.points { $0.painBefore }, (0.75, 0.22, 0.17)), (chart.points { $0.painAfter }, (0.18, 0.53, 0.76))] {
                cairo_set_source_rgb(cr, color.0, color.1, color.2)
                cairo_set_line_width(cr, 1.6)
                for (index, p) in series.enumerated() {
                    let (x, yy) = point(p)
                    if index == 0 { cairo_move_to(cr, x, yy) } else { cairo_line_to(cr, x, yy) }
                }
                cairo_stroke(cr)
                for p in series {
                    let (x, yy) = point(p)
                    cairo_arc(cr, x, yy, 2, 0, 2 * .pi)
                    cairo_fill(cr)
                }
            }
            for index in chart.labelled {
                let (x, yy) = point((chart.x(index), PainChart.height - 24))
                let label = makeLayout(String(chart.sessions[index].date.description.dropFirst(5)), font: "DejaVu Sans 7", width: 40)
                draw(label, x: x - 12, y: yy, color: (0.3, 0.3, 0.3))
                g_object_unref(UnsafeMutableRawPointer(label))
            }
            let legend = makeLayout("Pain 0–10 per session: red before, blue after; dashed line the baseline", font: "DejaVu Sans 7.5", width: contentWidth)
            let (_, ly) = point((PainChart.left, PainChart.height - 12))
            draw(legend, x: originX + PainChart.left * scale, y: ly, color: (0.3, 0.3, 0.3))
            g_object_unref(UnsafeMutableRawPointer(legend))
            y += h + 8
        }
    }
}
