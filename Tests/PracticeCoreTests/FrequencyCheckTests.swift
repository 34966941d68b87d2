import Testing
@testable import PracticeCore

@Suite("Frequency check rules at their boundaries", .timeLimit(.minutes(5)))
struct FrequencyCheckTests {
    static let asOf = try! CalendarDate(parsing: "2026-11-25")  // a Wednesday, in 2026-W48

    /// A client three weeks into a course, with weekly counts `weeks` (oldest first, current last).
    func metrics(weeks: [Int] = [2, 2, 2, 1], sessions: Int = 7, courseStartDaysAgo: Int = 20, longestGap: Int? = 4,
                 lastVisitDaysAgo: Int = 2, baseline: Int? = 7, latest: Int? = 4, best: Int? = 4, future: Bool = true,
                 nextInDays: Int? = 3, unrecorded: [Int64] = [],
                 screening: ScreeningStatus = .clear, onsetDaysAgo: Int = 400, sharp: Bool = false) -> FrequencyMetrics {
        let current = IsoWeek(containing: Self.asOf)
        return FrequencyMetrics(
            clientID: 1, clientName: "Ana Ruiz", asOf: Self.asOf, painOnset: Self.asOf.adding(days: -onsetDaysAgo),
            weeks: weeks.enumerated().map { .init(week: current.adding(weeks: $0.offset - (weeks.count - 1)), visits: $0.element) },
            courseStart: Self.asOf.adding(days: -courseStartDaysAgo), lastVisit: Self.asOf.adding(days: -lastVisitDaysAgo),
            sessionsInCourse: sessions, longestGapDays: longestGap, baselinePain: baseline, latestPain: latest,
            bestPainInFirstMonth: best, hasFutureBooking: future,
            nextVisit: future ? nextInDays.map { Self.asOf.adding(days: $0) } : nil, unrecordedVisits: unrecorded, screening: screening,
            redFlags: screening == .needsClearance ? ["history of cancer or recent major trauma"] : [],
            nightPainOrLegNumbness: sharp)
    }

    func rules(_ m: FrequencyMetrics, _ policy: EvidencePolicy = .cochrane2015) -> [EvidenceRule] {
        FrequencyCheck.flags(for: m, policy: policy).map(\.rule)
    }

    @Test func aClientOnCourseRaisesNothing() {
        #expect(rules(metrics()).isEmpty)
    }

    @Test("under-dosed: under 1 visit a week over full weeks",
          arguments: [([1, 1, 1, 0], false), ([1, 0, 1, 0], true), ([0, 0, 0, 5], true), ([2, 0, 1, 0], false)])
    func underDosed(weeks: [Int], flagged: Bool) {
        // The current (last) week never counts: it may still fill.
        #expect(rules(metrics(weeks: weeks, courseStartDaysAgo: 30)).contains(.underDosed) == flagged)
    }

    @Test func weeksBeforeTheCourseDoNotCount() {
        // A course that began last week: only that full week is judged.
        #expect(!rules(metrics(weeks: [0, 0, 1, 1], sessions: 2, courseStartDaysAgo: 7)).contains(.underDosed))
    }

    @Test("over-scheduled: over 2 visits in any week", arguments: [([2, 2, 2, 2], false), ([2, 3, 2, 0], true), ([1, 1, 1, 3], true)])
    func overScheduled(weeks: [Int], flagged: Bool) {
        #expect(rules(metrics(weeks: weeks)).contains(.overScheduled) == flagged)
    }

    @Test("sporadic: a gap over 14 days", arguments: [(14, false), (15, true)])
    func sporadic(gap: Int, flagged: Bool) {
        #expect(rules(metrics(longestGap: gap)).contains(.sporadic) == flagged)
        // The open gap since the last visit counts only when nothing is booked.
        #expect(rules(metrics(longestGap: 3, lastVisitDaysAgo: gap, future: false)).contains(.sporadic) == flagged)
        // A gap runs until the next visit: booked the day after, it is already as long as it will be.
        #expect(rules(metrics(longestGap: 3, lastVisitDaysAgo: gap - 1, nextInDays: 1)).contains(.sporadic) == flagged)
    }

