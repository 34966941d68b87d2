import Foundation
import PostgresNIO
import PracticeCore
import PracticeService
import PracticeStore
import PracticeTestSupport
import Testing

@Suite("Use cases through the service", .timeLimit(.minutes(5)))
struct ServiceTests {
    static let monday = try! CalendarDate(parsing: "2026-03-02")

    func practice(_ database: PracticeDatabase, zone: String = "Asia/Tokyo") async throws -> (TestPractice, Clocked, Int64) {
        let f = try await TestPractice.create(database, timeZone: zone)
        let clock = Clocked(database: database, practice: f.practice)
        let service = clock.at(Self.monday.adding(days: -30), 9)
        let client = try await service.registerClient(.init(name: "Ana Ruiz", dateOfBirth: try CalendarDate(parsing: "1980-04-12"),
                                                            painOnset: Self.monday.adding(days: -200))).value.client.id
        _ = try await service.recordScreening(.init(clientID: client, answers: noAnswers()))
        return (f, clock, client)
    }

    func visit(_ clock: Clocked, _ f: TestPractice, client: Int64, on day: CalendarDate, bookedOn: CalendarDate,
               complete: Bool = true, pain: Int = 6, after: Int? = nil) async throws -> Int64 {
        let booked = try await clock.at(bookedOn, 8).book(BookingRequest(
            clientID: client, therapistID: f.therapist.id, at: LocalDateTime(date: day, time: try TimeOfDay(hour: 10, minute: 0)),
            minutes: 60, past: bookedOn > day)).value.appointments[0].id
        if complete {
            _ = try await clock.at(day, 12).complete(.init(appointmentID: booked, minutes: 60, techniques: [.swedish],
                                                            painBefore: pain, painAfter: after ?? pain - 1))
        }
        return booked
    }

    func rules(_ clock: Clocked, on day: CalendarDate, hour: Int = 18) async throws -> [EvidenceRule] {
        try await clock.at(day, hour).check().clients.first?.flags.map(\.rule) ?? []
    }

    @Test("a sporadic gap is flagged as soon as the next booking is more than 14 days after the last session",
          arguments: [(14, false), (15, true)])
    func sporadicAsSoonAsBooked(gap: Int, flagged: Bool) async throws {
        try await TestDatabase.withFresh { database in
            let (f, clock, client) = try await practice(database)
            let last = Self.monday
            _ = try await visit(clock, f, client: client, on: last.adding(days: -3), bookedOn: last.adding(days: -4))
            _ = try await visit(clock, f, client: client, on: last, bookedOn: last.adding(days: -1))
            // Booked the day after the last session, for `gap` days later: judged today, not when it happens.
            _ = try await visit(clock, f, client: client, on: last.adding(days: gap), bookedOn: last.adding(days: 1), complete: false)
            #expect(try await rules(clock, on: last.adding(days: 1)).contains(.sporadic) == flagged)
        }
    }

    @Test func aPastVisitNobodyRecordedIsNotASession() async throws {
        try await TestDatabase.withFresh { database in
            let (f, clock, client) = try await practice(database)
            let id = try await visit(clock, f, client: client, on: Self.monday, bookedOn: Self.monday.adding(days: -2), complete: false)
            #expect(!(try await rules(clock, on: Self.monday, hour: 9)).contains(.unrecordedVisit))  // not yet begun
            let later = try await clock.at(Self.monday, 18).check()
            let flag = try #require(later.clients[0].flags.first { $0.rule == .unrecordedVisit })
            #expect(flag.message.contains("appointment \(id)") && later.clients[0].metrics.sessionsInCourse == 0)
            _ = try await clock.at(Self.monday, 19).markNoShow(id)
            #expect(!(try await rules(clock, on: Self.monday, hour: 20)).contains(.unrecordedVisit))
        }
    }

