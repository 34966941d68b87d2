import Foundation
import PracticeCore
import PracticeStore

/// The therapist's record: pressure feedback, SOAP notes and addenda; and letters.
extension PracticeService {
    public struct FeedbackRequest: Sendable {
        public var appointmentID: Int64
        public var region: BodyRegion
        public var pressure: Int
        public var discomfort: Int
        public var action: PressureAction
        public var note: String?
        public var confirm: Bool

        public init(appointmentID: Int64, region: BodyRegion, pressure: Int, discomfort: Int, action: PressureAction,
                    note: String? = nil, confirm: Bool = false) {
            (self.appointmentID, self.region, self.pressure, self.discomfort) = (appointmentID, region, pressure, discomfort)
            (self.action, self.note, self.confirm) = (action, note, confirm)
        }
    }

    public func addFeedback(_ request: FeedbackRequest) async throws -> Outcome<ClinicalRecords.Feedback> {
        try await write { try await $0.addFeedback(request) }
    }

    public func feedback(appointmentID: Int64) async throws -> [ClinicalRecords.Feedback] {
        try await read { try await ClinicalRecords.feedback(appointmentID: appointmentID, practice: $0.practice, on: $0.connection, logger: $0.logger) }
    }

    public func draftNote(appointmentID: Int64, soap: SessionNotes.SOAP) async throws -> SessionNotes.Note {
        try await write { try await $0.draftNote(appointmentID: appointmentID, soap: soap) }
    }

    public func editNote(_ id: Int64, soap: SessionNotes.SOAP) async throws -> SessionNotes.Note {
        try await write { try await SessionNotes.edit(id, soap: $0.expand(soap), practice: $0.practice, now: $0.now, on: $0.connection, logger: $0.logger) }
    }

    public func signNote(_ id: Int64, signer: Int64) async throws -> SessionNotes.Note {
        try await write { try await $0.signNote(id, signer: signer) }
    }

    /// Edits a draft only if it is still the version the caller read: `precondition` sees the
    /// note as locked for this transaction and throws to refuse (the API's If-Match).
    public func editNote(_ id: Int64, soap: SessionNotes.SOAP,
                         precondition: (SessionNotes.Note) throws -> Void) async throws -> SessionNotes.Note {
        try await write { unit in
            try precondition(try await SessionNotes.get(id, practice: unit.practice, on: unit.connection, logger: unit.logger, lock: true))
            return try await SessionNotes.edit(id, soap: unit.expand(soap), practice: unit.practice, now: unit.now,
                                               on: unit.connection, logger: unit.logger)
        }
    }

    /// Signs only if the note is still the version the caller read.
    public func signNote(_ id: Int64, signer: Int64,
                         precondition: (SessionNotes.Note) throws -> Void) async throws -> SessionNotes.Note {
        try await write { unit in
            try precondition(try await SessionNotes.get(id, practice: unit.practice, on: unit.connection, logger: unit.logger, lock: true))
            return try await unit.signNote(id, signer: signer)
        }
    }

    public func note(_ id: Int64) async throws -> SessionNotes.Note {
        try await read { unit in
            let note = try await SessionNotes.get(id, practice: unit.practice, on: unit.connection, logger: unit.logger)
            try await unit.disclose("session_notes", id: id, clientID: note.clientID)
            return note
        }
    }

    public func notes(clientID: Int64) async throws -> [SessionNotes.Note] {
        try await read { unit in
            _ = try await ClientRepository.get(clientID, practiceID: unit.practice.id, on: unit.connection, logger: unit.logger)
            let notes = try await SessionNotes.list(.client(clientID), practice: unit.practice, on: unit.connection, logger: unit.logger)
            try await unit.disclose("session_notes", clientID: clientID)
            return notes
        }
    }

    public func addAddendum(to id: Int64, author: Int64, reason: String, text: String) async throws -> SessionNotes.Note {
        try await write { try await $0.addAddendum(to: id, author: author, reason: reason, text: text) }
    }

    public struct LetterRequest: Sendable {
        public var clientID: Int64
        public var providerID: Int64
        public var direction: LetterDirection
        public var kind: LetterKind
        /// Nil: today.
        public var date: CalendarDate?
        public var diagnosisCode: String?
        public var wording: String?
        public var sessionsAuthorised: Int?
        public var validUntil: CalendarDate?
        public var reasonRule: EvidenceRule?
        public var body: String?

