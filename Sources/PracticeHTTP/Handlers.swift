import Crypto
import Foundation
import HTTPTypes
import OpenAPIRuntime
import PracticeAPI
import PracticeCore
import PracticeService
import PracticeStore

/// The generated server protocol, implemented over the service layer. Each handler checks the
/// caller's role (`Access`), parses the generated input into a service request, calls one use
/// case and renders the result; every rule lives in the service and the database.
struct PracticeAPIHandlers: APIProtocol {
    let database: PracticeDatabase
    let connectionWait: Duration

    /// The service as the request's staff member, after checking they may do `access`.
    func service(_ access: Access) async throws -> PracticeService {
        guard let caller = RequestIdentity.current else {
            throw APIError.unauthenticated("send `Authorization: Bearer TOKEN`")
        }
        try await caller.service.authorize(access)
        return caller.service
    }

    var staffID: Int64 { RequestIdentity.current?.identity.staffID ?? 0 }

    // MARK: Health

    func getHealth(_ input: Operations.GetHealth.Input) async throws -> Operations.GetHealth.Output {
        var database = database
        database.connectionWait = connectionWait
        guard await database.answers() else {
            return .serviceUnavailable(.init(headers: .init(retryAfter: 2), body: .json(.init(status: .unavailable, database: .down))))
        }
        return .ok(.init(body: .json(.init(status: .ok, database: .up))))
    }

    // MARK: Staff and providers

    func listStaff(_ input: Operations.ListStaff.Input) async throws -> Operations.ListStaff.Output {
        let service = try await service(.anyStaff)
        let role = try input.query.role.map { try Parse.staffRole($0.rawValue) }
        let page = try Page(try await service.listStaff(role: role), limit: input.query.limit, cursor: input.query.cursor)
        return .ok(.init(body: .json(.init(items: try page.converted(), nextCursor: page.next))))
    }

    func addStaff(_ input: Operations.AddStaff.Input) async throws -> Operations.AddStaff.Output {
        let service = try await service(.owner)
        guard case .json(let body) = input.body else { throw Parse.unsupportedBody }
        let request = PracticeService.NewStaffRequest(name: body.name, role: try Parse.staffRole(body.role.rawValue),
                                                      mskYears: body.mskYears, email: body.email)
        let added = try await service.addStaff(request)
        return .created(.init(headers: .init(location: "/staff/\(added.value.id)"), body: .json(try Bridge.convert(added.value))))
    }

    func listProviders(_ input: Operations.ListProviders.Input) async throws -> Operations.ListProviders.Output {
        let service = try await service(.anyStaff)
        let page = try Page(try await service.listProviders(), limit: input.query.limit, cursor: input.query.cursor)
        return .ok(.init(body: .json(.init(items: try page.converted(), nextCursor: page.next))))
    }

    func addProvider(_ input: Operations.AddProvider.Input) async throws -> Operations.AddProvider.Output {
        let service = try await service(.frontOffice)
        guard case .json(let body) = input.body else { throw Parse.unsupportedBody }
        guard let kind = ProviderKind(rawValue: body.kind.rawValue) else { throw Parse.invalid("kind", "is not a provider kind") }
        let new = try NewProvider(name: body.name, kind: kind, npi: body.npi, clinic: body.clinic, phone: body.phone,
                                  fax: body.fax, email: body.email)
        let provider = try await service.addProvider(new)
        return .created(.init(headers: .init(location: "/providers/\(provider.id)"), body: .json(try Bridge.convert(provider))))
    }

    // MARK: Audit

    func listAudit(_ input: Operations.ListAudit.Input) async throws -> Operations.ListAudit.Output {
        let service = try await service(.owner)
        let since = try input.query.since.map { try Parse.date($0, field: "since") }
        let window = try Page<Audit.Event>.window(limit: input.query.limit, cursor: input.query.cursor)
        // Newest first, one page read from the database (and one event more, to know whether a page follows).
        let events = try await service.auditEvents(clientID: input.query.clientId, staffID: input.query.staffId, since: since,
                                                   limit: window.limit + 1, offset: window.offset, newestFirst: true)
        let sliced = Page(items: Array(events.prefix(window.limit)),
                          next: events.count > window.limit ? String(window.offset + window.limit) : nil)
        let items: [Components.Schemas.AuditEvent] = try sliced.converted()
        return .ok(.init(body: .json(.init(items: items, nextCursor: sliced.next))))
    }
}

