import Crypto
import Foundation
import Logging
import PostgresNIO
import PracticeCore

/// Staff bearer tokens for the HTTP API. A token is shown once; only its SHA-256 is stored.
public enum Tokens {
    /// One token as listed: never the token itself.
    public struct Token: Sendable, Codable, Equatable {
        public var id: Int64
        public var staffID: Int64
        public var label: String?
        public var createdAt: Date
        public var expiresAt: Date
        public var revokedAt: Date?
    }

    /// Who a valid token speaks for.
    public struct Identity: Sendable, Equatable {
        public var practiceID: Int64
        public var staffID: Int64
        public var tokenID: Int64
        public var role: StaffRole

        public init(practiceID: Int64, staffID: Int64, tokenID: Int64, role: StaffRole) {
            (self.practiceID, self.staffID, self.tokenID, self.role) = (practiceID, staffID, tokenID, role)
        }
    }

    /// Tokens look like `mpt_` and 43 base64url characters (32 random bytes).
    static let prefix = "mpt_"
    public static let maxDays = 366

    public static func digest(_ token: String) -> [UInt8] { Array(SHA256.hash(data: Data(token.utf8))) }

    static func newSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let base64 = Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        return prefix + base64
    }

    /// Whether `text` could be a token at all: checked before any database work.
    public static func isWellFormed(_ text: String) -> Bool {
        text.hasPrefix(prefix) && text.utf8.count == prefix.utf8.count + 43
            && text.utf8.dropFirst(prefix.utf8.count).allSatisfy { byte in
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                    || byte == 0x2D || byte == 0x5F
            }
    }

    static let columns = "SELECT id, staff_id, label, created_at, expires_at, revoked_at FROM staff_tokens"

    /// Makes a token for an active staff member; returns the secret (shown once) and the record.
    public static func issue(staffID: Int64, days: Int, label: String?, practiceID: Int64, on connection: PostgresConnection,
                             logger: Logger) async throws -> (secret: String, token: Token) {
        guard (1...maxDays).contains(days) else {
            throw PracticeError.invalid(field: "--expires", reason: "must be between 1 and \(maxDays) days, got \(days)")
        }
        let member = try await StaffRepository.get(staffID, practiceID: practiceID, on: connection, logger: logger)
        guard member.active else { throw PracticeError.refused("staff member \(staffID) is inactive; no token is issued") }
        let secret = newSecret()
        let hash = ByteBuffer(bytes: digest(secret))
        let id = try await connection.insertReturningID("""
            INSERT INTO staff_tokens (practice_id, staff_id, token_sha256, label, expires_at)
            VALUES (\(practiceID), \(staffID), \(hash), \(label), now() + make_interval(days => \(days)::int))
            RETURNING id
            """, logger: logger)
        return (secret, try await get(id, practiceID: practiceID, on: connection, logger: logger))
    }

    public static func get(_ id: Int64, practiceID: Int64, on connection: PostgresConnection, logger: Logger) async throws -> Token {
        guard let token = try await fetch("\(unescaped: columns) WHERE practice_id = \(practiceID) AND id = \(id)",
                                          on: connection, logger: logger).first
        else { throw PracticeError.notFound(entity: "token", id: String(id)) }
        return token
    }

    public static func list(staffID: Int64?, practiceID: Int64, on connection: PostgresConnection,
                            logger: Logger) async throws -> [Token] {
        try await fetch("""
            \(unescaped: columns) WHERE practice_id = \(practiceID) AND (\(staffID)::bigint IS NULL OR staff_id = \(staffID))
            ORDER BY id
            """, on: connection, logger: logger)
    }

    public static func revoke(_ id: Int64, practiceID: Int64, on connection: PostgresConnection, logger: Logger) async throws -> Token {
        let token = try await get(id, practiceID: practiceID, on: connection, logger: logger)
        guard token.revokedAt == nil else { throw PracticeError.conflict("token \(id) is already revoked") }
        try await connection.query("""
            UPDATE staff_tokens SET revoked_at = now() WHERE practice_id = \(practiceID) AND id = \(id)
            """, logger: logger)
        return try await get(id, practiceID: practiceID, on: connection, logger: logger)
    }

    /// The identity a presented token stands for, or nil when it is unknown, expired, revoked, or
    /// its staff member is inactive. Runs before the practice is known: row-level security lets
    /// the connection see only the token row whose digest it names, then the request's practice.
    public static func authenticate(_ secret: String, on connection: PostgresConnection, logger: Logger) async throws -> Identity? {
        guard isWellFormed(secret) else { return nil }
        let hex = digest(secret).map { String(format: "%02x", $0) }.joined()
        try await connection.run("SELECT set_config('practice.token_lookup', \(hex), true)", logger: logger)
        var found: (Int64, Int64, Int64)?
        for try await row in try await connection.query("""
            SELECT practice_id, staff_id, id FROM staff_tokens
            WHERE token_sha256 = decode(\(hex), 'hex') AND revoked_at IS NULL AND expires_at > now()
            """, logger: logger).decode((Int64, Int64, Int64).self) {
            found = row
        }
        try await connection.run("SELECT set_config('practice.token_lookup', '', true)", logger: logger)
        guard let (practiceID, staffID, tokenID) = found else { return nil }
        try await connection.run("SELECT set_config('practice.practice_id', \(String(practiceID)), true)", logger: logger)
        let member = try await StaffRepository.get(staffID, practiceID: practiceID, on: connection, logger: logger)
        guard member.active else { return nil }
        return Identity(practiceID: practiceID, staffID: staffID, tokenID: tokenID, role: member.role)
    }

    static func fetch(_ query: PostgresQuery, on connection: PostgresConnection, logger: Logger) async throws -> [Token] {
        var tokens: [Token] = []
        for try await (id, staffID, label, created, expires, revoked) in try await connection.query(query, logger: logger)
            .decode((Int64, Int64, String?, Date, Date, Date?).self) {
            tokens.append(Token(id: id, staffID: staffID, label: label, createdAt: created, expiresAt: expires, revokedAt: revoked))
        }
        return tokens
    }
}