        public init(clientID: Int64, providerID: Int64, direction: LetterDirection, kind: LetterKind, date: CalendarDate? = nil,
                    diagnosisCode: String? = nil, wording: String? = nil, sessionsAuthorised: Int? = nil,
                    validUntil: CalendarDate? = nil, reasonRule: EvidenceRule? = nil, body: String? = nil) {
            (self.clientID, self.providerID, self.direction, self.kind, self.date) = (clientID, providerID, direction, kind, date)
            (self.diagnosisCode, self.wording, self.sessionsAuthorised) = (diagnosisCode, wording, sessionsAuthorised)
            (self.validUntil, self.reasonRule, self.body) = (validUntil, reasonRule, body)
        }
    }

    public func addLetter(_ request: LetterRequest) async throws -> ReferralLetters.Added {
        try await write { try await $0.addLetter(request) }
    }

    public func letters(clientID: Int64) async throws -> [ReferralLetters.Letter] {
        try await read { try await ReferralLetters.list(clientID: clientID, practice: $0.practice, on: $0.connection, logger: $0.logger) }
    }

    public func letter(_ id: Int64) async throws -> ReferralLetters.Letter {
        try await read { try await ReferralLetters.get(id, practice: $0.practice, on: $0.connection, logger: $0.logger) }
    }

    public func editLetter(_ id: Int64, text: String) async throws -> ReferralLetters.Letter {
        try await write { try await ReferralLetters.edit(id, text: text, practice: $0.practice, on: $0.connection, logger: $0.logger) }
    }

    public func sendLetter(_ id: Int64) async throws -> ReferralLetters.Letter {
        try await write { try await $0.advanceLetter(id, to: .sent) }
    }

    public func acknowledgeLetter(_ id: Int64) async throws -> ReferralLetters.Letter {
        try await write { try await $0.advanceLetter(id, to: .acknowledged) }
    }
}

extension UnitOfWork {
    public func addFeedback(_ request: PracticeService.FeedbackRequest) async throws -> Outcome<ClinicalRecords.Feedback> {
        let valid = try PressureFeedbackEntry(region: request.region, pressure: request.pressure, discomfort: request.discomfort,
                                              action: request.action, note: request.note, confirm: request.confirm,
                                              policy: practice.policy)
        let entry = try await ClinicalRecords.addFeedback(appointmentID: request.appointmentID, entry: valid, practice: practice,
                                                          now: now, on: connection, logger: logger)
        return Outcome(entry, warnings: entry.flag.map { [Warning(.pressure, rule: .pressure, $0)] } ?? [])
    }

    /// `default` as a home program means the evidence's self-massage rules.
    func expand(_ soap: SessionNotes.SOAP) -> SessionNotes.SOAP {
        var soap = soap
        if soap.homeProgram?.trimmingCharacters(in: .whitespaces).lowercased() == "default" { soap.homeProgram = HomeProgram.evidenceDefault }
        return soap
    }

    public func draftNote(appointmentID: Int64, soap: SessionNotes.SOAP) async throws -> SessionNotes.Note {
        try await SessionNotes.draft(appointmentID: appointmentID, soap: expand(soap), practice: practice, now: now,
                                     on: connection, logger: logger)
    }

    public func signNote(_ id: Int64, signer: Int64) async throws -> SessionNotes.Note {
        try await SessionNotes.sign(id, as: signer, practice: practice, on: connection, logger: logger)
    }

    public func addAddendum(to id: Int64, author: Int64, reason: String, text: String) async throws -> SessionNotes.Note {
        try await SessionNotes.addAddendum(to: id, author: author, reason: reason, text: text, practice: practice,
                                           on: connection, logger: logger)
    }

    public func addLetter(_ request: PracticeService.LetterRequest) async throws -> ReferralLetters.Added {
        if let date = request.date { try EntryRules.check(date, today: today) }
        let new = try NewReferralLetter(clientID: request.clientID, providerID: request.providerID, direction: request.direction,
                                        kind: request.kind, date: request.date ?? today, diagnosisCode: request.diagnosisCode,
                                        wording: request.wording, sessionsAuthorised: request.sessionsAuthorised,
                                        validUntil: request.validUntil, reasonRule: request.reasonRule, body: request.body,
                                        today: today)
        return try await ReferralLetters.add(new, practice: practice, now: now, on: connection, logger: logger)
    }

    public func advanceLetter(_ id: Int64, to status: LetterStatus) async throws -> ReferralLetters.Letter {
        try await ReferralLetters.advance(id, to: status, practice: practice, now: now, on: connection, logger: logger)
    }
}
