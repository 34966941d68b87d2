import Logging
import PostgresNIO
import PracticeCore

public enum ProviderRepository {
    static let columns = "SELECT id, name, kind, npi, clinic, phone, fax, email FROM providers"

    public static func add(_ new: NewProvider, practiceID: Int64, on connection: PostgresConnection,
                           logger: Logger) async throws -> Provider {
        let id = try await connection.insertReturningID("""
            INSERT INTO providers (practice_id, name, kind, npi, clinic, phone, fax, email)
            VALUES (\(practiceID), \(new.name), \(new.kind.rawValue), \(new.npi), \(new.clinic), \(new.phone),
                    \(new.fax), \(new.email))
            RETURNING id
            """, logger: logger)
        return try await get(id, practiceID: practiceID, on: connection, logger: logger)
    }

    public static func list(practiceID: Int64, on connection: PostgresConnection, logger: Logger) async throws -> [Provider] {
        try await fetch("\(unescaped: columns) WHERE practice_id = \(practiceID) ORDER BY id", on: connection, logger: logger)
    }

    public static func get(_ id: Int64, practiceID: Int64, on connection: PostgresConnection,
                           logger: Logger) async throws -> Provider {
        guard let provider = try await fetch("\(unescaped: columns) WHERE practice_id = \(practiceID) AND id = \(id)",
                                             on: connection, logger: logger).first
        else { throw PracticeError.notFound(entity: "provider", id: String(id)) }
        return provider
    }

    static func fetch(_ query: PostgresQuery, on connection: PostgresConnection, logger: Logger) async throws -> [Provider] {
        var result: [Provider] = []
        for try await (id, name, kind, npi, clinic, phone, fax, email) in try await connection.query(query, logger: logger)
            .decode((Int64, String, String, String?, String?, String?, String?, String?).self) {
            result.append(Provider(id: id, name: name, kind: try known(kind, as: ProviderKind.self, in: "provider \(id)"), npi: npi,
                                   clinic: clinic, phone: phone, fax: fax, email: email))
        }
        return result
    }
}
