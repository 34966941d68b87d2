import Foundation
import PracticeCore
import PracticeStore

/// What each role may do. The HTTP API's tokens carry a role; the command line has none and is
/// the practice's administrator.
///
/// - owner: everything.
/// - therapist: the schedule, and the clinical records of clients they treat (are primary for,
///   or have a visit with).
/// - front desk: demographics, screening answers, scheduling and letters' status; never notes,
///   pressure feedback, pain scores or letter contents.
public enum Access: Sendable, Equatable {
    /// Anyone on staff: the schedule, slots, the staff and provider lists, client demographics.
    case anyStaff
    /// The owner alone: staff, tokens, the audit log.
    case owner
    /// Owner and front desk: registering clients and providers.
    case frontOffice
    /// A client's screening answers and clearances: owner, front desk, or a therapist who treats the client.
    case screening(CareTeam.Record)
    /// Clinical records (notes, feedback, pain, letter contents, summaries): owner, or a therapist who treats the client.
    case clinical(CareTeam.Record)
    /// A letter's status (not its text): owner, front desk, or a therapist who treats the client.
    case letterStatus(CareTeam.Record)

    /// Whether a role may ever do this, before looking at which client.
    public func admits(_ role: StaffRole) -> Bool {
        switch (self, role) {
        case (_, .owner), (.anyStaff, _): true
        case (.owner, _): false
        case (.frontOffice, .frontDesk): true
        case (.frontOffice, _): false
        case (.screening, _), (.letterStatus, _): true
        case (.clinical, .frontDesk): false
        case (.clinical, .therapist): true
        }
    }

    var record: CareTeam.Record? {
        switch self {
        case .screening(let record), .clinical(let record), .letterStatus(let record): record
        case .anyStaff, .owner, .frontOffice: nil
        }
    }
}

extension PracticeService {
    /// Refuses (`PracticeError.forbidden`) what the acting role may not do. A therapist is asked
    /// whether they treat the record's client; a record that is not there is "not found" for
    /// every role, so a refusal never tells another practice's ids apart from missing ones.
    public func authorize(_ access: Access) async throws {
        guard let role = context.role, role != .owner else { return }
        guard access.admits(role) else {
            throw PracticeError.forbidden("a \(role.cliName) token may not do this")
        }
        guard let record = access.record else { return }
        let staffID = context.actorID
        try await read { unit in
            guard let clientID = try await CareTeam.client(of: record, practiceID: unit.practice.id, on: unit.connection,
                                                            logger: unit.logger)
            else { throw PracticeError.notFound(entity: record.entity, id: String(record.id)) }
            guard role == .therapist else { return }
            guard let staffID, try await CareTeam.treats(therapistID: staffID, clientID: clientID, practiceID: unit.practice.id,
                                                         on: unit.connection, logger: unit.logger)
            else { throw PracticeError.forbidden("this therapist does not treat client \(clientID)") }
        }
    }

    /// Whether the acting role may read clinical contents at all (a front-desk token sees letters
    /// without their text).
    public var readsClinicalContents: Bool { context.role != .frontDesk }
}

extension CareTeam.Record {
    var entity: String {
        switch self {
        case .client: "client"
        case .appointment: "appointment"
        case .note: "note"
        case .letter: "letter"
        }
    }

    var id: Int64 {
        switch self {
        case .client(let id), .appointment(let id), .note(let id), .letter(let id): id
        }
    }
}

/// Tokens for the HTTP API, and requests that must not run twice.
extension PracticeService {
    public struct IssuedToken: Sendable, Encodable {
        /// Shown once; only its SHA-256 is stored.
        public var token: String
        public var record: Tokens.Token
    }

    public func issueToken(staffID: Int64, days: Int, label: String?) async throws -> IssuedToken {
        if let label {
            try TextInput.check(label, field: "--label", multiline: false)
            guard !label.trimmingCharacters(in: .whitespaces).isEmpty, label.count <= 200 else {
                throw PracticeError.invalid(field: "--label", reason: "must be 1 to 200 characters")
            }
        }
        return try await write { unit in
            let (secret, token) = try await Tokens.issue(staffID: staffID, days: days, label: label, practiceID: unit.practice.id,
                                                         on: unit.connection, logger: unit.logger)
            return IssuedToken(token: secret, record: token)
        }
    }

    public func tokens(staffID: Int64?) async throws -> [Tokens.Token] {
        try await read { try await Tokens.list(staffID: staffID, practiceID: $0.practice.id, on: $0.connection, logger: $0.logger) }
    }

    public func revokeToken(_ id: Int64) async throws -> Tokens.Token {
        try await write { try await Tokens.revoke(id, practiceID: $0.practice.id, on: $0.connection, logger: $0.logger) }
    }

    /// The staff member a bearer token speaks for, or nil. Runs outside any practice.
    public static func authenticate(_ secret: String, database: PracticeDatabase) async throws -> Tokens.Identity? {
        guard Tokens.isWellFormed(secret) else { return nil }
        let logger = database.logger
        return try await database.transaction { connection in
            try await connection.run("SELECT set_config('statement_timeout', \(ServiceLimits.statementTimeout), true)",
                                       logger: logger)
            return try await Tokens.authenticate(secret, on: connection, logger: logger)
        }
    }

    /// Runs a write once per idempotency key: a retry with the same key and request gets the
    /// stored answer (`replayed`), a different request with the same key is refused. Without a
    /// key it is a plain write.
    public func writeOnce(key: String?, operation: String, fingerprint: [UInt8],
                          _ body: (UnitOfWork) async throws -> Idempotency.Stored) async throws -> (answer: Idempotency.Stored, replayed: Bool) {
        guard let key else { return (try await write(body), false) }
        try Idempotency.validate(key)
        guard let staffID = context.actorID else {
            throw PracticeError.invalid(field: "Idempotency-Key", reason: "needs a staff member's token")
        }
        return try await write { unit in
            if let stored = try await Idempotency.claim(key: key, operation: operation, fingerprint: fingerprint, staffID: staffID,
                                                        practiceID: unit.practice.id, on: unit.connection, logger: unit.logger) {
                return (stored, true)
            }
            let answer = try await body(unit)
            try await Idempotency.store(answer, key: key, operation: operation, fingerprint: fingerprint, staffID: staffID,
                                        practiceID: unit.practice.id, on: unit.connection, logger: unit.logger)
            return (answer, false)
        }
    }
}