    @Test("a booking 21 days after the last session is sporadic today, not after the fact")
    func gapToTheNextBooking() throws {
        let flags = FrequencyCheck.flags(for: metrics(longestGap: 3, lastVisitDaysAgo: 20, nextInDays: 1), policy: .cochrane2015)
        let sporadic = try #require(flags.first { $0.rule == .sporadic })
        #expect(sporadic.message.contains("21 days after the last session"))
        // Booked soon enough, the same last session is no gap at all.
        #expect(!rules(metrics(longestGap: 3, lastVisitDaysAgo: 10, nextInDays: 4)).contains(.sporadic))
    }

    @Test("past visits still booked or checked in raise unrecorded-visit", arguments: [[], [41], [41, 42]] as [[Int64]])
    func unrecordedVisit(ids: [Int64]) {
        let flags = FrequencyCheck.flags(for: metrics(unrecorded: ids), policy: .cochrane2015)
        #expect(flags.contains { $0.rule == .unrecordedVisit } == !ids.isEmpty)
        if let id = ids.first { #expect(flags.first { $0.rule == .unrecordedVisit }?.message.contains("appointment \(id)") == true) }
    }

    @Test("a baseline of 0/10 has no room to improve", arguments: [0, 1])
    func baselineZero(baseline: Int) {
        let m = metrics(sessions: 8, courseStartDaysAgo: 40, baseline: baseline, latest: baseline, best: baseline)
        let found = rules(m)
        #expect(found.contains(.noImprovement) == (baseline > 0))
        #expect(found.contains(.monthlyTarget) == (baseline > 0))
    }

    @Test("course cap from 10 sessions", arguments: [(9, false), (10, true), (14, true)])
    func courseCap(sessions: Int, flagged: Bool) {
        #expect(rules(metrics(sessions: sessions)).contains(.courseCap) == flagged)
    }

    @Test("no improvement after 6, firmly at 8",
          arguments: [(5, 7, 7, nil), (6, 7, 7, CheckFlag.Severity.warning), (7, 6, 7, .warning), (8, 7, 7, .firm),
                      (8, 7, 6, nil), (6, 7, 5, nil)] as [(Int, Int, Int, CheckFlag.Severity?)])
    func noImprovement(sessions: Int, baseline: Int, latest: Int, severity: CheckFlag.Severity?) {
        let flag = FrequencyCheck.flags(for: metrics(sessions: sessions, baseline: baseline, latest: latest), policy: .cochrane2015)
            .first { $0.rule == .noImprovement }
        #expect(flag?.severity == severity)
    }

    @Test("under 30 % within a month: supervised exercise therapy",
          arguments: [(29, 10, 5, false), (30, 10, 8, true), (30, 10, 7, false), (45, 6, 6, true), (45, 0, 0, false)])
    func monthlyTarget(startDaysAgo: Int, baseline: Int, best: Int, flagged: Bool) {
        let m = metrics(courseStartDaysAgo: startDaysAgo, baseline: baseline, latest: best, best: best)
        #expect(rules(m).contains(.monthlyTarget) == flagged)
    }

    @Test func redFlagAndAcute() {
        #expect(rules(metrics(screening: .needsClearance)).contains(.redFlags))
        #expect(!rules(metrics(screening: .cleared)).contains(.redFlags))
        #expect(rules(metrics(onsetDaysAgo: 41)).contains(.acutePain))
        #expect(!rules(metrics(onsetDaysAgo: 42)).contains(.acutePain))
        let sharp = FrequencyCheck.flags(for: metrics(onsetDaysAgo: 10, sharp: true), policy: .cochrane2015)
        #expect(sharp.first { $0.rule == .acutePain }?.severity == .firm)
    }

    @Test func theNumbersComeFromThePolicy() {
        var policy = EvidencePolicy()
        policy.maxVisitsPerWeek = 3
        policy.sporadicGapDays = 21
        policy.courseCapSessions = 12
        #expect(rules(metrics(weeks: [3, 3, 3, 0], sessions: 11, longestGap: 20), policy).isEmpty)
        #expect(rules(metrics(weeks: [3, 3, 3, 0], sessions: 11, longestGap: 20)).sorted { $0.rawValue < $1.rawValue }
                == [.courseCap, .overScheduled, .sporadic])
    }

