import Foundation
import Logging
import PostgresNIO
import PracticeCore
import PracticeStore

/// CSV as RFC 4180 has it: quoted when a field holds a comma, quote or line break.
///
/// A cell a spreadsheet would run as a formula (it begins with `=`, `+`, `-`, `@`, a tab or a
/// carriage return) is neutralised with a leading `'`, as OWASP recommends; a plain number such
/// as `-12.5` is left alone, since no spreadsheet runs it.
public enum CSV {
    public static func render(_ header: [String], _ rows: [[String]]) -> String {
        ([header] + rows).map(line).joined()
    }

    /// One record and its CRLF.
    public static func line(_ fields: [String]) -> String { fields.map(field).joined(separator: ",") + "\r\n" }

    static func field(_ raw: String) -> String {
        let text = neutralised(raw)
        return text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
            ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }

    public static func neutralised(_ text: String) -> String {
        guard let first = text.first, ["=", "+", "-", "@", "\t", "\r"].contains(first) else { return text }
        if text.wholeMatch(of: /-?[0-9]+(\.[0-9]+)?/) != nil { return text }
        return "'" + text
    }
}

func markdownTable(_ header: [String], _ rows: [[String]]) -> String {
    (["| " + header.map(MarkdownText.cell).joined(separator: " | ") + " |", "|" + header.map { _ in "---" }.joined(separator: "|") + "|"]
        + rows.map { "| " + $0.map(MarkdownText.cell).joined(separator: " | ") + " |" })
        .joined(separator: "\n") + "\n"
}

/// Every active client's frequency-check flags, for the owner.
public enum FrequencyReportRenderer {
    static let header = ["client_id", "client", "sessions_in_course", "visits_per_week", "longest_gap_days", "baseline_pain",
                         "latest_pain", "change_percent", "flags", "recommendation"]

    static func rows(_ reports: [FrequencyReport]) -> [[String]] { reports.map(row) }

    static func row(_ r: FrequencyReport) -> [String] {
            let m = r.metrics
            let change: String = if let b = m.baselinePain, let l = m.latestPain, b > 0 {
                String(Int((Double(l - b) / Double(b) * 100).rounded()))
            } else { "" }
            return [String(m.clientID), m.clientName, String(m.sessionsInCourse), m.weeks.map { String($0.visits) }.joined(separator: " "),
                    m.longestGapDays.map(String.init) ?? "", m.baselinePain.map(String.init) ?? "", m.latestPain.map(String.init) ?? "",
                    change, r.flags.map(\.rule.rawValue).joined(separator: " "), Recommendation.from(flags: r.flags).rawValue]
    }

    public static func csv(_ reports: [FrequencyReport]) -> String { CSV.render(header, rows(reports)) }

    /// The CSV's first line, and then one line per report: `csv` in pieces, for streaming.
    public static var csvHeader: String { CSV.line(header) }
    public static func csvLine(_ report: FrequencyReport) -> String { CSV.line(row(report)) }

    public static func markdown(_ reports: [FrequencyReport], practice: String, asOf: CalendarDate) -> String {
        "# Frequency check — \(MarkdownText.escape(practice)), \(asOf)\n\n\(reports.filter { !$0.flags.isEmpty }.count) of \(reports.count) active clients flagged.\n\n"
            + markdownTable(["Client", "Sessions", "Visits/week", "Longest gap", "Pain", "Flags", "Recommendation"], rows(reports).map {
                ["\($0[1]) (\($0[0]))", $0[2], $0[3], $0[4].isEmpty ? "-" : "\($0[4]) d",
                 $0[5].isEmpty ? "-" : "\($0[5]) → \($0[6])" + ($0[7].isEmpty ? "" : " (\($0[7])%)"), $0[8].isEmpty ? "ok" : $0[8], $0[9]]
            })
    }
}

/// Mean pain change by number of sessions and by pain-duration class, against the evidence
/// table, and pain change per dollar where fees are recorded — the cost-effectiveness the review
/// found no trial had measured.
public struct OutcomesReport: Sendable, Codable {
    public struct Row: Sendable, Codable {
        public var group: String
        public var clients: Int
        public var meanImprovement: Double?
        public var expected: String
        public var feesTotal: Double
        public var pointsPer100Dollars: Double?
    }

    public var asOf: CalendarDate
    public var bySessions: [Row]
    public var byDuration: [Row]

