import Foundation
import PostgresNIO
import PracticeCore
import PracticeService
import PracticeStore
import PracticeTestSupport
import Testing

private let logger = TestDatabase.logger

@Suite("Session records", .timeLimit(.minutes(5)))
struct SessionRecordsTests {
    /// A client with one visit yesterday (so it can be completed), checked in.
    func visit(_ database: PracticeDatabase, _ f: TestPractice, name: String = "Ana Ruiz") async throws -> (Client, AppointmentView) {
        let client = try await f.screenedClient(name, in: database)
        let yesterday = practiceToday(f.practice.timeZone).adding(days: -1)
        let visit = try await f.book(database, client: client.id, at: at(yesterday, 10), past: true).appointments[0]
        return (client, visit)
    }

    @Test func aFullSessionThenNothingSignedCanChangeEvenAsTheAppRole() async throws {
        try await TestDatabase.withFresh { database in
            let f = try await TestPractice.create(database)
            let p = f.practice
            let (client, visit) = try await visit(database, f)
            _ = try await database.transaction { try await Scheduling.move(visit.id, to: .checkedIn, practice: p, on: $0, logger: logger) }
            let held = try await database.transaction {
                try await ClinicalRecords.addFeedback(appointmentID: visit.id,
                                                      entry: PressureFeedbackEntry(region: .quadratusLumborum, pressure: 6, discomfort: 7,
                                                                                   action: .held, policy: p.policy),
                                                      practice: p, on: $0, logger: logger)
            }
            #expect(held.flag?.contains("rule pressure") == true)
            let completion = try await database.transaction {
                try await ClinicalRecords.complete(visit.id, record: SessionRecord(minutes: 23, techniques: [.swedish, .triggerPoint],
                                                                                   painBefore: 6, painAfter: 4, soreness: .marked,
                                                                                   cpt: .massage, fee: 95),
                                                   practice: p, on: $0, logger: logger)
            }
            #expect(completion.units == 2 && completion.appointment.status == .completed)
            #expect(completion.warnings.contains { $0.code == .soreness })
            let pains = try await database.read { c in
                try await c.query("SELECT source, score::int FROM pain_reports WHERE appointment_id = \(visit.id) ORDER BY source",
                                  logger: logger).decode((String, Int).self).reduce(into: [String]()) { $0.append("\($1.0)=\($1.1)") }
            }
            #expect(pains == ["after_session=4", "before_session=6"])

            let draft = try await database.transaction {
                try await SessionNotes.draft(appointmentID: visit.id, soap: .init(subjective: "sore after sitting", objective: "QL tight",
                                                                                  assessment: "improving", plan: "twice weekly",
                                                                                  homeProgram: HomeProgram.evidenceDefault),
                                             practice: p, on: $0, logger: logger)
            }
            _ = try await database.transaction {
                try await SessionNotes.edit(draft.id, soap: .init(plan: "twice weekly, 60 minutes"), practice: p, on: $0, logger: logger)
            }
            await #expect(throws: PracticeError.self) {
                _ = try await database.transaction { try await SessionNotes.sign(draft.id, as: f.secondTherapist.id, practice: p, on: $0, logger: logger) }
            }
            let signed = try await database.transaction { try await SessionNotes.sign(draft.id, as: f.therapist.id, practice: p, on: $0, logger: logger) }
            #expect(signed.status == "signed" && signed.plan == "twice weekly, 60 minutes")
            await #expect(throws: PracticeError.self) {
                _ = try await database.transaction { try await SessionNotes.edit(draft.id, soap: .init(plan: "x"), practice: p, on: $0, logger: logger) }
            }
            let corrected = try await database.transaction {
                try await SessionNotes.addAddendum(to: draft.id, author: f.therapist.id, reason: "wrong side", text: "left QL, not right",
                                                   practice: p, on: $0, logger: logger)
            }
            let addendum = try #require(corrected.addenda.first)
            #expect(addendum.reason == "wrong side" && addendum.author == "Marcus Bell")

