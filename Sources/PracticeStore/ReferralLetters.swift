import Foundation
import Logging
import PostgresNIO
import PracticeCore

/// Letters to and from outside providers: incoming prescriptions and clearances, outgoing
/// referrals (drafted from a template and the check's flag) and coordination notes.
public enum ReferralLetters {
    public struct Letter: Sendable, Codable, Equatable, Identifiable {
        public var id: Int64
        public var clientID: Int64
        public var clientName: String
        public var providerID: Int64
        public var providerName: String
        public var providerKind: ProviderKind
        public var direction: LetterDirection
        public var kind: LetterKind
        public var status: LetterStatus
        public var date: CalendarDate
        public var diagnosisCode: String?
        public var wording: String?
        public var sessionsAuthorised: Int?
        public var validUntil: CalendarDate?
        public var reasonRule: String?
        public var body: String?
        public var sentAt: Date?
        public var acknowledgedAt: Date?
    }

    public struct Added: Sendable, Codable {
        public var letter: Letter
        public var clearanceID: Int64?
    }

    /// Stores a letter. An outgoing referral without text is drafted from the template, filled with
    /// the client's course and the check's firmest flag. An incoming clearance for a client held by
    /// a red flag records the clearance too, linked to the letter.
    public static func add(_ new: NewReferralLetter, practice: Practice, now: PracticeNow? = nil,
                           on connection: PostgresConnection, logger: Logger) async throws -> Added {
        let now = try await connection.practiceNow(now, practice, logger: logger)
        let client = try await ClientRepository.get(new.clientID, practiceID: practice.id, on: connection, logger: logger)
        let provider: Provider
        do {
            provider = try await ProviderRepository.get(new.providerID, practiceID: practice.id, on: connection, logger: logger)
        } catch PracticeError.notFound {
            throw PracticeError.invalid(field: "--provider", reason: "no provider \(new.providerID) in this practice")
        }
        try new.check(provider: provider.kind)
        var body = new.body
        var reason = new.reasonRule
        if new.kind == .referral, body == nil {
            let drafted = try await draftReferral(client: client, provider: provider, rule: new.reasonRule, date: new.date,
                                                  practice: practice, now: now, on: connection, logger: logger)
            body = drafted.text
            reason = drafted.rule
        }
        let id = try await connection.insertReturningID("""
            INSERT INTO referral_letters (practice_id, client_id, provider_id, direction, kind, status, letter_date,
                                          diagnosis_code, wording, sessions_authorised, valid_until, reason_rule, body,
                                          created_at)
            VALUES (\(practice.id), \(new.clientID), \(new.providerID), \(new.kind.direction.rawValue), \(new.kind.rawValue),
                    \(new.kind.direction == .incoming ? "received" : "draft"), \(new.date.description)::date,
                    \(new.diagnosisCode), \(new.wording), \(new.sessionsAuthorised), \(new.validUntil?.description)::date,
                    \(reason?.rawValue), \(body), \(now.instant))
            RETURNING id
            """, logger: logger)
        var clearanceID: Int64?
        if new.kind == .clearance {
            let profile = try await ClientProfile.load(clientID: new.clientID, practice: practice, now: now, on: connection, logger: logger)
            if profile.screeningState == .needsClearance {
                clearanceID = try await ScreeningRepository.clear(clientID: new.clientID, providerID: new.providerID, date: new.date,
                                                                  note: "clearance letter \(id)", letterID: id, practiceID: practice.id,
                                                                  now: now, on: connection, logger: logger).id
            }
        }
        return Added(letter: try await get(id, practice: practice, on: connection, logger: logger), clearanceID: clearanceID)
    }

    static func draftReferral(client: Client, provider: Provider, rule: EvidenceRule?, date: CalendarDate, practice: Practice,
                              now: PracticeNow, on connection: PostgresConnection,
                              logger: Logger) async throws -> (text: String, rule: EvidenceRule?) {
        let cutoff = min(PracticeNow.lastMoment(of: date, timeZone: practice.timeZone), now.instant)
        let report = try await FrequencyCheckQuery.run(practice: practice, clientID: client.id, asOf: date, cutoff: cutoff,
                                                       on: connection, logger: logger).first
        let preferred: [EvidenceRule] = [.noImprovement, .monthlyTarget, .redFlags, .acutePain, .courseCap]
        let flag: CheckFlag? = if let rule {
            report?.flags.first { $0.rule == rule }
        } else {
            preferred.lazy.compactMap { rule in report?.flags.first { $0.rule == rule } }.first
        }
        if let rule, flag == nil {
            throw PracticeError.invalid(field: "--reason", reason: "the check does not flag \(rule.rawValue) for client \(client.id) today")
        }
        let therapist: StaffMember? = if let id = client.primaryTherapistID {
            try await StaffRepository.get(id, practiceID: practice.id, on: connection, logger: logger)
        } else { nil }
        let context = ReferralContext(
            practiceName: practice.name, therapistName: therapist?.name ?? practice.name, therapistMskYears: therapist?.mskYears,
            providerName: provider.name, providerKind: provider.kind, clientName: client.name, clientBorn: client.dateOfBirth,
            painOnset: client.painOnset, duration: PainDuration.classify(onset: client.painOnset, asOf: date, policy: practice.policy),
            metrics: report?.metrics, flag: flag, date: date)
        return (ReferralTemplate.render(context), flag?.rule)
    }