    @Test func flagsCarryTheirNumbers() {
        let flags = FrequencyCheck.flags(for: metrics(weeks: [2, 4, 2, 0], longestGap: 19), policy: .cochrane2015)
        #expect(flags.first { $0.rule == .overScheduled }?.message.contains("4 visits in 2026-W46") == true)
        #expect(flags.first { $0.rule == .sporadic }?.message.contains("19-day gap") == true)
    }
}

@Suite("Scheduling values", .timeLimit(.minutes(5)))
struct SchedulingValueTests {
    @Test("ISO weeks", arguments: [("2026-11-30", "2026-W49"), ("2027-01-01", "2026-W53"), ("2026-12-28", "2026-W53"),
                                   ("2021-01-03", "2020-W53"), ("2021-01-04", "2021-W01"), ("2026-11-25", "2026-W48")])
    func isoWeek(date: String, week: String) throws {
        let d = try CalendarDate(parsing: date)
        #expect(IsoWeek(containing: d).description == week)
        #expect(try IsoWeek(parsing: week).days.contains(d))
    }

    @Test func isoWeekParsing() throws {
        #expect(try IsoWeek(parsing: "2026-W49").monday.description == "2026-11-30")
        #expect(throws: PracticeError.self) { try IsoWeek(parsing: "2025-W53") }
        #expect(throws: PracticeError.self) { try IsoWeek(parsing: "week 49") }
    }

    @Test func weekdays() throws {
        #expect(try Weekday.parseList("tue,fri", field: "--weekly") == [2, 5])
        #expect(try Weekday.parseList("mon-fri", field: "--weekly") == [1, 2, 3, 4, 5])
        #expect(try Weekday.parseList("Tuesday,sat", field: "--weekly") == [2, 6])
        #expect(throws: PracticeError.self) { try Weekday.parseList("tue,funday", field: "--weekly") }
        #expect(throws: PracticeError.self) { try Weekday.parseList("fri-mon", field: "--weekly") }
    }

    @Test func dateTimes() throws {
        let value = try LocalDateTime(parsing: "2026-12-01 09:30")
        #expect(value.date.description == "2026-12-01" && value.time.description == "09:30")
        #expect(throws: PracticeError.self) { try LocalDateTime(parsing: "2026-12-01") }
        #expect(throws: PracticeError.self) { try LocalDateTime(parsing: "2026-12-01 25:00") }
        #expect(throws: PracticeError.self) { try LocalDateTime(parsing: "2026-02-30 10:00") }
    }

    @Test func workingHoursAndFreeStarts() throws {
        let hours = try WorkingHours.parse("mon-wed 09:00-12:00")
        #expect(hours.map(\.weekday) == [1, 2, 3])
        #expect(throws: PracticeError.self) { try WorkingHours.parse("mon 12:00-09:00") }
        // 10:00–11:00 is taken: 60-minute visits fit at 09:00 and 11:00 only.
        let starts = hours[0].freeStarts(minutes: 60, step: 30, busy: [600..<660])
        #expect(starts.map(\.description) == ["09:00", "11:00"])
    }

    @Test func weeklyLimitCounting() throws {
        let w = try IsoWeek(parsing: "2026-W49")
        let over = BookingRules.weeksOverLimit(existing: [w: 1], adding: [w, w, w.adding(weeks: 1)], policy: .cochrane2015)
        #expect(over.count == 1 && over[0].week == w && over[0].visits == 3)
        #expect(BookingRules.weeksOverLimit(existing: [w: 1], adding: [w], policy: .cochrane2015).isEmpty)
        #expect(BookingRules.lengthWarning(minutes: 30, policy: .cochrane2015) == nil)
        #expect(BookingRules.lengthWarning(minutes: 29, policy: .cochrane2015) != nil)
        #expect(BookingRules.lengthWarning(minutes: 61, policy: .cochrane2015) != nil)
    }

    @Test func stateMachine() {
        #expect(AppointmentStatus.booked.canMove(to: .checkedIn))
        #expect(AppointmentStatus.checkedIn.canMove(to: .completed))
        #expect(!AppointmentStatus.cancelled.canMove(to: .completed))
        #expect(!AppointmentStatus.completed.canMove(to: .cancelled))
        #expect(!AppointmentStatus.noShow.canMove(to: .booked))
        #expect(!AppointmentStatus.checkedIn.canMove(to: .noShow))
    }
}