/// Idempotency keys: the first answer to a booking or completion, kept so a retry with the same
/// key gets the same answer instead of a second booking.
public enum Idempotency {
    public struct Stored: Sendable, Equatable {
        public var status: Int
        public var location: String?
        public var body: [UInt8]

        public init(status: Int, location: String?, body: [UInt8]) {
            (self.status, self.location, self.body) = (status, location, body)
        }
    }

    public static func validate(_ key: String) throws(PracticeError) {
        guard (1...200).contains(key.utf8.count), key.unicodeScalars.allSatisfy({ $0.value >= 0x21 && $0.value <= 0x7E }) else {
            throw .invalid(field: "Idempotency-Key", reason: "must be 1 to 200 visible ASCII characters")
        }
    }

    /// Waits for any other request with the same key to finish, then returns its stored answer.
    /// A key reused for a different request is refused.
    public static func claim(key: String, operation: String, fingerprint: [UInt8], staffID: Int64, practiceID: Int64,
                             on connection: PostgresConnection, logger: Logger) async throws -> Stored? {
        try await connection.run("""
            SELECT pg_advisory_xact_lock(hashtextextended(\("idempotency:\(practiceID):\(staffID):\(key)"), 0))
            """, logger: logger)
        for try await (storedOperation, storedFingerprint, status, location, body) in try await connection.query("""
            SELECT operation, request_sha256, status, location, response FROM idempotency_keys
            WHERE practice_id = \(practiceID) AND staff_id = \(staffID) AND key = \(key)
            """, logger: logger).decode((String, ByteBuffer, Int, String?, ByteBuffer).self) {
            guard storedOperation == operation, Array(buffer: storedFingerprint) == fingerprint else {
                throw PracticeError.invalid(field: "Idempotency-Key",
                                            reason: "was already used for a different request; use a new key")
            }
            return Stored(status: status, location: location, body: Array(buffer: body))
        }
        return nil
    }

    public static func store(_ stored: Stored, key: String, operation: String, fingerprint: [UInt8], staffID: Int64,
                             practiceID: Int64, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("""
            INSERT INTO idempotency_keys (practice_id, staff_id, key, operation, request_sha256, status, location, response)
            VALUES (\(practiceID), \(staffID), \(key), \(operation), \(ByteBuffer(bytes: fingerprint)), \(stored.status),
                    \(stored.location), \(ByteBuffer(bytes: stored.body)))
            """, logger: logger)
    }
}
