import Foundation
import Logging
import PostgresNIO
import PracticeCore

/// An appointment as the front desk sees it: local times in the practice's zone, and names.
public struct AppointmentView: Sendable, Codable, Equatable, Identifiable {
    public var id: Int64
    public var clientID: Int64
    public var clientName: String
    public var therapistID: Int64
    public var therapistName: String
    public var seriesID: Int64?
    public var date: CalendarDate
    public var start: TimeOfDay
    public var end: TimeOfDay
    public var minutes: Int
    public var startsAt: Date
    public var status: AppointmentStatus
    public var overrideReason: String?
    public var unscreenedReason: String?
    /// When the visit was entered: a visit entered after it started was entered after the fact.
    public var createdAt: Date
}

public struct BookingRequest: Sendable {
    public var clientID: Int64
    public var therapistID: Int64
    public var at: LocalDateTime
    public var minutes: Int
    /// Weekdays and an end, for a weekly series; nil for one visit.
    public var weekly: (weekdays: Set<Int>, end: WeeklyRecurrence.End)?
    public var skipConflicts: Bool
    public var overrideReason: String?
    public var unscreenedReason: String?
    public var past: Bool

    public init(clientID: Int64, therapistID: Int64, at: LocalDateTime, minutes: Int,
                weekly: (weekdays: Set<Int>, end: WeeklyRecurrence.End)? = nil, skipConflicts: Bool = false,
                overrideReason: String? = nil, unscreenedReason: String? = nil, past: Bool = false) {
        self.clientID = clientID
        self.therapistID = therapistID
        self.at = at
        self.minutes = minutes
        self.weekly = weekly
        self.skipConflicts = skipConflicts
        self.overrideReason = overrideReason
        self.unscreenedReason = unscreenedReason
        self.past = past
    }
}

public struct BookingResult: Sendable, Codable {
    public struct Skipped: Sendable, Codable, Equatable {
        public var date: CalendarDate
        public var start: TimeOfDay
        public var clashesWith: Int64
        public var reason: String
    }

    public var seriesID: Int64?
    public var appointments: [AppointmentView]
    public var skipped: [Skipped]
    public var warnings: [Warning]
}

/// Booking, rescheduling and the life of an appointment. Every rule is checked here first so a
/// person gets a clear message; PostgreSQL's exclusion constraints and state-machine trigger
/// stand behind them for races.
public enum Scheduling {
    struct Slot {
        var date: CalendarDate
        var start: Date
        var end: Date
        var adjustment: LocalTime.Adjustment
    }

    struct Clash {
        var index: Int
        var appointmentID: Int64
        var sameClient: Bool
        var sameTherapist: Bool
        var local: String
    }

    public static func book(_ request: BookingRequest, practice: Practice, now: PracticeNow? = nil,
                            on connection: PostgresConnection, logger: Logger) async throws -> BookingResult {
        let now = try await connection.practiceNow(now, practice, logger: logger)
        try BookingRules.validateMinutes(request.minutes)
        for (field, reason) in [("--override", request.overrideReason), ("--unscreened", request.unscreenedReason)] {
            if let reason, reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                throw PracticeError.invalid(field: field, reason: "give the reason in words")
            }
        }
        try await lockClient(request.clientID, practiceID: practice.id, on: connection, logger: logger)
        _ = try await StaffRepository.therapist(request.therapistID, field: "--therapist", practiceID: practice.id,
                                                on: connection, logger: logger)
        var warnings = try await gate(clientID: request.clientID, unscreenedReason: request.unscreenedReason,
                                      practice: practice, now: now, on: connection, logger: logger)
        if let warning = BookingRules.lengthWarning(minutes: request.minutes, policy: practice.policy) {
            warnings.append(warning)
        }

