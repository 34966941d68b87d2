import Foundation
import PracticeCore
import PracticeService
import PracticeStore
import PracticeTestSupport
import Testing

/// The check on a past date says what it said that day. A practice lives through six weeks day by
/// day, through the service, by a clock the test sets: bookings, completions (some entered late),
/// no-shows, cancellations, reschedules, pain reports, screenings dated in the past, discharges and
/// readmissions. At the end of every day the check as of that day is kept. Afterwards the check
/// is run again as of every one of those days, on the full database: it must be the same.
@Suite("The check is exact as of any date", .timeLimit(.minutes(5)))
struct CheckHistoryTests {
    @Test(arguments: [("Asia/Tokyo", UInt64(11)), ("America/New_York", UInt64(29)), ("Europe/London", UInt64(47))])
    func theCheckOnAPastDayReproducesThatDay(zone: String, seed: UInt64) async throws {
        try await TestDatabase.withFresh { database in
            let f = try await TestPractice.create(database, timeZone: zone)
            let clock = Clocked(database: database, practice: f.practice)
            var random = SeededRandom(state: seed)
            // Six weeks across the 2026 spring clock changes (New York 8 March, London 29 March).
            let first = try CalendarDate(parsing: "2026-02-23")
            let days = 42
            var clients: [Int64] = []
            for (index, name) in ["Ana Ruiz", "Ben Okoro", "Chloé Martin", "David Kim"].enumerated() {
                let service = clock.at(first, 8, index)
                let profile = try await service.registerClient(.init(
                    name: name, dateOfBirth: try CalendarDate(parsing: "1980-04-12"),
                    painOnset: first.adding(days: -[20, 60, 200, 400][index]))).value
                // One screening entered today for a day last week.
                _ = try await service.recordScreening(.init(clientID: profile.client.id, answers: noAnswers(),
                                                            date: index == 0 ? first.adding(days: -7) : nil))
                clients.append(profile.client.id)
            }
            var said: [CalendarDate: String] = [:]
            for offset in 0..<days {
                let day = first.adding(days: offset)
                var minute = 0
                func service() -> PracticeService { minute += 1; return clock.at(day, 8, minute) }
                for (index, client) in clients.enumerated() {
                    let therapist = index % 2 == 0 ? f.therapist.id : f.secondTherapist.id
                    // Record what happened to visits already past: complete, no-show, cancel, or leave unrecorded.
                    let visits = try await service().listAppointments(.init(clientID: client, includeCancelled: false))
                    for visit in visits where visit.status.isPending && visit.startsAt < clock.at(day, 8, minute).nowForTests {
                        switch Int.random(in: 0..<10, using: &random) {
                        case 0..<6:
                            _ = try await service().complete(.init(
                                appointmentID: visit.id, minutes: 50, techniques: [.swedish],
                                painBefore: Int.random(in: 0...8, using: &random), painAfter: Int.random(in: 0...6, using: &random)))
                        case 6: _ = try await service().markNoShow(visit.id)
                        case 7: _ = try await service().cancel(visit.id, following: false)
                        default: break
                        }
                    }
                    let discharged = try await service().clientProfile(client).value.discharge != nil
                    if discharged {
                        if Int.random(in: 0..<4, using: &random) == 0 { _ = try await service().readmit(clientID: client, date: nil) }
                        continue
                    }
                    if Int.random(in: 0..<3, using: &random) == 0 {
                        let date = day.adding(days: Int.random(in: 1...9, using: &random))
                        let at = LocalDateTime(date: date, time: try TimeOfDay(hour: 10 + index, minute: 0))
                        do {
                            _ = try await service().book(BookingRequest(clientID: client, therapistID: therapist, at: at, minutes: 50))
                        } catch is PracticeError {}  // a clash or the weekly limit: the front desk picks another day
                    }
                    if Int.random(in: 0..<12, using: &random) == 0 {
                        // A visit entered after the fact, then completed: stamped at its own time.
                        let at = LocalDateTime(date: day.adding(days: -1), time: try TimeOfDay(hour: 18, minute: index * 10))
                        do {
                            let booked = try await service().book(BookingRequest(clientID: client, therapistID: therapist, at: at,
                                                                                 minutes: 30, past: true))
                            _ = try await service().complete(.init(appointmentID: booked.value.appointments[0].id, minutes: 30,
                                                                   techniques: [.triggerPoint], painBefore: 5, painAfter: 4))
                        } catch is PracticeError {}
                    }
                    if Int.random(in: 0..<8, using: &random) == 0,
                       let future = visits.first(where: { $0.status == .booked && $0.date > day.adding(days: 1) }) {
                        let at = LocalDateTime(date: future.date.adding(days: 1), time: try TimeOfDay(hour: 10 + index, minute: 30))
                        do { _ = try await service().reschedule(future.id, to: at, minutes: nil, overrideReason: nil, past: false) }
                        catch is PracticeError {}
                    }
                    if Int.random(in: 0..<6, using: &random) == 0 {
                        _ = try await service().reportPain(clientID: client, score: Int.random(in: 0...9, using: &random), date: nil)
                    }
                    if Int.random(in: 0..<25, using: &random) == 0 {
                        _ = try await service().discharge(.init(clientID: client, reason: "goals met", cancelBookings: true))
                    }
                }
                said[day] = try await clock.at(day, 23, 59).check(asOf: day).canonicalJSON
            }
            // Later, on the full database:
            let later = clock.at(first.adding(days: days + 3), 12)
            var flagged = 0
            for offset in 0..<days {
                let day = first.adding(days: offset)
                let again = try await later.check(asOf: day)
                flagged += again.flaggedClients
                #expect(again.canonicalJSON == said[day], "as of \(day) in \(zone)")
            }
            // Each client's chart, read later in one snapshot: the last sessions held are the
            // history's completed visits, newest first, and its check is the client's own check.
            for client in clients {
                for count in [3, PracticeService.chartSessions] {
                    let chart = try await later.clientChart(client, sessions: count).value
                    let held = try await later.listAppointments(.init(clientID: client)).filter { $0.status == .completed }
                    #expect(chart.sessions == Array(held.reversed().prefix(count)), "client \(client), last \(count)")
                    #expect(chart.check?.canonicalJSON == (try await later.check(clientID: client)).clients.first?.canonicalJSON)
                    #expect(chart.client.client.id == client)
                }
            }
            await #expect(throws: PracticeError.self) { try await later.clientChart(clients[0], sessions: 0) }
            // The history must have exercised the rules, or the comparison proves little.
            #expect(flagged > 0)
        }
    }
}

extension PracticeService {
    /// The instant this service's fixed clock reads.
    var nowForTests: Date {
        if case .fixed(let instant) = context.clock { return instant }
        return Date.distantFuture
    }
}
