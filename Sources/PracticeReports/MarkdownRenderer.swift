import Foundation
import PracticeCore

/// Markdown for email: plain tables, no images. Every piece of recorded text is escaped, so a
/// name or a note can neither inject HTML nor break the layout.
public enum MarkdownRenderer {
    public static func render(_ s: CoordinationSummary) -> String {
        let e = MarkdownText.escape
        var md: [String] = []
        md.append("# \(e(s.title))")
        md.append("")
        md.append("**\(e(s.practice.name))** · \(s.generatedOn)")
        md.append("")
        md.append("**To:** \(e(s.addressee.name)) (\(s.addresseeKind.cliName))"
                  + (s.addressee.lines.isEmpty ? "" : " — " + s.addressee.lines.map(e).joined(separator: ", ")))
        md.append("**Client:** \(e(s.client.name)), born \(s.clientBorn)")
        if let t = s.therapist {
            md.append("**Therapist:** \(e(t.name))" + (s.therapistMskYears.map { ", \($0.formatted1) years of musculoskeletal experience" } ?? ""))
        }
        md.append("")
        for section in Section.all(s) {
            md.append("## \(e(section.title))")
            md.append("")
            for paragraph in section.paragraphs { md.append(e(paragraph)); md.append("") }
            if let table = section.table {
                md.append("| " + table.header.map(MarkdownText.cell).joined(separator: " | ") + " |")
                md.append("|" + table.header.map { _ in "---" }.joined(separator: "|") + "|")
                for row in table.rows { md.append("| " + row.map(MarkdownText.cell).joined(separator: " | ") + " |") }
                md.append("")
            }
        }
        md.append("---")
        md.append(Section.signature(s).map(e).joined(separator: "  \n"))
        return md.joined(separator: "\n") + "\n"
    }
}

/// The summary's sections as text and tables, shared by the Markdown, HTML and PDF renderers.
struct Section {
    struct Table {
        var header: [String]
        var rows: [[String]]
    }

    var title: String
    var paragraphs: [String] = []
    var table: Table?

    static func all(_ s: CoordinationSummary) -> [Section] {
        var sections: [Section] = []
        var referral = Section(title: "Referring prescription")
        if let p = s.prescription {
            referral.paragraphs.append("\(p.provider), \(p.date): \(p.wording ?? "prescription")" + (p.diagnosisCode.map { " — ICD-10 \($0)" } ?? "")
                + (p.sessionsAuthorised.map { "; \($0) sessions authorised" } ?? "") + (p.validUntil.map { ", valid until \($0)" } ?? ""))
        } else {
            referral.paragraphs.append("No prescription on file.")
        }
        sections.append(referral)

        sections.append(Section(title: "Presentation and screening", paragraphs: [
            "Low-back pain since \(s.painOnset): \(s.painDuration.rawValue).",
            "Red-flag screening: \(s.screening)" + (s.clearance.map { "; \($0)" } ?? "") + ".",
        ]))

        let done = s.completed
        var course = Section(title: "Course of treatment")
        if let first = done.first, let last = done.last {
            let minutes = done.map(\.minutes)
            let techniques = Set(done.flatMap(\.techniques)).map { $0.cliName }.sorted().joined(separator: ", ")
            course.paragraphs.append("\(done.count) session(s) from \(first.date) to \(last.date), \(minutes.min() ?? 0)–\(minutes.max() ?? 0) minutes; techniques: \(techniques). Attendance: \(s.attendance).")
        } else {
            course.paragraphs.append("No completed sessions yet. Attendance: \(s.attendance).")
        }
        course.table = Table(header: ["Date", "Minutes", "Techniques", "Pain before", "Pain after"], rows: done.map {
            [$0.date.description, String($0.minutes), $0.techniques.map(\.cliName).joined(separator: ", "),
             $0.painBefore.map { "\($0)/10" } ?? "-", $0.painAfter.map { "\($0)/10" } ?? "-"]
        })
        sections.append(course)

        var trend = Section(title: "Pain trend and visits per week")
        var summary = "Target \(s.targetPerWeek.lowerBound)–\(s.targetPerWeek.upperBound) visits a week."
        if let baseline = s.baselinePain, let latest = s.latestPain {
            summary += " Pain \(baseline)/10 at baseline, \(latest)/10 now" + (s.changePercent.map { " (\($0.percent))" } ?? "") + "."
        }
        trend.paragraphs = [summary, "Expected: \(s.expectedRelief)"]
        trend.table = Table(header: ["Week", "Visits", "Mean pain", "Change vs baseline"], rows: s.trend.map {
            [$0.week.description, String($0.visits), $0.meanPain.map { String(format: "%.1f", $0) } ?? "-", $0.changePercent?.percent ?? "-"]
        })
        sections.append(trend)

        var pressure = Section(title: "Pressure feedback and soreness")
        let sore = s.completed.filter { ($0.soreness ?? .none) != .none }
        pressure.paragraphs.append(s.pressure.isEmpty ? "No discomfort above \(s.maxDiscomfort)/10 recorded."
                                   : "\(s.pressure.count) entr\(s.pressure.count == 1 ? "y" : "ies") above \(s.maxDiscomfort)/10; \(s.pressure.filter(\.flagged).count) not eased.")
        pressure.paragraphs.append(sore.isEmpty ? "No post-session soreness reported."
                                   : "Soreness: " + sore.map { "\($0.date) \($0.soreness!.rawValue)" }.joined(separator: "; ") + ".")
        if !s.pressure.isEmpty {
            pressure.table = Table(header: ["Date", "Region", "Discomfort", "Action"], rows: s.pressure.map {
                [$0.date.description, $0.region.cliName, "\($0.discomfort)/10", $0.action.rawValue + ($0.flagged ? " (flag)" : "")]
            })
        }
        sections.append(pressure)

        var notes = Section(title: "Assessment and plan (signed notes)")
        notes.paragraphs = s.notes.isEmpty ? ["No signed notes."] : s.notes.map { note in
            "\(note.date): \(note.assessment) Plan: \(note.plan)" + note.addenda.map { " Addendum — \($0)" }.joined()
        }
        sections.append(notes)

        var flags = Section(title: "Frequency check and recommendation")
        flags.paragraphs = (s.flags.isEmpty ? ["No flags."] : s.flags.map { "\($0.severity == .firm ? "⚠ " : "")\($0.message) [rule \($0.rule.rawValue)]" })
            + ["Recommendation: \(s.recommendation.sentence)"]
        sections.append(flags)

        if let note = s.coordinationNote?.body { sections.append(Section(title: "Therapist's note", paragraphs: [note])) }
        if let home = s.homeProgram { sections.append(Section(title: "Home program given", paragraphs: [home])) }
        return sections
    }

    static func signature(_ s: CoordinationSummary) -> [String] {
        [s.therapist?.name ?? s.practice.name,
         s.therapistMskYears.map { "Massage therapist, \($0.formatted1) years in musculoskeletal work" } ?? "Massage therapist",
         s.practice.name, "Generated \(s.generatedOn)"]
    }
}

/// Recorded text made safe for Markdown: HTML is escaped (Markdown passes raw HTML through), and
/// in table cells the column separator and line breaks are too.
public enum MarkdownText {
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            default: out.append(character)
            }
        }
        return out
    }

    public static func cell(_ text: String) -> String {
        escape(text).replacingOccurrences(of: "|", with: "\\|")
            .split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).joined(separator: " ")
    }
}
