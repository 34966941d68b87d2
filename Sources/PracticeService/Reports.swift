import Foundation
import PracticeCore
import PracticeReports
import PracticeStore
import Synchronization

/// The frequency check and the reports built from the store.
extension PracticeService {
    public struct CheckResult: Sendable, Encodable {
        public var asOf: CalendarDate
        public var clients: [FrequencyReport]
        public var flaggedClients: Int

        public init(asOf: CalendarDate, clients: [FrequencyReport], flaggedClients: Int) {
            self.asOf = asOf
            self.clients = clients
            self.flaggedClients = flaggedClients
        }
    }

    /// The check for every client under care (or one) as of a day: today by default, or a past
    /// day, seeing only what had been recorded by the end of it.
    public func check(clientID: Int64? = nil, asOf: CalendarDate? = nil) async throws -> CheckResult {
        try await read { unit in
            let result = try await unit.check(clientID: clientID, asOf: asOf)
            try await unit.disclose("frequency_check", clientID: clientID)
            return result
        }
    }

    /// What a streamed check saw: the day, how many clients, how many flagged.
    public struct CheckSummary: Sendable, Equatable {
        public var asOf: CalendarDate
        public var clients: Int
        public var flaggedClients: Int
    }

    /// The check, streamed: `begin` gets the day before any report, then `each` gets every client's
    /// report in name order as its row arrives. Nothing is held but the report in hand, so a
    /// practice of any size is checked (and printed) in the memory of one client.
    public func check(clientID: Int64? = nil, asOf: CalendarDate? = nil, begin: (CalendarDate) throws -> Void,
                      each: (FrequencyReport) throws -> Void) async throws -> CheckSummary {
        try await read { unit in
            let summary = try await unit.check(clientID: clientID, asOf: asOf, begin: begin, each: each)
            try await unit.disclose("frequency_check", clientID: clientID)
            return summary
        }
    }

    public enum TableFormat: String, Sendable, CaseIterable { case csv, md }

    public func frequencyReport(format: TableFormat) async throws -> String {
        try await read { unit in
            let result = try await unit.check(clientID: nil, asOf: nil)
            try await unit.disclose("frequency_report")
            return format == .csv ? FrequencyReportRenderer.csv(result.clients)
                : FrequencyReportRenderer.markdown(result.clients, practice: unit.practice.name, asOf: result.asOf)
        }
    }

    /// The frequency report as CSV, streamed: the header, then one line per client as the check
    /// produces it, handed to `write` in chunks.
    public func frequencyReportCSV(write: (String) throws -> Void) async throws -> CheckSummary {
        try await read { unit in
            try write(FrequencyReportRenderer.csvHeader)
            let summary = try await unit.check(clientID: nil, asOf: nil, begin: { _ in }) {
                try write(FrequencyReportRenderer.csvLine($0))
            }
            try await unit.disclose("frequency_report")
            return summary
        }
    }

    public func outcomes() async throws -> (report: OutcomesReport, practice: String) {
        try await read { unit in
            try await unit.disclose("outcomes_report")
            return (try await OutcomesReport.load(practice: unit.practice, now: unit.now, on: unit.connection, logger: unit.logger),
                    unit.practice.name)
        }
    }

    public func superbill(clientID: Int64, from: CalendarDate, to: CalendarDate) async throws -> Superbill {
        try await read { unit in
            let bill = try await Superbill.load(clientID: clientID, from: from, to: to, practice: unit.practice,
                                                on: unit.connection, logger: unit.logger)
            try await unit.disclose("superbill", clientID: clientID, action: .export)
            return bill
        }
    }

    public func coordinationSummary(clientID: Int64, to providerID: Int64) async throws -> CoordinationSummary {
        try await read { try await $0.coordinationSummary(clientID: clientID, to: providerID) }
    }

    public struct BatchSummaries: Sendable {
        public var summaries: [CoordinationSummary]
        /// Clients left out, by id, with the reason (no names: this goes to logs and terminals).
        public var skipped: [(clientID: Int64, reason: String)]
    }

    /// One summary per client under care: to `providerID`, or to each client's latest prescriber.
    public func batchSummaries(to providerID: Int64?, only clientIDs: [Int64]? = nil) async throws -> BatchSummaries {
        let summaries = Mutex<[(position: Int, summary: CoordinationSummary)]>([])
        let skipped = try await batchSummaries(to: providerID, only: clientIDs, begin: { _ in }) { position, summary in
            summaries.withLock { $0.append((position, summary)) }
        }
        return BatchSummaries(summaries: summaries.withLock { $0 }.sorted { $0.position < $1.position }.map(\.summary),
                              skipped: skipped)
    }