        try BookingRules.checkWindow(request.at.date, today: now.today)
        if case .until(let until) = request.weekly?.end { try BookingRules.checkWindow(until, today: now.today, field: "--until") }
        var rule: WeeklyRecurrence?
        var slots: [Slot]
        if let weekly = request.weekly {
            let recurrence = try WeeklyRecurrence(weekdays: weekly.weekdays, hour: request.at.time.hour,
                                                  minute: request.at.time.minute, timeZone: practice.timeZone,
                                                  startsOn: request.at.date, end: weekly.end)
            rule = recurrence
            slots = recurrence.occurrences().map {
                Slot(date: $0.date, start: $0.start, end: $0.start.addingTimeInterval(Double(request.minutes * 60)),
                     adjustment: $0.adjustment)
            }
            guard !slots.isEmpty else {
                throw PracticeError.invalid(field: "--weekly", reason: "no such weekday between \(request.at.date) and the end of the series")
            }
        } else {
            let resolved = LocalTime.resolve(date: request.at.date, hour: request.at.time.hour, minute: request.at.time.minute,
                                             timeZone: practice.timeZone)
            slots = [Slot(date: request.at.date, start: resolved.instant,
                          end: resolved.instant.addingTimeInterval(Double(request.minutes * 60)), adjustment: resolved.adjustment)]
        }
        warnings += dstWarnings(slots, time: request.at.time)

        if !request.past, let first = slots.first, first.start < now.instant {
            throw PracticeError.refused("\(request.at) is in the past; enter a visit that already happened with --past")
        }

        let clashes = try await findClashes(slots, clientID: request.clientID, therapistID: request.therapistID,
                                            excluding: nil, practice: practice, on: connection, logger: logger)
        var skipped: [BookingResult.Skipped] = []
        if !clashes.isEmpty {
            guard request.skipConflicts, rule != nil else {
                let clash = clashes[0]
                let more = clashes.count > 1 ? " (and \(clashes.count - 1) more clash(es); --skip-conflicts leaves them out)" : ""
                throw PracticeError.conflict("\(slots[clash.index].date) \(request.at.time): \(describe(clash))\(more); nothing was booked")
            }
            let clashing = Set(clashes.map(\.index))
            for clash in clashes where skipped.last?.date != slots[clash.index].date {
                skipped.append(.init(date: slots[clash.index].date, start: request.at.time, clashesWith: clash.appointmentID,
                                     reason: describe(clash)))
            }
            slots = slots.enumerated().filter { !clashing.contains($0.offset) }.map(\.element)
            guard !slots.isEmpty else { throw PracticeError.conflict("every date of the series clashes; nothing was booked") }
        }

        let overWeeks = try await weeksOverLimit(slots.map(\.date), clientID: request.clientID, excluding: nil,
                                                 practice: practice, on: connection, logger: logger)
        if !overWeeks.isEmpty {
            let list = overWeeks.map { "\($0.visits) visits in \($0.week)" }.joined(separator: ", ")
            guard let reason = request.overrideReason else {
                throw PracticeError.refused("weekly limit: \(list), over the policy's \(practice.policy.maxVisitsPerWeek) a week [rule over-scheduled]; give --override \"reason\" to book anyway")
            }
            warnings.append(Warning(.weeklyOverride, rule: .overScheduled, "booked over the weekly limit (\(list)) with override: \(reason)"))
        }
        let overSet = Set(overWeeks.map(\.week))
        // Arrays bind without NULLs, so "no reason" travels as '' and lands as NULL.
        let reasons: [String] = slots.map { overSet.contains(IsoWeek(containing: $0.date)) ? request.overrideReason ?? "" : "" }

