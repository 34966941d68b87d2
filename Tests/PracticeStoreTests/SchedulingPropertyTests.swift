import Foundation
import PracticeCore
import PracticeService
import PracticeStore
import PracticeTestSupport
import Testing

private let logger = TestDatabase.logger

@Suite("Scheduling against a model", .timeLimit(.minutes(5)))
struct SchedulingPropertyTests {
    struct Visit: Equatable {
        var client: Int64
        var therapist: Int64
        var date: CalendarDate
        var start: Date
        var end: Date
        var cancelled: Bool
        var overridden: Bool
    }

    /// A few hundred random book / cancel / reschedule operations. The model predicts each
    /// outcome (clash, weekly limit, success); afterwards the database must hold exactly the
    /// model's appointments, with no overlap and no week over the limit without an override.
    @Test(arguments: [UInt64(7), 2026])
    func randomOperationsAgreeWithTheModel(seed: UInt64) async throws {
        try await TestDatabase.withFresh { database in
            let f = try await TestPractice.create(database)
            var clients: [Int64] = []
            for i in 0..<3 { clients.append(try await f.screenedClient("Client \(i)", in: database).id) }
            let therapists = [f.therapist.id, f.secondTherapist.id]
            let policy = f.practice.policy
            let monday = futureMonday()
            var rng = SeededRandom(state: seed)
            var model: [Int64: Visit] = [:]

            func randomSlot() throws -> (LocalDateTime, Int) {
                let day = monday.adding(days: Int.random(in: 0..<21, using: &rng))
                let when = try at(day, Int.random(in: 9...15, using: &rng), [0, 30][Int.random(in: 0...1, using: &rng)])
                return (when, [30, 60, 90][Int.random(in: 0...2, using: &rng)])
            }
            func interval(_ when: LocalDateTime, _ minutes: Int) -> (Date, Date) {
                let start = LocalTime.resolve(date: when.date, hour: when.time.hour, minute: when.time.minute,
                                              timeZone: f.practice.timeZone).instant
                return (start, start.addingTimeInterval(Double(minutes * 60)))
            }
            /// What the model expects: "ok", "conflict" or "limit".
            func predict(client: Int64, therapist: Int64, date: CalendarDate, start: Date, end: Date, override: Bool,
                         excluding: Int64?) -> String {
                let live = model.filter { !$0.value.cancelled && $0.key != excluding }.map(\.value)
                if live.contains(where: { ($0.client == client || $0.therapist == therapist) && $0.start < end && start < $0.end }) {
                    return "conflict"
                }
                let week = IsoWeek(containing: date)
                let inWeek = live.filter { $0.client == client && IsoWeek(containing: $0.date) == week }.count
                return inWeek + 1 > policy.maxVisitsPerWeek && !override ? "limit" : "ok"
            }
            func outcome(_ body: () async throws -> Void) async throws -> String {
                do {
                    try await body()
                    return "ok"
                } catch PracticeError.conflict {
                    return "conflict"
                } catch PracticeError.refused(let message) where message.contains("weekly limit") {
                    return "limit"
                }
            }

            for step in 0..<240 {
                let roll = Int.random(in: 0..<10, using: &rng)
                let liveIDs = model.filter { !$0.value.cancelled }.keys.sorted()
                if roll < 6 || liveIDs.isEmpty {
                    let client = clients.randomElement(using: &rng)!
                    let therapist = therapists.randomElement(using: &rng)!
                    let (when, minutes) = try randomSlot()
                    let (start, end) = interval(when, minutes)
                    let override = Int.random(in: 0..<5, using: &rng) == 0
                    let expected = predict(client: client, therapist: therapist, date: when.date, start: start, end: end,
                                           override: override, excluding: nil)
                    var booked: AppointmentView?
                    let actual = try await outcome {
                        booked = try await f.book(database, client: client, therapist: therapist, at: when, minutes: minutes,
                                                  override: override ? "step \(step)" : nil).appointments[0]
                    }
                    #expect(actual == expected, "step \(step): book")
                    if let booked {
                        let overWeek = predict(client: client, therapist: therapist, date: when.date, start: start, end: end,
                                               override: false, excluding: nil) == "limit"
                        model[booked.id] = Visit(client: client, therapist: therapist, date: when.date, start: start, end: end,
                                                 cancelled: false, overridden: overWeek)
                    }
                } else if roll < 8 {
                    let id = liveIDs.randomElement(using: &rng)!
                    let actual = try await outcome {
                        _ = try await database.transaction { try await Scheduling.cancel(id, following: false, practice: f.practice, on: $0, logger: logger) }
                    }
                    #expect(actual == "ok", "step \(step): cancel")
                    model[id]?.cancelled = true
                } else {
                    let id = liveIDs.randomElement(using: &rng)!
                    let visit = model[id]!
                    let (when, minutes) = try randomSlot()
                    let (start, end) = interval(when, minutes)
                    let override = Int.random(in: 0..<4, using: &rng) == 0
                    let expected = predict(client: visit.client, therapist: visit.therapist, date: when.date, start: start, end: end,
                                           override: override, excluding: id)
                    let actual = try await outcome {
                        _ = try await database.transaction {
                            try await Scheduling.reschedule(id, to: when, minutes: minutes, overrideReason: override ? "step \(step)" : nil,
                                                            past: false, practice: f.practice, on: $0, logger: logger)
                        }
                    }
                    #expect(actual == expected, "step \(step): reschedule")
                    if actual == "ok" {
                        let overWeek = predict(client: visit.client, therapist: visit.therapist, date: when.date, start: start,
                                               end: end, override: false, excluding: id) == "limit"
                        model[id] = Visit(client: visit.client, therapist: visit.therapist, date: when.date, start: start, end: end,
                                          cancelled: false, overridden: visit.overridden || overWeek)
                    }
                }
            }

            // The database holds exactly the model.
            let stored = try await f.appointments(database)
            #expect(Set(stored.map(\.id)) == Set(model.keys))
            for row in stored {
                let visit = try #require(model[row.id])
                #expect(row.clientID == visit.client && row.therapistID == visit.therapist)
                #expect(row.startsAt == visit.start && row.date == visit.date)
                #expect((row.status == .cancelled) == visit.cancelled)
                #expect((row.overrideReason != nil) == visit.overridden, "appointment \(row.id)")
            }
            // No overlaps among live visits, and no week over the limit without an override.
            let live = stored.filter { $0.status.isLive }
            for (i, a) in live.enumerated() {
                for b in live[(i + 1)...] where a.clientID == b.clientID || a.therapistID == b.therapistID {
                    let aEnd = a.startsAt.addingTimeInterval(Double(a.minutes * 60))
                    let bEnd = b.startsAt.addingTimeInterval(Double(b.minutes * 60))
                    #expect(!(a.startsAt < bEnd && b.startsAt < aEnd), "\(a.id) overlaps \(b.id)")
                }
            }
            let byWeek = Dictionary(grouping: live) { "\($0.clientID) \(IsoWeek(containing: $0.date))" }
            for (key, visits) in byWeek where visits.count > policy.maxVisitsPerWeek {
                #expect(visits.contains { $0.overrideReason != nil }, "\(key) has \(visits.count) visits and no override")
            }
            #expect(model.count > 40, "the run should have booked plenty")
        }
    }
}