    public static func load(practice: Practice, now: PracticeNow? = nil, on connection: PostgresConnection,
                            logger: Logger) async throws -> OutcomesReport {
        let now = try await connection.practiceNow(now, practice, logger: logger)
        let asOf = now.today
        let reports = try await FrequencyCheckQuery.run(practice: practice, asOf: asOf, cutoff: now.instant, on: connection,
                                                        logger: logger)
        var fees: [Int64: Double] = [:]
        for try await (client, total) in try await connection.query("""
            SELECT client_id, coalesce(sum(fee), 0)::float8 FROM appointments
            WHERE practice_id = \(practice.id) AND status = \(AppointmentStatus.completed.rawValue) GROUP BY client_id
            """, logger: logger).decode((Int64, Double).self) { fees[client] = total }
        let treated = reports.map(\.metrics).filter { $0.sessionsInCourse > 0 && $0.baselinePain != nil && $0.latestPain != nil }
        func row(_ group: String, _ members: [FrequencyMetrics], expected: String) -> Row {
            let improvements = members.map { Double($0.baselinePain! - $0.latestPain!) }
            let total = members.reduce(0) { $0 + (fees[$1.clientID] ?? 0) }
            let mean = improvements.isEmpty ? nil : improvements.reduce(0, +) / Double(improvements.count)
            return Row(group: group, clients: members.count, meanImprovement: mean, expected: expected, feesTotal: total,
                       pointsPer100Dollars: total > 0 ? improvements.reduce(0, +) / total * 100 : nil)
        }
        let p = practice.policy
        let buckets: [(String, ClosedRange<Int>, String)] = [
            ("1–2 sessions", 1...2, "\(p.reliefEarly.lowerBound.formatted1)–\(p.reliefEarly.upperBound.formatted1) points"),
            ("3 sessions", 3...3, "between the two"),
            ("4–6 sessions", 4...6, "\(p.reliefMid.lowerBound.formatted1)–\(p.reliefMid.upperBound.formatted1) points"),
            ("7–9 sessions", 7...9, "no more than at 4–6"),
            ("10+ sessions", 10...10_000, "no extra gain"),
        ]
        let bySessions = buckets.map { name, range, expected in
            row(name, treated.filter { range.contains($0.sessionsInCourse) }, expected: expected)
        }
        let byDuration = PainDuration.allCases.map { duration in
            row(duration.rawValue, treated.filter { PainDuration.classify(onset: $0.painOnset, asOf: asOf, policy: p) == duration },
                expected: duration == .acute ? "weak evidence" : "1.5–2.5 points after 4–6 sessions")
        }
        return OutcomesReport(asOf: asOf, bySessions: bySessions, byDuration: byDuration)
    }

    static let header = ["group", "clients", "mean_improvement_points", "expected", "fees_total", "points_per_100_dollars"]

    func rows(_ rows: [Row]) -> [[String]] {
        rows.map { [$0.group, String($0.clients), $0.meanImprovement.map { String(format: "%.2f", $0) } ?? "",
                    $0.expected, String(format: "%.2f", $0.feesTotal), $0.pointsPer100Dollars.map { String(format: "%.2f", $0) } ?? ""] }
    }

    public func csv() -> String { CSV.render(["dimension"] + Self.header, rows(bySessions).map { ["sessions"] + $0 } + rows(byDuration).map { ["duration"] + $0 }) }

    public func markdown(practice: String) -> String {
        let header = ["Group", "Clients", "Mean improvement", "Expected (evidence)", "Fees", "Points per $100"]
        return "# Outcomes — \(MarkdownText.escape(practice)), \(asOf)\n\nImprovement is baseline pain minus the latest arriving or self-reported score.\n\n"
            + "## By number of sessions\n\n" + markdownTable(header, rows(bySessions))
            + "\n## By pain duration\n\n" + markdownTable(header, rows(byDuration))
    }
}

/// A superbill: the practice's and therapist's identifiers, each billed visit, diagnoses, totals.
public struct Superbill: Sendable, Codable {
    public struct Line: Sendable, Codable {
        public var date: CalendarDate
        public var cpt: String
        public var description: String
        public var units: Int
        public var minutes: Int
        public var fee: Decimal
    }

    public var practice: String
    public var practiceIdentifiers: BillingIdentifiers
    public var therapist: String?
    public var therapistIdentifiers: BillingIdentifiers?
    public var client: String
    public var clientBorn: CalendarDate
    public var from: CalendarDate
    public var to: CalendarDate
    public var diagnoses: [String]
    public var prescription: String?
    public var lines: [Line]
    public var totalUnits: Int { lines.reduce(0) { $0 + $1.units } }
    public var totalFees: Decimal { lines.reduce(0) { $0 + $1.fee } }

