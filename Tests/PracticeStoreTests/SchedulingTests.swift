import Foundation
import PostgresNIO
import PracticeCore
import PracticeStore
import PracticeTestSupport
import Testing

private let logger = TestDatabase.logger

func at(_ date: CalendarDate, _ hour: Int, _ minute: Int = 0) throws -> LocalDateTime {
    LocalDateTime(date: date, time: try TimeOfDay(hour: hour, minute: minute))
}

extension TestPractice {
    func book(_ database: PracticeDatabase, client: Int64, therapist: Int64? = nil, at: LocalDateTime, minutes: Int = 60,
              weekly: (weekdays: Set<Int>, end: WeeklyRecurrence.End)? = nil, skipConflicts: Bool = false,
              override: String? = nil, unscreened: String? = nil, past: Bool = false) async throws -> BookingResult {
        let request = BookingRequest(clientID: client, therapistID: therapist ?? self.therapist.id, at: at, minutes: minutes,
                                     weekly: weekly, skipConflicts: skipConflicts, overrideReason: override,
                                     unscreenedReason: unscreened, past: past)
        let practice = practice
        return try await database.transaction { try await Scheduling.book(request, practice: practice, on: $0, logger: logger) }
    }

    func appointments(_ database: PracticeDatabase, client: Int64? = nil) async throws -> [AppointmentView] {
        let practice = practice
        return try await database.read {
            try await Scheduling.list(.init(clientID: client), practice: practice, on: $0, logger: logger)
        }
    }
}

func iso(_ date: Date) -> String {
    let formatter = ISO8601DateFormatter()
    formatter.timeZone = TimeZone(identifier: "UTC")
    return formatter.string(from: date)
}

@Suite("Booking and the life of an appointment", .timeLimit(.minutes(5)))
struct SchedulingTests {
    @Test func newYorkSeriesStaysAtTenLocalAcrossNovemberFirst() async throws {
        try await TestDatabase.withFresh { database in
            let f = try await TestPractice.create(database)
            let client = try await f.screenedClient("Ana Ruiz", in: database)
            let result = try await f.book(database, client: client.id, at: at(CalendarDate(parsing: "2026-10-20"), 10),
                                          weekly: ([2], .count(3)), past: true)
            #expect(result.appointments.map { iso($0.startsAt) } == ["2026-10-20T14:00:00Z", "2026-10-27T14:00:00Z", "2026-11-03T15:00:00Z"])
            #expect(result.appointments.allSatisfy { $0.start.description == "10:00" && $0.seriesID == result.seriesID })
            // The rule itself is stored too.
            let rule = try await database.read { c in
                try await c.query("""
                    SELECT weekdays::text, local_time::text, time_zone, occurrence_count FROM appointment_series WHERE id = \(result.seriesID!)
                    """, logger: logger).decode((String, String, String, Int).self).reduce(into: [String]()) { $0 += [$1.0, $1.1, $1.2, String($1.3)] }
            }
            #expect(rule == ["{2}", "10:00:00", "America/New_York", "3"])
        }
    }