    /// Replaces a draft's text.
    public static func edit(_ id: Int64, text: String, practice: Practice, on connection: PostgresConnection,
                            logger: Logger) async throws -> Letter {
        let letter = try await get(id, practice: practice, on: connection, logger: logger)
        guard letter.status == .draft else {
            throw PracticeError.refused("letter \(id) is \(letter.status.rawValue); only a draft can be edited")
        }
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw PracticeError.invalid(field: "--text", reason: "must not be empty")
        }
        try await connection.query("UPDATE referral_letters SET body = \(text) WHERE practice_id = \(practice.id) AND id = \(id)",
                                   logger: logger)
        return try await get(id, practice: practice, on: connection, logger: logger)
    }

    /// draft → sent → acknowledged, with the dates.
    public static func advance(_ id: Int64, to status: LetterStatus, practice: Practice, now: PracticeNow? = nil,
                               on connection: PostgresConnection, logger: Logger) async throws -> Letter {
        let now = try await connection.practiceNow(now, practice, logger: logger)
        let letter = try await get(id, practice: practice, on: connection, logger: logger)
        let allowed = (letter.status == .draft && status == .sent) || (letter.status == .sent && status == .acknowledged)
        guard allowed else {
            throw PracticeError.refused("letter \(id) is \(letter.status.rawValue) and cannot be marked \(status.rawValue)")
        }
        try await connection.query("""
            UPDATE referral_letters
            SET status = \(status.rawValue),
                sent_at = CASE WHEN \(status == .sent) THEN \(now.instant) ELSE sent_at END,
                acknowledged_at = CASE WHEN \(status == .acknowledged) THEN \(now.instant) ELSE acknowledged_at END
            WHERE practice_id = \(practice.id) AND id = \(id)
            """, logger: logger)
        return try await get(id, practice: practice, on: connection, logger: logger)
    }

    public static func get(_ id: Int64, practice: Practice, on connection: PostgresConnection, logger: Logger) async throws -> Letter {
        guard let letter = try await list(letterID: id, practice: practice, on: connection, logger: logger).first else {
            throw PracticeError.notFound(entity: "letter", id: String(id))
        }
        return letter
    }

    public static func list(clientID: Int64? = nil, letterID: Int64? = nil, practice: Practice, on connection: PostgresConnection,
                            logger: Logger) async throws -> [Letter] {
        if let clientID { _ = try await ClientRepository.get(clientID, practiceID: practice.id, on: connection, logger: logger) }
        let rows = try await connection.query("""
            SELECT l.id, l.client_id, c.name, l.provider_id, p.name, p.kind, l.direction, l.kind, l.status, l.letter_date::text,
                   l.diagnosis_code, l.wording, l.sessions_authorised, l.valid_until::text, l.reason_rule, l.body,
                   l.sent_at, l.acknowledged_at
            FROM referral_letters l
            JOIN clients c ON c.practice_id = l.practice_id AND c.id = l.client_id
            JOIN providers p ON p.practice_id = l.practice_id AND p.id = l.provider_id
            WHERE l.practice_id = \(practice.id)
              AND (\(clientID)::bigint IS NULL OR l.client_id = \(clientID))
              AND (\(letterID)::bigint IS NULL OR l.id = \(letterID))
            ORDER BY l.letter_date, l.id
            """, logger: logger)
        var letters: [Letter] = []
        for try await (id, client, clientName, provider, providerName, providerKind, direction, kind, status, date, diagnosis,
                       wording, sessions, until, reason, body, sent, acknowledged)
            in rows.decode((Int64, Int64, String, Int64, String, String, String, String, String, String, String?, String?, Int?,
                            String?, String?, String?, Date?, Date?).self) {
            letters.append(Letter(
                id: id, clientID: client, clientName: clientName, providerID: provider, providerName: providerName,
                providerKind: try known(providerKind, as: ProviderKind.self, in: "letter \(id)"),
                direction: try known(direction, as: LetterDirection.self, in: "letter \(id)"), kind: try known(kind, as: LetterKind.self, in: "letter \(id)"),
                status: try known(status, as: LetterStatus.self, in: "letter \(id)"), date: try CalendarDate(parsing: date), diagnosisCode: diagnosis,
                wording: wording, sessionsAuthorised: sessions, validUntil: try until.map { try CalendarDate(parsing: $0) },
                reasonRule: reason, body: body, sentAt: sent, acknowledgedAt: acknowledged))
        }
        return letters
    }
}