    /// The same, handing each summary to `each` as soon as it is loaded, with its place in the
    /// list of clients (so a caller can render one while others load), after telling `begin` how
    /// many clients there are. Returns the clients left out. `clientIDs` narrows the batch to those
    /// clients, each of whom must be under care.
    ///
    /// All of them are read in one snapshot. A long list is loaded over two connections at once,
    /// the second in the snapshot the first exported (`pg_export_snapshot`), read-only: its
    /// export events are recorded by the first, in its one transaction, so every summary handed
    /// out is on the audit log, or the batch fails and none is.
    public func batchSummaries(to providerID: Int64?, only clientIDs: [Int64]? = nil, begin: (Int) -> Void,
                               each: @escaping @Sendable (_ position: Int, CoordinationSummary) -> Void)
        async throws -> [(clientID: Int64, reason: String)] {
        let (database, context, parallel) = (database, context, replica == nil)
        return try await read { unit in
            let underCare = try await ClientRepository.list(practiceID: unit.practice.id, includeDischarged: false,
                                                            on: unit.connection, logger: unit.logger)
            let clients = try Self.narrowed(underCare, to: clientIDs)
            begin(clients.count)
            guard parallel, clients.count >= 16, ProcessInfo.processInfo.activeProcessorCount > 1 else {
                return try await unit.summaries(of: clients[...], to: providerID, each: each)
            }
            var exported = ""
            for try await id in try await unit.connection.query("SELECT pg_export_snapshot()", logger: unit.logger)
                .decode(String.self) { exported = id }
            let split = clients.count / 2
            let pending = PendingDisclosures()
            async let second = database.transaction(importing: exported) { connection in
                let practice = unit.practice
                try await PracticeService.scope(connection, practice: practice, context: context, logger: unit.logger)
                let helper = UnitOfWork(connection: connection, practice: practice, now: unit.now, context: context,
                                        logger: unit.logger, pendingDisclosures: pending)
                return try await helper.summaries(of: clients[split...], to: providerID, each: each)
            }
            let first = try await unit.summaries(of: clients[..<split], to: providerID, each: each)
            let skipped = try await first + second
            for disclosure in pending.all { try await disclosure.record(on: unit.connection, logger: unit.logger) }
            return skipped
        }
    }
}

extension PracticeService {
    /// `clients` (in their order), only those in `ids` if given: each of which must be among them.
    static func narrowed(_ clients: [Client], to ids: [Int64]?) throws -> [Client] {
        guard let ids else { return clients }
        let wanted = Set(ids)
        let kept = clients.filter { wanted.contains($0.id) }
        let found = Set(kept.map(\.id))
        if let missing = ids.first(where: { !found.contains($0) }) {
            throw PracticeError.invalid(field: "--clients", reason: "client \(missing) is not under care here (unknown or discharged)")
        }
        return kept
    }
}

extension UnitOfWork {
    /// The summaries of `clients`, handed to `each` with their place in the whole list.
    func summaries(of clients: ArraySlice<Client>, to providerID: Int64?,
                   each: @Sendable (_ position: Int, CoordinationSummary) -> Void) async throws -> [(clientID: Int64, reason: String)] {
        var skipped: [(clientID: Int64, reason: String)] = []
        for (position, client) in zip(clients.indices, clients) {
            // The letters are only needed to find a referrer when no addressee is given.
            let referrer = providerID != nil ? nil
                : try await ReferralLetters.list(clientID: client.id, practice: practice, on: connection,
                                                 logger: logger).last { $0.kind == .prescription }?.providerID
            guard let provider = providerID ?? referrer else {
                skipped.append((client.id, "no prescription on file, so no referrer"))
                continue
            }
            each(position, try await coordinationSummary(clientID: client.id, to: provider))
        }
        return skipped
    }
}

extension UnitOfWork {
    public func check(clientID: Int64?, asOf: CalendarDate?) async throws -> PracticeService.CheckResult {
        var reports: [FrequencyReport] = []
        let summary = try await check(clientID: clientID, asOf: asOf, begin: { _ in }) { reports.append($0) }
        return .init(asOf: summary.asOf, clients: reports, flaggedClients: summary.flaggedClients)
    }

    public func check(clientID: Int64?, asOf: CalendarDate?, begin: (CalendarDate) throws -> Void,
                      each: (FrequencyReport) throws -> Void) async throws -> PracticeService.CheckSummary {
        if let clientID { _ = try await ClientRepository.get(clientID, practiceID: practice.id, on: connection, logger: logger) }
        let day = asOf ?? today
        guard day <= today else { throw PracticeError.invalid(field: "--as-of", reason: "\(day) is in the future; the check looks back, not ahead") }
        let cutoff = min(PracticeNow.lastMoment(of: day, timeZone: practice.timeZone), now.instant)
        try begin(day)
        var summary = PracticeService.CheckSummary(asOf: day, clients: 0, flaggedClients: 0)
        try await FrequencyCheckQuery.stream(practice: practice, clientID: clientID, asOf: day, cutoff: cutoff,
                                             on: connection, logger: logger) { report in
            summary.clients += 1
            if !report.flags.isEmpty { summary.flaggedClients += 1 }
            try each(report)
        }
        return summary
    }

    /// A summary leaves the practice: its export is recorded with the recipient.
    public func coordinationSummary(clientID: Int64, to providerID: Int64) async throws -> CoordinationSummary {
        let summary = try await CoordinationSummary.load(clientID: clientID, to: providerID, practice: practice, now: now,
                                                         on: connection, logger: logger)
        try await disclose("coordination_summary", clientID: clientID, action: .export, to: providerID)
        return summary
    }
}
