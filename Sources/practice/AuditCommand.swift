import ArgumentParser
import Foundation
import PracticeCore
import PracticeService
import PracticeStore

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "List the audit log: who wrote, read or exported which record, and when.",
        discussion: """
            The database writes an event for every insert, update and delete of a practice's rows, in \
            the same transaction, naming the table, the row's id and the columns that changed (never \
            their values). Reading a client, a note or a report adds a `read` event; a coordination \
            summary or superbill adds an `export` event, with the provider it went to (accounting of \
            disclosures). Nobody can change or delete events, including `practice` itself.
            """)

    @Option(help: ArgumentHelp("Only events about this client.", valueName: "client-id"), transform: parseID)
    var client: Int64?
    @Option(help: ArgumentHelp("Only events by this staff member, or about their own record.", valueName: "staff-id"),
            transform: parseID)
    var staff: Int64?
    @Option(help: ArgumentHelp("Only events on or after this day (practice time).", valueName: "YYYY-MM-DD"), transform: parseDate)
    var since: CalendarDate?
    @Option(help: "At most this many events, oldest first.") var limit: Int = 1000
    @OptionGroup var options: PracticeOptions

    func run() async throws {
        let (client, staff, since, limit) = (client, staff, since, limit)
        let events = try await withService(options) { try await $0.auditEvents(clientID: client, staffID: staff, since: since, limit: limit) }
        if options.json { return try Output.json(events) }
        if events.isEmpty { return Output.line("no events") }
        let format = ISO8601DateFormatter()
        Output.table(["ID", "WHEN (UTC)", "ACTOR", "ACTION", "TABLE", "ROW", "CLIENT", "TO PROVIDER", "COLUMNS"], events.map { event in
            [String(event.id), format.string(from: event.occurredAt), event.actor, event.action, event.table,
             event.rowID.map(String.init) ?? "-", event.clientID.map(String.init) ?? "-",
             event.recipientProviderID.map(String.init) ?? "-", event.columns?.joined(separator: " ") ?? "-"]
        })
    }
}