        var seriesID: Int64?
        if let rule {
            let (count, until): (Int?, String?) = switch rule.end {
            case .count(let n): (n, nil)
            case .until(let date): (nil, date.description)
            }
            seriesID = try await connection.insertReturningID("""
                INSERT INTO appointment_series (practice_id, client_id, therapist_id, weekdays, local_time, minutes, time_zone,
                                                starts_on, until_date, occurrence_count, skipped_dates, created_at)
                VALUES (\(practice.id), \(request.clientID), \(request.therapistID), \(rule.weekdays.sorted().map { Int16($0) }),
                        \(request.at.time.description)::time, \(request.minutes), \(practice.timeZone),
                        \(rule.startsOn.description)::date, \(until)::date, \(count), \(skipped.map(\.date.description))::date[],
                        \(now.instant))
                RETURNING id
                """, logger: logger)
        }
        let ids = try await namingRaceWinners(slots, clientID: request.clientID, therapistID: request.therapistID, excluding: nil,
                                              practice: practice, on: connection, logger: logger) {
            var ids: [Int64] = []
            let rows = try await connection.query("""
                INSERT INTO appointments (practice_id, client_id, therapist_id, series_id, starts_at, ends_at, override_reason,
                                          unscreened_reason, created_at)
                SELECT \(practice.id), \(request.clientID), \(request.therapistID), \(seriesID), s, e, nullif(r, ''),
                       \(request.unscreenedReason), \(now.instant)
                FROM unnest(\(slots.map(\.start))::timestamptz[], \(slots.map(\.end))::timestamptz[], \(reasons)::text[]) AS u(s, e, r)
                ORDER BY s
                RETURNING id
                """, logger: logger)
            for try await id in rows.decode(Int64.self) { ids.append(id) }
            return ids
        }
        warnings += try await Prescriptions.warnings(clientID: request.clientID, dates: slots.map(\.date), countBooked: true,
                                                     practice: practice, on: connection, logger: logger)
        let booked = try await list(AppointmentFilter(ids: ids), practice: practice, on: connection, logger: logger)
        return BookingResult(seriesID: seriesID, appointments: booked, skipped: skipped, warnings: warnings)
    }

    /// Moves a booked visit, under every rule a new booking obeys.
    public static func reschedule(_ id: Int64, to at: LocalDateTime, minutes: Int?, overrideReason: String?, past: Bool,
                                  practice: Practice, now: PracticeNow? = nil, on connection: PostgresConnection,
                                  logger: Logger) async throws -> (AppointmentView, [Warning]) {
        let now = try await connection.practiceNow(now, practice, logger: logger)
        let current = try await get(id, practice: practice, on: connection, logger: logger)
        try await lockClient(current.clientID, practiceID: practice.id, on: connection, logger: logger)
        guard current.status == .booked else {
            throw PracticeError.refused("appointment \(id) is \(current.status.cliName); only a booked visit can be rescheduled")
        }
        let minutes = minutes ?? current.minutes
        try BookingRules.validateMinutes(minutes)
        var warnings = try await gate(clientID: current.clientID, unscreenedReason: current.unscreenedReason,
                                      practice: practice, now: now, on: connection, logger: logger)
        if let warning = BookingRules.lengthWarning(minutes: minutes, policy: practice.policy) { warnings.append(warning) }
        try BookingRules.checkWindow(at.date, today: now.today)
        let resolved = LocalTime.resolve(date: at.date, hour: at.time.hour, minute: at.time.minute, timeZone: practice.timeZone)
        let slot = Slot(date: at.date, start: resolved.instant, end: resolved.instant.addingTimeInterval(Double(minutes * 60)),
                        adjustment: resolved.adjustment)
        warnings += dstWarnings([slot], time: at.time)
        if !past, slot.start < now.instant {
            throw PracticeError.refused("\(at) is in the past; move a visit into the past only with --past")
        }
        if let clash = try await findClashes([slot], clientID: current.clientID, therapistID: current.therapistID, excluding: id,
                                             practice: practice, on: connection, logger: logger).first {
            throw PracticeError.conflict("\(at): \(describe(clash)); appointment \(id) was not moved")
        }
        let over = try await weeksOverLimit([at.date], clientID: current.clientID, excluding: id, practice: practice,
                                            on: connection, logger: logger)
        var reason = current.overrideReason
        if let week = over.first {
            guard let overrideReason else {
                throw PracticeError.refused("weekly limit: \(week.visits) visits in \(week.week), over the policy's \(practice.policy.maxVisitsPerWeek) a week [rule over-scheduled]; give --override \"reason\" to move it anyway")
            }
            reason = overrideReason
            warnings.append(Warning(.weeklyOverride, rule: .overScheduled, "moved over the weekly limit with override: \(overrideReason)"))
        }
        try await namingRaceWinners([slot], clientID: current.clientID, therapistID: current.therapistID, excluding: id,
                                    practice: practice, on: connection, logger: logger) {
            // Where it was is kept, so the check on an earlier day still sees it there.
            try await connection.query("""
                WITH old AS (
                    SELECT practice_id, id, starts_at, ends_at FROM appointments WHERE practice_id = \(practice.id) AND id = \(id)
                ), moved AS (
                    INSERT INTO appointment_moves (practice_id, appointment_id, old_starts_at, old_ends_at, moved_at)
                    SELECT practice_id, id, starts_at, ends_at, \(now.instant) FROM old
                )
                UPDATE appointments SET starts_at = \(slot.start), ends_at = \(slot.end), override_reason = \(reason)
                WHERE practice_id = \(practice.id) AND id = \(id)
                """, logger: logger)
        }
        return (try await get(id, practice: practice, on: connection, logger: logger), warnings)
    }

    /// Cancels one visit, or (with `following`) it and every later booked visit of its series.
    public static func cancel(_ id: Int64, following: Bool, practice: Practice, now: PracticeNow? = nil,
                              on connection: PostgresConnection, logger: Logger) async throws -> [AppointmentView] {
        let now = try await connection.practiceNow(now, practice, logger: logger)
        let current = try await get(id, practice: practice, lock: true, on: connection, logger: logger)
        guard current.status.canMove(to: .cancelled) else { throw current.status.refusal(to: .cancelled, id: id) }
        if following && current.seriesID == nil {
            throw PracticeError.invalid(field: "--following", reason: "appointment \(id) is not part of a series")
        }
        var ids: [Int64] = []
        let rows = try await connection.query("""
            UPDATE appointments SET status = \(AppointmentStatus.cancelled.rawValue), cancelled_at = \(now.instant)
            WHERE practice_id = \(practice.id)
              AND (id = \(id) OR (\(following) AND series_id = \(current.seriesID) AND starts_at > \(current.startsAt)
                        AND status = \(AppointmentStatus.booked.rawValue)))
            RETURNING id
            """, logger: logger)
        for try await cancelled in rows.decode(Int64.self) { ids.append(cancelled) }
        return try await list(AppointmentFilter(ids: ids), practice: practice, on: connection, logger: logger)
    }

    /// check-in, no-show and complete: moves along the state machine, with the time rules.
    /// What a completion records besides the minutes. It goes in with the status change, in one
    /// UPDATE: once a visit is completed the database lets none of it change.
    public struct ClinicalFields: Sendable {
        public var techniques: [String]
        public var soreness: String
        public var cptCode: String?
        public var units: Int?
        public var fee: String?

        public init(techniques: [String], soreness: String, cptCode: String?, units: Int?, fee: String?) {
            (self.techniques, self.soreness, self.cptCode, self.units, self.fee) = (techniques, soreness, cptCode, units, fee)
        }
    }

    public static func move(_ id: Int64, to next: AppointmentStatus, minutesTreated: Int? = nil, clinical: ClinicalFields? = nil,
                            practice: Practice, now: PracticeNow? = nil, on connection: PostgresConnection,
                            logger: Logger) async throws -> AppointmentView {
        let clock = try await connection.practiceNow(now, practice, logger: logger)
        // The row lock makes simultaneous status changes of one visit take turns.
        let current = try await get(id, practice: practice, lock: true, on: connection, logger: logger)
        guard current.status.canMove(to: next) else { throw current.status.refusal(to: next, id: id) }
        let now = clock.instant
        let today = clock.today
        switch next {
        case .checkedIn where current.date > today:
            throw PracticeError.refused("appointment \(id) is on \(current.date); a client checks in on the day")
        case .completed where current.startsAt > now:
            throw PracticeError.refused("appointment \(id) starts \(current.date) \(current.start); it cannot be completed before it starts")
        case .noShow where current.startsAt > now:
            throw PracticeError.refused("appointment \(id) starts \(current.date) \(current.start); it cannot be a no-show yet")
        default:
            break
        }
        let minutes = next == .completed ? (minutesTreated ?? current.minutes) : nil
        // A visit entered after the fact (booked once it had begun) is stamped at its own
        // time; otherwise a status change is stamped when it is recorded.
        let completedAt = current.createdAt >= current.startsAt ? current.startsAt.addingTimeInterval(Double(current.minutes * 60))
            : max(now, current.startsAt)
        try await connection.query("""
            UPDATE appointments
            SET status = \(next.rawValue),
                minutes_treated = coalesce(\(minutes), minutes_treated),
                completed_at = CASE WHEN \(next == .completed) THEN \(completedAt) ELSE completed_at END,
                completion_recorded_at = CASE WHEN \(next == .completed) THEN \(now) ELSE completion_recorded_at END,
                checked_in_at = CASE WHEN \(next == .checkedIn) THEN \(now) ELSE checked_in_at END,
                no_show_at = CASE WHEN \(next == .noShow) THEN \(now) ELSE no_show_at END,
                techniques = coalesce(\(clinical?.techniques), techniques),
                soreness = coalesce(\(clinical?.soreness), soreness),
                cpt_code = CASE WHEN \(clinical != nil) THEN \(clinical?.cptCode) ELSE cpt_code END,
                billable_units = CASE WHEN \(clinical != nil) THEN \(clinical?.units) ELSE billable_units END,
                fee = CASE WHEN \(clinical != nil) THEN \(clinical?.fee)::numeric ELSE fee END
            WHERE practice_id = \(practice.id) AND id = \(id)
            """, logger: logger)
        return try await get(id, practice: practice, on: connection, logger: logger)
    }

    // MARK: Reading

    public struct AppointmentFilter: Sendable {
        public var ids: [Int64]?
        public var clientID: Int64?
        public var therapistID: Int64?
        public var from: CalendarDate?
        public var to: CalendarDate?
        public var includeCancelled: Bool
        /// Only appointments in this status.
        public var status: AppointmentStatus?
        /// Only the last this many by time, newest first (by the client and time index, however
        /// long the history); nil: all of them, oldest first.
        public var last: Int?
        /// Lock the rows read (`FOR UPDATE OF a`), for a change that follows.
        public var lock = false

        public init(ids: [Int64]? = nil, clientID: Int64? = nil, therapistID: Int64? = nil, from: CalendarDate? = nil,
                    to: CalendarDate? = nil, includeCancelled: Bool = true) {
            self.ids = ids
            self.clientID = clientID
            self.therapistID = therapistID
            self.from = from
            self.to = to
            self.includeCancelled = includeCancelled
        }
    }

    public static func list(_ filter: AppointmentFilter, practice: Practice, on connection: PostgresConnection,
                            logger: Logger) async throws -> [AppointmentView] {
        let zone = practice.timeZone
        let rows = try await connection.query("""
            SELECT a.id, a.client_id, c.name, a.therapist_id, s.name, a.series_id,
                   to_char(a.starts_at AT TIME ZONE \(zone), 'YYYY-MM-DD'), to_char(a.starts_at AT TIME ZONE \(zone), 'HH24:MI'),
                   to_char(a.ends_at AT TIME ZONE \(zone), 'HH24:MI'),
                   (extract(epoch FROM a.ends_at - a.starts_at) / 60)::int, a.starts_at, a.status, a.override_reason,
                   a.unscreened_reason, a.created_at
            FROM appointments a
            JOIN clients c ON c.practice_id = a.practice_id AND c.id = a.client_id
            JOIN staff s ON s.practice_id = a.practice_id AND s.id = a.therapist_id
            WHERE a.practice_id = \(practice.id)
              AND (\(filter.ids)::bigint[] IS NULL OR a.id = ANY(\(filter.ids)::bigint[]))
              AND (\(filter.clientID)::bigint IS NULL OR a.client_id = \(filter.clientID))
              AND (\(filter.therapistID)::bigint IS NULL OR a.therapist_id = \(filter.therapistID))
              AND (\(filter.from?.description)::date IS NULL OR a.starts_at >= (\(filter.from?.description)::date)::timestamp AT TIME ZONE \(zone))
              AND (\(filter.to?.description)::date IS NULL OR a.starts_at < (\(filter.to?.description)::date + 1)::timestamp AT TIME ZONE \(zone))
              AND (\(filter.includeCancelled) OR a.status <> \(AppointmentStatus.cancelled.rawValue))
              AND (\(filter.status?.rawValue)::text IS NULL OR a.status = \(filter.status?.rawValue))
            ORDER BY \(unescaped: filter.last == nil ? "a.starts_at, a.id" : "a.starts_at DESC, a.id DESC")
            LIMIT \(filter.last.map(Int64.init))
            \(unescaped: filter.lock ? "FOR UPDATE OF a" : "")
            """, logger: logger)
        var result: [AppointmentView] = []
        for try await (id, client, clientName, therapist, therapistName, series, date, start, end, minutes, startsAt, status,
                       override, unscreened, createdAt)
            in rows.decode((Int64, Int64, String, Int64, String, Int64?, String, String, String, Int, Date, String, String?,
                            String?, Date).self) {
            guard let status = AppointmentStatus(rawValue: status) else {
                throw PracticeError.database("appointment \(id) has a status this version does not know: '\(status)'")
            }
            result.append(AppointmentView(
                id: id, clientID: client, clientName: clientName, therapistID: therapist, therapistName: therapistName,
                seriesID: series, date: try CalendarDate(parsing: date), start: try TimeOfDay(parsing: start, field: "start"),
                end: try TimeOfDay(parsing: end, field: "end"), minutes: minutes, startsAt: startsAt,
                status: status, overrideReason: override, unscreenedReason: unscreened, createdAt: createdAt))
        }
        return result
    }

    public static func get(_ id: Int64, practice: Practice, lock: Bool = false, on connection: PostgresConnection,
                           logger: Logger) async throws -> AppointmentView {
        var filter = AppointmentFilter(ids: [id])
        filter.lock = lock
        guard let found = try await list(filter, practice: practice, on: connection, logger: logger).first else {
            throw PracticeError.notFound(entity: "appointment", id: String(id))
        }
        return found
    }

    // MARK: Working hours and free slots

    public static func setWorkingHours(_ hours: [WorkingHours], therapistID: Int64, practice: Practice,
                                       on connection: PostgresConnection, logger: Logger) async throws {
        _ = try await StaffRepository.therapist(therapistID, field: "STAFF", practiceID: practice.id, on: connection, logger: logger)
        try await connection.query("DELETE FROM working_hours WHERE practice_id = \(practice.id) AND therapist_id = \(therapistID)",
                                   logger: logger)
        try await connection.query("""
            INSERT INTO working_hours (practice_id, therapist_id, weekday, starts, ends)
            SELECT \(practice.id), \(therapistID), d, s::time, e::time
            FROM unnest(\(hours.map { Int16($0.weekday) })::smallint[], \(hours.map(\.starts.description))::text[],
                        \(hours.map(\.ends.description))::text[]) AS u(d, s, e)
            """, logger: logger)
    }

    public static func workingHours(therapistID: Int64, practice: Practice, on connection: PostgresConnection,
                                    logger: Logger) async throws -> [WorkingHours] {
        var result: [WorkingHours] = []
        let rows = try await connection.query("""
            SELECT weekday::int, to_char(starts, 'HH24:MI'), to_char(ends, 'HH24:MI') FROM working_hours
            WHERE practice_id = \(practice.id) AND therapist_id = \(therapistID) ORDER BY weekday, starts
            """, logger: logger)
        for try await (day, starts, ends) in rows.decode((Int, String, String).self) {
            result.append(WorkingHours(weekday: day, starts: try TimeOfDay(parsing: starts, field: "starts"),
                                       ends: try TimeOfDay(parsing: ends, field: "ends")))
        }
        return result
    }

    public struct DaySlots: Sendable, Codable {
        public var date: CalendarDate
        public var weekday: String
        public var starts: [TimeOfDay]
    }

    /// Free starts of `minutes` within the therapist's working hours, every `step` minutes, for a week.
    public static func freeSlots(therapistID: Int64, week: IsoWeek, minutes: Int, step: Int, practice: Practice,
                                 now: PracticeNow? = nil, on connection: PostgresConnection, logger: Logger) async throws -> [DaySlots] {
        let now = try await connection.practiceNow(now, practice, logger: logger)
        let hours = try await workingHours(therapistID: therapistID, practice: practice, on: connection, logger: logger)
        let booked = try await list(AppointmentFilter(therapistID: therapistID, from: week.monday, to: week.monday.adding(days: 6),
                                                      includeCancelled: false),
                                    practice: practice, on: connection, logger: logger)
        let (today, nowLocal) = (now.today, now.time)
        return week.days.map { day in
            let busy = booked.filter { $0.date == day }.map { $0.start.minutes..<max($0.end.minutes, $0.start.minutes + $0.minutes) }
            let starts = hours.filter { $0.weekday == day.isoWeekday }
                .flatMap { $0.freeStarts(minutes: minutes, step: step, busy: busy) }
                .filter { day > today || (day == today && $0 > nowLocal) }
            return DaySlots(date: day, weekday: Weekday.name(day.isoWeekday), starts: day < today ? [] : starts)
        }
    }

    // MARK: Rules

    /// Serialises bookings per client, so concurrent ones cannot slip past the weekly count.
    static func lockClient(_ clientID: Int64, practiceID: Int64, on connection: PostgresConnection, logger: Logger) async throws {
        let rows = try await connection.query(
            "SELECT id FROM clients WHERE practice_id = \(practiceID) AND id = \(clientID) FOR UPDATE", logger: logger)
        for try await _ in rows.decode(Int64.self) { return }
        throw PracticeError.notFound(entity: "client", id: String(clientID))
    }

    /// The red-flag gate: refuses a client with an uncleared red flag, or one never screened unless
    /// a reason is given; returns the acute-pain warning when there is one.
    static func gate(clientID: Int64, unscreenedReason: String?, practice: Practice, now: PracticeNow,
                     on connection: PostgresConnection, logger: Logger) async throws -> [Warning] {
        let profile = try await ClientProfile.load(clientID: clientID, practice: practice, now: now, on: connection, logger: logger)
        if let discharge = profile.discharge {
            throw PracticeError.refused("client \(clientID) was discharged on \(discharge.dischargedOn); readmit them first with `practice client readmit \(clientID)`")
        }
        switch profile.screeningState {
        case .needsClearance:
            throw PracticeError.refused("client \(clientID): \(profile.screeningSummary) [rule red-flags]; record it with `practice screening clear`")
        case .notScreened where unscreenedReason == nil:
            throw PracticeError.refused("client \(clientID) has no red-flag screening; record one with `practice screening record \(clientID) …`, or book with --unscreened \"reason\"")
        default:
            break
        }
        var warnings = profile.warnings.filter { $0.rule == .acutePain }
        if let unscreenedReason, profile.screeningState == .notScreened {
            warnings.append(Warning(.bookedUnscreened, rule: .redFlags, "booked without a red-flag screening: \(unscreenedReason)"))
        }
        return warnings
    }

    static func dstWarnings(_ slots: [Slot], time: TimeOfDay) -> [Warning] {
        slots.compactMap { slot in
            switch slot.adjustment {
            case .none: nil
            case .shiftedForward: Warning(.dstShifted, "\(slot.date) \(time) does not exist (clocks go forward); booked at the same instant, an hour later on the clock")
            case .firstOfRepeated: Warning(.dstRepeated, "\(slot.date) \(time) happens twice (clocks go back); booked the first, in daylight time")
            }
        }
    }

    /// Runs a write that the exclusion constraints may refuse when another booking committed in
    /// between our check and our write. Rolls back to a savepoint and names the visit that won.
    @discardableResult
    static func namingRaceWinners<T>(_ slots: [Slot], clientID: Int64, therapistID: Int64, excluding: Int64?, practice: Practice,
                                     on connection: PostgresConnection, logger: Logger,
                                     _ write: () async throws -> T) async throws -> T {
        try await connection.query("SAVEPOINT before_booking", logger: logger)
        do {
            let result = try await write()
            try await connection.query("RELEASE SAVEPOINT before_booking", logger: logger)
            return result
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23P01" {
            try await connection.query("ROLLBACK TO SAVEPOINT before_booking", logger: logger)
            if let clash = try await findClashes(slots, clientID: clientID, therapistID: therapistID, excluding: excluding,
                                                 practice: practice, on: connection, logger: logger).first {
                throw PracticeError.conflict("\(slots[clash.index].date): \(describe(clash)), booked a moment ago; nothing was booked")
            }
            throw DatabaseErrors.map(error)
        }
    }

    static func describe(_ clash: Clash) -> String {
        let who = clash.sameTherapist && clash.sameClient ? "the client and the therapist already have"
            : clash.sameTherapist ? "the therapist already has" : "the client already has"
        return "\(who) appointment \(clash.appointmentID) at \(clash.local)"
    }

    /// Live appointments of the therapist or the client that overlap any slot: one query for the lot.
    ///
    /// Two probes per slot, each shaped like one of the exclusion constraints' GiST indexes
    /// (practice, therapist or client, time range; live rows only, with the predicate written
    /// out so the planner can prove it), so the time range is an index condition and the cost
    /// does not grow with the therapist's history. An OR of the two would scan all of it.
    static func findClashes(_ slots: [Slot], clientID: Int64, therapistID: Int64, excluding: Int64?, practice: Practice,
                            on connection: PostgresConnection, logger: Logger) async throws -> [Clash] {
        let live = "a.status <> '\(AppointmentStatus.cancelled.rawValue)'"
        let rows = try await connection.query("""
            SELECT (o.n - 1)::int, a.id, a.client_id = \(clientID), a.therapist_id = \(therapistID),
                   to_char(a.starts_at AT TIME ZONE \(practice.timeZone), 'YYYY-MM-DD HH24:MI') || '–' ||
                   to_char(a.ends_at AT TIME ZONE \(practice.timeZone), 'HH24:MI')
            FROM unnest(\(slots.map(\.start))::timestamptz[], \(slots.map(\.end))::timestamptz[]) WITH ORDINALITY AS o(s, e, n)
            CROSS JOIN LATERAL (
                SELECT a.id, a.client_id, a.therapist_id, a.starts_at, a.ends_at FROM appointments a
                WHERE a.practice_id = \(practice.id) AND a.therapist_id = \(therapistID) AND \(unescaped: live)
                  AND tstzrange(a.starts_at, a.ends_at) && tstzrange(o.s, o.e)
                UNION
                SELECT a.id, a.client_id, a.therapist_id, a.starts_at, a.ends_at FROM appointments a
                WHERE a.practice_id = \(practice.id) AND a.client_id = \(clientID) AND \(unescaped: live)
                  AND tstzrange(a.starts_at, a.ends_at) && tstzrange(o.s, o.e)
            ) AS a
            WHERE \(excluding)::bigint IS NULL OR a.id <> \(excluding)
            ORDER BY o.n, a.starts_at
            """, logger: logger)
        var clashes: [Clash] = []
        for try await (index, id, sameClient, sameTherapist, local) in rows.decode((Int, Int64, Bool, Bool, String).self) {
            clashes.append(Clash(index: index, appointmentID: id, sameClient: sameClient, sameTherapist: sameTherapist, local: local))
        }
        return clashes
    }

    /// ISO weeks (in the practice's zone) that would hold more visits than the policy allows.
    static func weeksOverLimit(_ dates: [CalendarDate], clientID: Int64, excluding: Int64?, practice: Practice,
                               on connection: PostgresConnection, logger: Logger) async throws -> [(week: IsoWeek, visits: Int)] {
        guard let first = dates.min(), let last = dates.max() else { return [] }
        let from = IsoWeek(containing: first).monday
        let to = IsoWeek(containing: last).monday.adding(days: 7)
        let zone = practice.timeZone
        let rows = try await connection.query("""
            SELECT to_char((starts_at AT TIME ZONE \(zone))::date, 'IYYY-"W"IW'), count(*)::int
            FROM appointments
            WHERE practice_id = \(practice.id) AND client_id = \(clientID)
              AND status = ANY(\(AppointmentStatus.allCases.filter(\.countsAsVisit).map(\.rawValue))::text[])
              AND (\(excluding)::bigint IS NULL OR id <> \(excluding))
              AND starts_at >= (\(from.description)::date)::timestamp AT TIME ZONE \(zone)
              AND starts_at < (\(to.description)::date)::timestamp AT TIME ZONE \(zone)
            GROUP BY 1
            """, logger: logger)
        var existing: [IsoWeek: Int] = [:]
        for try await (week, count) in rows.decode((String, Int).self) { existing[try IsoWeek(parsing: week)] = count }
        return BookingRules.weeksOverLimit(existing: existing, adding: dates.map { IsoWeek(containing: $0) }, policy: practice.policy)
    }
}