            // As the application's role, direct SQL cannot change or delete the signed note or its
            // addendum, nor switch off the trigger that guards them.
            let statements: [PostgresQuery] = [
                "UPDATE session_notes SET plan = 'changed' WHERE id = \(draft.id)",
                "DELETE FROM session_notes WHERE id = \(draft.id)",
                "UPDATE note_addenda SET body = 'changed' WHERE id = \(addendum.id)",
                "DELETE FROM note_addenda WHERE id = \(addendum.id)",
                "ALTER TABLE session_notes DISABLE TRIGGER session_notes_immutable_when_signed",
                "UPDATE audit_events SET action = 'x'",
            ]
            for statement in statements {
                await #expect(throws: (any Error).self, "\(statement.sql)") {
                    try await database.transaction { c in
                        _ = try await c.query("SET LOCAL ROLE practice_app", logger: logger)
                        _ = try await c.query(statement, logger: logger)
                    }
                }
            }
            // …while the role can do its ordinary work.
            try await database.transaction { c in
                _ = try await c.query("SET LOCAL ROLE practice_app", logger: logger)
                _ = try await c.query("UPDATE clients SET phone = '(555) 010-9999' WHERE id = \(client.id)", logger: logger)
            }
            let after = try await database.read { try await SessionNotes.get(draft.id, practice: p, on: $0, logger: logger) }
            #expect(after == corrected)
        }
    }

    @Test func signingByAnotherTherapistIsRefusedInSQLToo() async throws {
        try await TestDatabase.withFresh { database in
            let f = try await TestPractice.create(database)
            let (_, visit) = try await visit(database, f)
            _ = try await database.transaction { try await Scheduling.move(visit.id, to: .checkedIn, practice: f.practice, on: $0, logger: logger) }
            let note = try await database.transaction {
                try await SessionNotes.draft(appointmentID: visit.id, soap: .init(assessment: "a", plan: "p"), practice: f.practice, on: $0, logger: logger)
            }
            await #expect(throws: PracticeError.self) {
                try await database.transaction { c in
                    _ = try await c.query("UPDATE session_notes SET signed_by = \(f.secondTherapist.id), signed_at = now() WHERE id = \(note.id)",
                                          logger: logger)
                }
            }
            // And an addendum belongs to a signed note only.
            await #expect(throws: PracticeError.self) {
                _ = try await database.transaction {
                    try await SessionNotes.addAddendum(to: note.id, author: f.therapist.id, reason: "r", text: "t", practice: f.practice,
                                                       on: $0, logger: logger)
                }
            }
        }
    }

    @Test func pressureRules() async throws {
        try await TestDatabase.withFresh { database in
            let f = try await TestPractice.create(database)
            let policy = f.practice.policy
            #expect(throws: PracticeError.self) {
                try PressureFeedbackEntry(region: .glutes, pressure: 7, discomfort: 6, action: .increased, policy: policy)
            }
            let confirmed = try PressureFeedbackEntry(region: .glutes, pressure: 7, discomfort: 6, action: .increased, confirm: true, policy: policy)
            #expect(confirmed.action == .increased)
            #expect(PressureFeedbackEntry.flag(discomfort: 5, action: .held, policy: policy) == nil)
            #expect(PressureFeedbackEntry.flag(discomfort: 6, action: .eased, policy: policy) == nil)
            #expect(PressureFeedbackEntry.flag(discomfort: 6, action: .held, policy: policy) != nil)
            // Feedback belongs to a session under way: not to one next month.
            let client = try await f.screenedClient("Ben Okoro", in: database)
            let later = try await f.book(database, client: client.id, at: at(futureMonday(), 9)).appointments[0]
            await #expect(throws: PracticeError.self) {
                _ = try await database.transaction {
                    try await ClinicalRecords.addFeedback(appointmentID: later.id,
                                                          entry: PressureFeedbackEntry(region: .glutes, pressure: 3, discomfort: 2,
                                                                                       action: .held, policy: policy),
                                                          practice: f.practice, on: $0, logger: logger)
                }
            }
        }
    }

    @Test func lettersPrescriptionsAndClearances() async throws {
        try await TestDatabase.withFresh { database in
            let f = try await TestPractice.create(database)
            let p = f.practice
            // Today where the practice is: the store checks dates against it.
            let today = PracticeNow(instant: Date(), timeZone: p.timeZone).today
            let (client, visit) = try await visit(database, f)
            // A prescription for 1 session: the next booking warns, and so does a visit after it expires.
            let prescription = try await database.transaction {
                try await ReferralLetters.add(try NewReferralLetter(clientID: client.id, providerID: f.physician.id, direction: .incoming,
                                                                    kind: .prescription, date: today.adding(days: -10), diagnosisCode: "m54.50",
                                                                    wording: "therapeutic massage for low-back pain", sessionsAuthorised: 1,
                                                                    validUntil: today.adding(days: 8), today: today),
                                              practice: p, on: $0, logger: logger)
            }
            #expect(prescription.letter.diagnosisCode == "M54.50" && prescription.letter.status == .received)
            let second = try await f.book(database, client: client.id, at: at(futureMonday(3), 9))
            #expect(second.warnings.contains { $0.code == .prescriptionSessions && $0.message.contains("beyond the 1 authorised") })
            #expect(second.warnings.contains { $0.code == .prescriptionExpired })
            let completed = try await database.transaction {
                try await ClinicalRecords.complete(visit.id, record: SessionRecord(minutes: 50, techniques: [.swedish], painBefore: 6, painAfter: 5),
                                                   practice: p, on: $0, logger: logger)
            }
            #expect(!completed.warnings.contains { $0.code == .prescriptionSessions })  // the first completed session is covered

            // A coordination note: draft → sent → acknowledged.
            let note = try await database.transaction {
                try await ReferralLetters.add(try NewReferralLetter(clientID: client.id, providerID: f.physio.id, direction: .outgoing,
                                                                    kind: .coordination, date: today, body: "Pain 6 → 5; continuing.", today: today),
                                              practice: p, on: $0, logger: logger).letter
            }
            #expect(note.status == .draft)
            await #expect(throws: PracticeError.self) {
                _ = try await database.transaction { try await ReferralLetters.advance(note.id, to: .acknowledged, practice: p, on: $0, logger: logger) }
            }
            let sent = try await database.transaction { try await ReferralLetters.advance(note.id, to: .sent, practice: p, on: $0, logger: logger) }
            #expect(sent.sentAt != nil)
            await #expect(throws: PracticeError.self) {
                _ = try await database.transaction { try await ReferralLetters.edit(note.id, text: "changed", practice: p, on: $0, logger: logger) }
            }
            let acknowledged = try await database.transaction { try await ReferralLetters.advance(note.id, to: .acknowledged, practice: p, on: $0, logger: logger) }
            #expect(acknowledged.acknowledgedAt != nil)

            // A referral goes to a spine specialist or a PT, never to a physician.
            await #expect(throws: PracticeError.self) {
                _ = try await database.transaction {
                    try await ReferralLetters.add(try NewReferralLetter(clientID: client.id, providerID: f.physician.id, direction: .outgoing,
                                                                        kind: .referral, date: today, body: "x", today: today),
                                                  practice: p, on: $0, logger: logger)
                }
            }

            // An incoming clearance letter for a red-flag client records the clearance.
            let hugo = try await f.screenedClient("Hugo Schmidt", in: database, redFlag: true)
            let cleared = try await database.transaction {
                try await ReferralLetters.add(try NewReferralLetter(clientID: hugo.id, providerID: f.physician.id, direction: .incoming,
                                                                    kind: .clearance, date: today, body: "cleared", today: today),
                                              practice: p, on: $0, logger: logger)
            }
            let clearanceID = try #require(cleared.clearanceID)
            let profile = try await database.read { try await ClientProfile.load(clientID: hugo.id, practice: p, on: $0, logger: logger) }
            #expect(profile.mayBook && profile.clearance?.id == clearanceID)
        }
    }

    @Test func aReferralIsDraftedFromTheChecksFlag() async throws {
        try await TestDatabase.withFresh { database in
            _ = try await DemoPractice.seed(database)
            try await TestDatabase.scopeToFirstPractice(database)
            let letters = try await database.read { c in
                let practice = try await Practices.resolve(nil, on: c, logger: logger)
                let maria = try await ClientRepository.list(practiceID: practice.id, search: "Maria Rossi", on: c, logger: logger)[0]
                return try await ReferralLetters.list(clientID: maria.id, practice: practice, on: c, logger: logger)
            }
            let referral = try #require(letters.first { $0.kind == .referral })
            #expect(referral.status == .draft && referral.reasonRule == "no-improvement" && referral.providerKind == .spineSpecialist)
            let body = try #require(referral.body)
            #expect(body.contains("9 massage session(s)") && body.contains("Pain was 6/10") && body.contains("spine specialist"))
            #expect(body.contains(EvidenceRule.noImprovement.source))
        }
    }

    @Test func selfReportedPainJoinsTheTrend() async throws {
        try await TestDatabase.withFresh { database in
            let f = try await TestPractice.create(database)
            let p = f.practice
            let (client, visit) = try await visit(database, f)
            _ = try await database.transaction {
                try await ClinicalRecords.complete(visit.id, record: SessionRecord(minutes: 50, techniques: [.swedish], painBefore: 8, painAfter: 6),
                                                   practice: p, on: $0, logger: logger)
            }
            let report = try await database.transaction {
                try await ClinicalRecords.reportPain(clientID: client.id, score: 3, date: nil, practice: p, on: $0, logger: logger)
            }
            #expect(report.source == "self_reported")
            let metrics = try await database.read { c in
                let now = try await c.practiceNow(p, logger: logger)
                return try await FrequencyCheckQuery.run(practice: p, clientID: client.id, asOf: now.today, cutoff: now.instant,
                                                         on: c, logger: logger)[0].metrics
            }
            #expect(metrics.baselinePain == 8 && metrics.latestPain == 3)
            await #expect(throws: PracticeError.self) {
                _ = try await database.transaction {
                    try await ClinicalRecords.reportPain(clientID: client.id, score: 11, date: nil, practice: p, on: $0, logger: logger)
                }
            }
        }
    }
}