    @Test func historyEnteredAfterTheFactCarriesItsOwnDates() async throws {
        try await TestDatabase.withFresh { database in
            let (f, clock, client) = try await practice(database)
            let day = Self.monday.adding(days: -10)
            let id = try await visit(clock, f, client: client, on: day, bookedOn: Self.monday)
            _ = try await clock.at(Self.monday, 13).addFeedback(.init(appointmentID: id, region: .glutes, pressure: 4, discomfort: 3,
                                                                      action: .eased))
            let start = LocalTime.resolve(date: day, hour: 10, minute: 0, timeZone: f.practice.timeZone).instant
            let stamps = try await database.read { c in
                try await c.query("""
                    SELECT a.completed_at, (SELECT min(reported_at) FROM pain_reports WHERE appointment_id = a.id),
                           (SELECT min(recorded_at) FROM pressure_feedback WHERE appointment_id = a.id)
                    FROM appointments a WHERE a.id = \(id)
                    """, logger: logger).collect().first!.decode((Date, Date, Date).self)
            }
            #expect(stamps.0 == start.addingTimeInterval(3600) && stamps.1 == start && stamps.2 == start)
            // A screening dated in the past keeps its date; one in the future is refused.
            let screened = try await clock.at(Self.monday, 14).recordScreening(.init(clientID: client, answers: noAnswers(),
                                                                                     date: day)).value
            #expect(screened.screening.screenedAt.hasPrefix(day.description) || screened.screening.screenedAt.hasPrefix(day.adding(days: -1).description))
            await #expect(throws: PracticeError.invalid(field: "--date", reason: "\(Self.monday.adding(days: 1)) is in the future")) {
                _ = try await clock.at(Self.monday, 14).recordScreening(.init(clientID: client, answers: noAnswers(),
                                                                              date: Self.monday.adding(days: 1)))
            }
        }
    }

    @Test func aBaselineOfZeroNeverRaisesNoImprovement() async throws {
        try await TestDatabase.withFresh { database in
            let (f, clock, client) = try await practice(database)
            for week in 0..<5 {
                for day in [0, 3] {
                    let date = Self.monday.adding(days: week * 7 + day - 35)
                    _ = try await visit(clock, f, client: client, on: date, bookedOn: date.adding(days: -1), pain: 0, after: 0)
                }
            }
            let found = try await rules(clock, on: Self.monday)
            #expect(!found.contains(.noImprovement) && !found.contains(.monthlyTarget) && found.contains(.courseCap))
        }
    }

    @Test func dischargeTakesAClientOutOfCareUntilReadmitted() async throws {
        try await TestDatabase.withFresh { database in
            let (f, clock, client) = try await practice(database)
            let service = clock.at(Self.monday, 9)
            let booked = try await visit(clock, f, client: client, on: Self.monday.adding(days: 2), bookedOn: Self.monday, complete: false)
            let before = try await TestDatabase.rowCounts(database)
            // Future bookings are listed and the discharge refused.
            do {
                _ = try await service.discharge(.init(clientID: client, reason: "goals met"))
                Issue.record("a client with bookings was discharged")
            } catch PracticeError.refused(let message) {
                #expect(message.contains("\(booked)") && message.contains("--cancel-bookings"))
            }
            #expect(try await TestDatabase.rowCounts(database) == before)
            let result = try await service.discharge(.init(clientID: client, reason: "goals met", cancelBookings: true))
            #expect(result.cancelled.map(\.id) == [booked])
            #expect(try await clock.at(Self.monday, 10).check().clients.isEmpty)
            #expect(try await clock.at(Self.monday, 10).listClients(search: nil, includeDischarged: false).isEmpty)
            #expect(try await clock.at(Self.monday, 10).listClients(search: nil, includeDischarged: true).count == 1)
            do {
                _ = try await visit(clock, f, client: client, on: Self.monday.adding(days: 3), bookedOn: Self.monday, complete: false)
                Issue.record("a discharged client was booked")
            } catch PracticeError.refused(let message) {
                #expect(message.contains("readmit"))
            }
            // The check as of the day before still has them.
            #expect(try await clock.at(Self.monday, 11).check(asOf: Self.monday.adding(days: -1)).clients.count == 1)
            _ = try await clock.at(Self.monday, 12).readmit(clientID: client, date: nil)
            #expect(try await clock.at(Self.monday, 13).check().clients.count == 1)
        }
    }

    @Test func eachStatusMoveIsAllowedBySwiftExactlyWhenTheTriggerAllowsIt() async throws {
        try await TestDatabase.withFresh { database in
            let (f, _, client) = try await practice(database)
            var hour = 0
            for from in AppointmentStatus.allCases {
                for to in AppointmentStatus.allCases where to != from {
                    hour += 2
                    let start = Date(timeIntervalSince1970: 1_700_000_000 + Double(hour) * 3600)
                    let allowed: Bool
                    do {
                        try await database.transaction { c in
                            let id = try await c.insertReturningID("""
                                INSERT INTO appointments (practice_id, client_id, therapist_id, starts_at, ends_at, status, minutes_treated,
                                                          cancelled_at, completed_at, completion_recorded_at, no_show_at)
                                VALUES (\(f.practice.id), \(client), \(f.therapist.id), \(start), \(start.addingTimeInterval(3000)),
                                        \(from.rawValue), 50, \(start), \(start), \(start), \(start))
                                RETURNING id
                                """, logger: logger)
                            _ = try await c.query("""
                                UPDATE appointments SET status = \(to.rawValue), minutes_treated = 50, cancelled_at = \(start),
                                       completed_at = \(start), completion_recorded_at = \(start), no_show_at = \(start)
                                WHERE id = \(id)
                                """, logger: logger)
                            throw Rollback()
                        }
                        allowed = true
                    } catch is Rollback {
                        allowed = true
                    } catch {
                        allowed = false
                    }
                    #expect(allowed == from.canMove(to: to), "\(from) → \(to)")
                }
            }
        }
    }

    @Test func minuteRangesAndDiagnosisCodesAreTheSameInSwiftAndSQL() async throws {
        try await TestDatabase.withFresh { database in
            let checks = try await database.read { c in
                try await c.query("""
                    SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
                    WHERE conname IN ('appointments_minutes_treated_check', 'appointment_series_minutes_check',
                                      'referral_letters_diagnosis_code_check')
                    """, logger: logger).collect().map { try $0.decode((String, String).self) }
            }
            let defs = Dictionary(uniqueKeysWithValues: checks)
            let treated = BookingRules.Minutes.treated, visit = BookingRules.Minutes.visit
            #expect(defs["appointments_minutes_treated_check"]?.contains(">= \(treated.lowerBound)") == true)
            #expect(defs["appointments_minutes_treated_check"]?.contains("<= \(treated.upperBound)") == true)
            #expect(defs["appointment_series_minutes_check"]?.contains(">= \(visit.lowerBound)") == true)
            #expect(defs["appointment_series_minutes_check"]?.contains("<= \(visit.upperBound)") == true)
            #expect(defs["referral_letters_diagnosis_code_check"]?.contains("'\(ICD10.pattern)'") == true)
            // And the same verdicts on codes near the edges.
            for code in ["M54.50", "M54", "U07.1", "M5A.1", "M54.", "m54.5", "M54.12345", "Z99.89", "M5B"] {
                let swift = (try? ICD10.validate(code)) != nil
                let sql = try await database.read { c in
                    try await c.query("SELECT \(code.uppercased()) ~ \(ICD10.pattern)", logger: logger).collect()[0].decode(Bool.self)
                }
                #expect(swift == sql, "\(code)")
            }
        }
    }
}

struct Rollback: Error {}