@Suite("The frequency check", .timeLimit(.minutes(5)))
struct FrequencyCheckStoreTests {
    @Test func theDemoPracticeFlagsExactlyTheClientsTheRulesSay() async throws {
        try await TestDatabase.withFresh { database in
            _ = try await DemoPractice.seed(database)
            try await TestDatabase.scopeToFirstPractice(database)
            let reports = try await database.read { c in
                let practice = try await Practices.resolve(nil, on: c, logger: logger)
                let now = try await c.practiceNow(practice, logger: logger)
                return try await FrequencyCheckQuery.run(practice: practice, asOf: now.today, cutoff: now.instant, on: c, logger: logger)
            }
            #expect(reports.count == 22)
            func flagged(_ rule: EvidenceRule) -> Set<String> {
                Set(reports.filter { $0.flags.contains { $0.rule == rule } }.map(\.metrics.clientName))
            }
            #expect(flagged(.underDosed) == ["Erin Walsh", "Olivia Brown"])
            #expect(flagged(.overScheduled) == ["Ines Costa"])
            #expect(flagged(.sporadic) == ["Erin Walsh", "Olivia Brown"])
            #expect(flagged(.courseCap) == ["Farid Haddad", "Uma Patel"])
            #expect(flagged(.noImprovement) == ["David Kim", "Maria Rossi"])
            #expect(flagged(.monthlyTarget) == ["Erin Walsh", "Olivia Brown", "Maria Rossi"])
            #expect(flagged(.redFlags) == ["Hugo Schmidt"])
            #expect(flagged(.acutePain) == ["Grace Liu", "Liam O'Connor", "Quinn Murphy"])
            #expect(flagged(.pressure) == ["David Kim", "Maria Rossi"])
            let maria = try #require(reports.first { $0.metrics.clientName == "Maria Rossi" })
            #expect(maria.flags.first { $0.rule == .noImprovement }?.severity == .firm)
            #expect(maria.metrics.sessionsInCourse == 9 && maria.metrics.baselinePain == 6 && maria.metrics.latestPain == 6)
            let farid = try #require(reports.first { $0.metrics.clientName == "Farid Haddad" })
            #expect(farid.metrics.sessionsInCourse == 11 && farid.metrics.longestGapDays == 4)
        }
    }

    @Test func policyNumbersComeFromThePractice() async throws {
        try await TestDatabase.withFresh { database in
            _ = try await DemoPractice.seed(database)
            try await TestDatabase.scopeToFirstPractice(database)
            let reports = try await database.read { c in
                _ = try await c.query("UPDATE practices SET max_visits_per_week = 4, course_cap_sessions = 12", logger: logger)
                let practice = try await Practices.resolve(nil, on: c, logger: logger)
                let now = try await c.practiceNow(practice, logger: logger)
                return try await FrequencyCheckQuery.run(practice: practice, asOf: now.today, cutoff: now.instant, on: c, logger: logger)
            }
            #expect(!reports.contains { $0.flags.contains { $0.rule == .overScheduled || $0.rule == .courseCap } })
        }
    }
}