/// Turns the service's values into the contract's: the service's JSON (the same the command
/// line prints with `--json`) decoded as the generated type. A value that does not fit the
/// contract fails loudly here rather than reaching a client malformed.
enum Bridge {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()

    static func convert<Target: Decodable>(_ value: some Encodable) throws -> Target {
        try decoder.decode(Target.self, from: encoder.encode(value))
    }

    static func json(_ value: some Encodable) throws -> [UInt8] { Array(try encoder.encode(value)) }
}

/// A value and its warnings in one JSON object, as the contract's results carry them.
struct WithWarnings<Value: Encodable>: Encodable {
    var value: Value
    var warnings: [PracticeCore.Warning]

    enum Keys: String, CodingKey { case warnings }

    func encode(to encoder: any Encoder) throws {
        try value.encode(to: encoder)
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(warnings, forKey: .warnings)
    }
}

/// Cursor pagination over a list the service returned in its order. A cursor is the position of
/// the next page's first item; one past the end gives an empty last page.
struct Page<Item> {
    var items: [Item]
    var next: String?

    static var defaultLimit: Int { 100 }
    static var maxLimit: Int { 500 }

    static func window(limit: Int?, cursor: String?) throws -> (offset: Int, limit: Int) {
        let limit = limit ?? defaultLimit
        guard (1...maxLimit).contains(limit) else {
            throw APIError.badParameter(field: "limit", reason: "must be between 1 and \(maxLimit)")
        }
        guard let cursor else { return (0, limit) }
        guard cursor.utf8.count <= 9, cursor.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let offset = Int(cursor) else {
            throw APIError.badParameter(field: "cursor", reason: "is not a cursor this server gives out")
        }
        return (offset, limit)
    }

    init(items: [Item], next: String?) {
        (self.items, self.next) = (items, next)
    }

    init(_ all: [Item], limit: Int?, cursor: String?) throws {
        let (offset, limit) = try Self.window(limit: limit, cursor: cursor)
        let start = min(offset, all.count)
        let end = min(start + limit, all.count)
        items = Array(all[start..<end])
        next = end < all.count ? String(end) : nil
    }
}

extension Page where Item: Encodable {
    /// The page's items as the contract's type.
    func converted<Target: Decodable>() throws -> [Target] {
        var converted: [Target] = []
        for item in items { converted.append(try Bridge.convert(item)) }
        return converted
    }
}

/// Parsing the contract's strings into the service's values, with the field named on failure.
enum Parse {
    static var unsupportedBody: APIError { .badParameter(field: "body", reason: "must be application/json") }

    static func invalid(_ field: String, _ reason: String) -> PracticeError { .invalid(field: field, reason: reason) }

    static func date(_ text: String, field: String) throws -> CalendarDate {
        try CalendarDate.parse(text, field: field)
    }

    static func time(_ text: String, field: String) throws -> TimeOfDay {
        try TimeOfDay(parsing: text, field: field)
    }

    static func staffRole(_ raw: String) throws -> StaffRole {
        guard let role = StaffRole(rawValue: raw) else { throw invalid("role", "is not owner, therapist or front_desk") }
        return role
    }

    static func text(_ text: String?, field: String, multiline: Bool = true) throws -> String? {
        guard let text else { return nil }
        try TextInput.check(text, field: field, multiline: multiline)
        return text
    }
}

/// A note's version for If-Match: a digest of everything a client sees of it.
enum NoteVersion {
    static func etag(_ note: SessionNotes.Note) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        encoder.dateEncodingStrategy = .iso8601
        let digest = SHA256.hash(data: try encoder.encode(note))
        return "\"" + digest.prefix(12).map { String(format: "%02x", $0) }.joined() + "\""
    }

    /// Refuses unless `ifMatch` names the note's current version (or is `*`).
    static func require(_ ifMatch: String?, matches note: SessionNotes.Note) throws {
        guard let ifMatch else {
            throw APIError.preconditionFailed("a write to note \(note.id) needs If-Match with the ETag it was read with")
        }
        let current = try etag(note)
        let offered = ifMatch.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            .map { $0.hasPrefix("W/") ? String($0.dropFirst(2)) : $0 }
        guard offered.contains(current) || offered.contains("*") else {
            throw APIError.preconditionFailed("note \(note.id) has changed since it was read; read it again for its ETag")
        }
    }
}
