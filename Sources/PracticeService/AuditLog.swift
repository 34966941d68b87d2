import Foundation
import PracticeCore
import PracticeStore

/// The audit log: every write (recorded by the database's triggers) and every read or export of
/// clinical data (recorded by the service), for this practice only.
extension PracticeService {
    public func auditEvents(clientID: Int64?, staffID: Int64?, since: CalendarDate?, limit: Int, offset: Int = 0,
                            newestFirst: Bool = false) async throws -> [Audit.Event] {
        guard (1...100_000).contains(limit) else {
            throw PracticeError.invalid(field: "--limit", reason: "must be between 1 and 100000")
        }
        guard offset >= 0 else { throw PracticeError.invalid(field: "cursor", reason: "must not be negative") }
        return try await read { unit in
            if let clientID { _ = try await ClientRepository.get(clientID, practiceID: unit.practice.id, on: unit.connection, logger: unit.logger) }
            if let staffID { _ = try await StaffRepository.get(staffID, practiceID: unit.practice.id, on: unit.connection, logger: unit.logger) }
            let start = since.map { PracticeNow.startOfDay($0, timeZone: unit.practice.timeZone) }
            return try await Audit.list(Audit.Filter(clientID: clientID, staffID: staffID, since: start, limit: limit, offset: offset,
                                                     newestFirst: newestFirst),
                                        practiceID: unit.practice.id, on: unit.connection, logger: unit.logger)
        }
    }
}