    public static func load(clientID: Int64, from: CalendarDate, to: CalendarDate, practice: Practice,
                            on connection: PostgresConnection, logger: Logger) async throws -> Superbill {
        guard from <= to else { throw PracticeError.invalid(field: "--to", reason: "\(to) is before --from \(from)") }
        let client = try await ClientRepository.get(clientID, practiceID: practice.id, on: connection, logger: logger)
        let zone = practice.timeZone
        var lines: [Line] = []
        var therapistIDs = Set<Int64>()
        for try await (date, cpt, units, minutes, fee, therapist) in try await connection.query("""
            SELECT to_char(starts_at AT TIME ZONE \(zone), 'YYYY-MM-DD'), cpt_code, coalesce(billable_units, 0), minutes_treated,
                   coalesce(fee, 0)::text, therapist_id
            FROM appointments
            WHERE practice_id = \(practice.id) AND client_id = \(clientID) AND status = \(AppointmentStatus.completed.rawValue) AND cpt_code IS NOT NULL
              AND (starts_at AT TIME ZONE \(zone))::date BETWEEN \(from.description)::date AND \(to.description)::date
            ORDER BY starts_at
            """, logger: logger).decode((String, String, Int, Int, String, Int64).self) {
            lines.append(Line(date: try CalendarDate(parsing: date), cpt: cpt,
                              description: CPTCode(rawValue: cpt)?.label ?? cpt, units: units, minutes: minutes,
                              fee: Decimal(string: fee) ?? 0))
            therapistIDs.insert(therapist)
        }
        let letters = try await ReferralLetters.list(clientID: clientID, practice: practice, on: connection, logger: logger)
            .filter { $0.kind == .prescription && $0.date <= to }
        let therapistID = client.primaryTherapistID ?? therapistIDs.first
        let therapist: StaffMember? = if let therapistID {
            try await StaffRepository.get(therapistID, practiceID: practice.id, on: connection, logger: logger)
        } else { nil }
        let therapistIdentifiers: BillingIdentifiers? = if let therapistID {
            try await StaffRepository.identifiers(therapistID, practiceID: practice.id, on: connection, logger: logger)
        } else { nil }
        return Superbill(practice: practice.name, practiceIdentifiers: practice.identifiers, therapist: therapist?.name,
                         therapistIdentifiers: therapistIdentifiers, client: client.name, clientBorn: client.dateOfBirth,
                         from: from, to: to, diagnoses: Array(Set(letters.compactMap(\.diagnosisCode))).sorted(),
                         prescription: letters.last.map { "\($0.providerName), \($0.date): \($0.wording ?? "prescription")" },
                         lines: lines)
    }

    public func csv() -> String {
        CSV.render(["date", "cpt", "description", "minutes", "units", "fee", "diagnoses"], lines.map {
            [$0.date.description, $0.cpt, $0.description, String($0.minutes), String($0.units), "\($0.fee)", diagnoses.joined(separator: " ")]
        } + [["total", "", "", "", String(totalUnits), "\(totalFees)", ""]])
    }

    public func pdf(paper: PDFRenderer.Paper, to path: String) throws -> Int {
        func ids(_ i: BillingIdentifiers?) -> String {
            [i?.npi.map { "NPI \($0)" }, i?.taxID.map { "EIN \($0)" }, i?.license.map { "License \($0)" }].compactMap { $0 }
                .joined(separator: " · ").ifEmpty("no identifiers on file")
        }
        let blocks: [PDFRenderer.Block] = [
            .text("Superbill", font: "DejaVu Sans Bold 16"),
            .text("\(practice) · \([practiceIdentifiers.address, practiceIdentifiers.phone].compactMap { $0 }.joined(separator: " · "))", font: "DejaVu Sans 9"),
            .text("Practice: \(ids(practiceIdentifiers))", font: "DejaVu Sans 9"),
            .text("Rendering therapist: \(therapist ?? "-") · \(ids(therapistIdentifiers))", font: "DejaVu Sans 9"),
            .gap(8),
            .text("Client: \(client), born \(clientBorn)", font: "DejaVu Sans Bold 10"),
            .text("Service dates \(from) to \(to)", font: "DejaVu Sans 10"),
            .text("Diagnosis (ICD-10): \(diagnoses.isEmpty ? "none on file" : diagnoses.joined(separator: ", "))", font: "DejaVu Sans 10"),
            .text("Prescription: \(prescription ?? "none on file")", font: "DejaVu Sans 10"),
            .gap(6),
            .table(header: ["Date", "CPT", "Description", "Minutes", "Units", "Fee"],
                   rows: lines.map { [$0.date.description, $0.cpt, $0.description, String($0.minutes), String($0.units), "$\($0.fee)"] }
                       + [["Total", "", "", "", String(totalUnits), "$\(totalFees)"]]),
            .gap(12),
            .text("Units by the 8-minute rule for timed codes (15-minute units).", font: "DejaVu Sans 8", color: (0.35, 0.35, 0.35)),
        ]
        return try PDFRenderer.render(blocks, footer: "Superbill — \(client), \(from) to \(to)", paper: paper, to: path)
    }
}

extension String {
    func ifEmpty(_ replacement: String) -> String { isEmpty ? replacement : self }
}