    @Test func londonSeriesStaysAtTenLocalAcrossMarch29() async throws {
        try await TestDatabase.withFresh { database in
            let f = try await TestPractice.create(database, timeZone: "Europe/London")
            let client = try await f.screenedClient("Ana Ruiz", in: database)
            let result = try await f.book(database, client: client.id, at: at(CalendarDate(parsing: "2026-03-24"), 10),
                                          weekly: ([2, 5], .until(try CalendarDate(parsing: "2026-04-03"))), past: true)
            #expect(result.appointments.map { iso($0.startsAt) } ==
                    ["2026-03-24T10:00:00Z", "2026-03-27T10:00:00Z", "2026-03-31T09:00:00Z", "2026-04-03T09:00:00Z"])
        }
    }

    @Test func aClashRefusesTheWholeSeriesUnlessSkipped() async throws {
        try await TestDatabase.withFresh { database in
            let f = try await TestPractice.create(database)
            let ana = try await f.screenedClient("Ana Ruiz", in: database)
            let ben = try await f.screenedClient("Ben Okoro", in: database)
            let monday = futureMonday()
            let blocker = try await f.book(database, client: ben.id, at: at(monday.adding(days: 11), 10, 30)).appointments[0]
            let before = try await TestDatabase.rowCounts(database)
            do {
                _ = try await f.book(database, client: ana.id, at: at(monday, 10), weekly: ([2, 5], .count(4)))
                Issue.record("the series should have been refused")
            } catch let PracticeError.conflict(message) {
                #expect(message.contains("appointment \(blocker.id)") && message.contains("the therapist already has"))
            }
            #expect(try await TestDatabase.rowCounts(database) == before)

            let skipped = try await f.book(database, client: ana.id, at: at(monday, 10), weekly: ([2, 5], .count(4)), skipConflicts: true)
            #expect(skipped.appointments.count == 3)
            #expect(skipped.skipped.map(\.date) == [monday.adding(days: 11)])
            #expect(skipped.skipped.first?.clashesWith == blocker.id)
        }
    }

    @Test func theWeeklyLimitNeedsAnOverrideWhichIsStored() async throws {
        try await TestDatabase.withFresh { database in
            let f = try await TestPractice.create(database)
            let ana = try await f.screenedClient("Ana Ruiz", in: database)
            let monday = futureMonday()
            let first = try await f.book(database, client: ana.id, at: at(monday, 9)).appointments[0]
            _ = try await f.book(database, client: ana.id, at: at(monday.adding(days: 2), 9))
            await #expect(throws: PracticeError.self) {
                _ = try await f.book(database, client: ana.id, at: at(monday.adding(days: 4), 9))
            }
            // The next week is free.
            _ = try await f.book(database, client: ana.id, at: at(monday.adding(days: 7), 9))
            let third = try await f.book(database, client: ana.id, at: at(monday.adding(days: 4), 9), override: "flare-up, physician asked")
            #expect(third.appointments[0].overrideReason == "flare-up, physician asked")
            #expect(third.warnings.contains { $0.code == .weeklyOverride })
            // A cancelled visit frees its place in the week: with the override's gone, two remain, still full…
            _ = try await database.transaction { try await Scheduling.cancel(third.appointments[0].id, following: false, practice: f.practice, on: $0, logger: logger) }
            await #expect(throws: PracticeError.self) {
                _ = try await f.book(database, client: ana.id, at: at(monday.adding(days: 4), 11))
            }
            // …and with one more cancelled there is room again.
            _ = try await database.transaction { try await Scheduling.cancel(first.id, following: false, practice: f.practice, on: $0, logger: logger) }
            _ = try await f.book(database, client: ana.id, at: at(monday.adding(days: 4), 11))
        }
    }

    @Test func redFlagGateAndScreening() async throws {
        try await TestDatabase.withFresh { database in
            let f = try await TestPractice.create(database)
            let flagged = try await f.screenedClient("Hugo Schmidt", in: database, redFlag: true)
            let when = try at(futureMonday(), 9)
            await #expect(throws: PracticeError.self) { _ = try await f.book(database, client: flagged.id, at: when) }
            _ = try await database.transaction {
                try await ScreeningRepository.clear(clientID: flagged.id, providerID: f.physician.id, date: CalendarDate(parsing: "2026-11-20"),
                                                    note: nil, practiceID: f.practice.id, on: $0, logger: logger)
            }
            _ = try await f.book(database, client: flagged.id, at: when)

            let unscreened = try await database.transaction {
                try await ClientRepository.add(try TestPractice.newClient("Liam O'Connor"), practiceID: f.practice.id, on: $0, logger: logger)
            }
            let later = try at(futureMonday(), 11)
            do {
                _ = try await f.book(database, client: unscreened.id, at: later)
                Issue.record("an unscreened client should need a screening or a reason")
            } catch let PracticeError.refused(message) {
                #expect(message.contains("screening"))
            }
            let booked = try await f.book(database, client: unscreened.id, at: later, unscreened: "screening by phone tomorrow")
            #expect(booked.appointments[0].unscreenedReason == "screening by phone tomorrow")
        }
    }

    @Test func acuteAndLengthWarnings() async throws {
        try await TestDatabase.withFresh { database in
            let f = try await TestPractice.create(database)
            let today = practiceToday(f.practice.timeZone)
            let client = try await database.transaction { c in
                let client = try await ClientRepository.add(
                    try NewClient(name: "Grace Liu", dateOfBirth: CalendarDate(parsing: "1995-07-14"), painOnset: today.adding(days: -10),
                                  today: today), practiceID: f.practice.id, on: c, logger: logger)
                _ = try await ScreeningRepository.record(
                    clientID: client.id, answers: .init(weightLossOrFever: false, bilateralNumbnessOrBowelBladder: false,
                                                        cancerOrMajorTrauma: false, legNumbness: true),
                    screenedBy: nil, practiceID: f.practice.id, on: c, logger: logger)
                return client
            }
            let result = try await f.book(database, client: client.id, at: at(futureMonday(), 9), minutes: 20)
            #expect(result.warnings.contains { $0.code == .acutePainSharp && $0.rule == .acutePain && $0.message.contains("leg numbness") })
            #expect(result.warnings.contains { $0.rule == .sessionLength })
        }
    }

    @Test func theStateMachineHoldsInSwiftAndInSQL() async throws {
        try await TestDatabase.withFresh { database in
            let f = try await TestPractice.create(database)
            let ana = try await f.screenedClient("Ana Ruiz", in: database)
            let p = f.practice
            let future = try await f.book(database, client: ana.id, at: at(futureMonday(), 9)).appointments[0]
            for status in [AppointmentStatus.completed, .noShow, .checkedIn] {
                await #expect(throws: PracticeError.self) {
                    _ = try await database.transaction { try await Scheduling.move(future.id, to: status, practice: p, on: $0, logger: logger) }
                }
            }
            await #expect(throws: PracticeError.self) {
                _ = try await f.book(database, client: ana.id, at: at(CalendarDate(parsing: "2026-01-05"), 9))
            }
            let past = try await f.book(database, client: ana.id, at: at(CalendarDate(parsing: "2026-01-05"), 9), past: true).appointments[0]
            let completed = try await database.transaction { try await Scheduling.move(past.id, to: .completed, practice: p, on: $0, logger: logger) }
            #expect(completed.status == .completed)
            await #expect(throws: PracticeError.self) {
                _ = try await database.transaction { try await Scheduling.cancel(past.id, following: false, practice: p, on: $0, logger: logger) }
            }
            // Straight SQL cannot walk the machine backwards either.
            await #expect(throws: PracticeError.self) {
                try await database.transaction { _ = try await $0.query("UPDATE appointments SET status = 'booked' WHERE id = \(past.id)", logger: logger) }
            }
            await #expect(throws: PracticeError.self) {
                try await database.transaction {
                    _ = try await $0.query("UPDATE appointments SET starts_at = starts_at + interval '1 hour', ends_at = ends_at + interval '1 hour' WHERE id = \(past.id)", logger: logger)
                }
            }
        }
    }

    @Test func rescheduleObeysTheRules() async throws {
        try await TestDatabase.withFresh { database in
            let f = try await TestPractice.create(database)
            let ana = try await f.screenedClient("Ana Ruiz", in: database)
            let ben = try await f.screenedClient("Ben Okoro", in: database)
            let p = f.practice
            let monday = futureMonday()
            let first = try await f.book(database, client: ana.id, at: at(monday, 9)).appointments[0]
            _ = try await f.book(database, client: ana.id, at: at(monday.adding(days: 2), 9))
            let bens = try await f.book(database, client: ben.id, at: at(monday.adding(days: 7), 9)).appointments[0]
            _ = try await f.book(database, client: ana.id, at: at(monday.adding(days: 8), 9))
            _ = try await f.book(database, client: ana.id, at: at(monday.adding(days: 9), 9))
            // Onto Ben's slot with the same therapist: a clash naming Ben's appointment.
            do {
                _ = try await database.transaction {
                    try await Scheduling.reschedule(first.id, to: at(monday.adding(days: 7), 9, 30), minutes: nil, overrideReason: nil,
                                                    past: false, practice: p, on: $0, logger: logger)
                }
                Issue.record("expected a clash")
            } catch let PracticeError.conflict(message) {
                #expect(message.contains("appointment \(bens.id)"))
            }
            // Into a week that already has two.
            await #expect(throws: PracticeError.self) {
                _ = try await database.transaction {
                    try await Scheduling.reschedule(first.id, to: at(monday.adding(days: 10), 9), minutes: nil, overrideReason: nil,
                                                    past: false, practice: p, on: $0, logger: logger)
                }
            }
            // Within its own week it moves freely: it does not count against itself.
            let (moved, _) = try await database.transaction {
                try await Scheduling.reschedule(first.id, to: at(monday.adding(days: 1), 14), minutes: 45, overrideReason: nil,
                                                past: false, practice: p, on: $0, logger: logger)
            }
            #expect(moved.date == monday.adding(days: 1) && moved.start.description == "14:00" && moved.minutes == 45)
        }
    }

    @Test func cancellingTheRestOfASeries() async throws {
        try await TestDatabase.withFresh { database in
            let f = try await TestPractice.create(database)
            let ana = try await f.screenedClient("Ana Ruiz", in: database)
            let series = try await f.book(database, client: ana.id, at: at(futureMonday(), 9), weekly: ([1, 4], .count(4))).appointments
            let cancelled = try await database.transaction {
                try await Scheduling.cancel(series[1].id, following: true, practice: f.practice, on: $0, logger: logger)
            }
            #expect(cancelled.map(\.id) == series.dropFirst().map(\.id))
            let statuses = try await f.appointments(database).map(\.status)
            #expect(statuses == [.booked, .cancelled, .cancelled, .cancelled])
        }
    }

    @Test func concurrentBookingsCannotSlipPastTheWeeklyLimitOrDoubleBook() async throws {
        try await TestDatabase.withFresh { database in
            let f = try await TestPractice.create(database)
            let ana = try await f.screenedClient("Ana Ruiz", in: database)
            let monday = futureMonday()
            // Twelve bookings for one client in one week, at once, on two therapists and different times.
            let successes = try await withThrowingTaskGroup(of: Bool.self) { group in
                for i in 0..<12 {
                    group.addTask {
                        do {
                            _ = try await f.book(database, client: ana.id, therapist: i % 2 == 0 ? f.therapist.id : f.secondTherapist.id,
                                                 at: at(monday.adding(days: i % 5), 9 + i % 8))
                            return true
                        } catch is PracticeError { return false }
                    }
                }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(successes == 2)
            #expect(try await f.appointments(database, client: ana.id).filter { $0.status.isLive }.count == 2)

            // Eight clients for one therapist's slot, at once: exactly one gets it.
            var clients: [Int64] = []
            for i in 0..<8 { clients.append(try await f.screenedClient("Client \(i)", in: database).id) }
            let slot = try at(monday.adding(days: 14), 15)
            let refusals = try await withThrowingTaskGroup(of: String?.self) { group in
                for client in clients {
                    group.addTask {
                        do {
                            _ = try await f.book(database, client: client, at: slot)
                            return nil
                        } catch PracticeError.conflict(let message) { return message }
                    }
                }
                return try await group.reduce(into: [String]()) { if let message = $1 { $0.append(message) } }
            }
            #expect(refusals.count == clients.count - 1)
            let inSlot = try await f.appointments(database).filter { $0.date == slot.date && $0.status.isLive }
            #expect(inSlot.count == 1)
            // Every loser is told which appointment took the slot, even when it lost the race at the constraint.
            let winner = try #require(inSlot.first)
            #expect(refusals.allSatisfy { $0.contains("appointment \(winner.id)") }, "\(refusals)")
        }
    }
}
