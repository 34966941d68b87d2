import Foundation
import PracticeCore
import PracticeStore

/// Booking and the life of a visit: reschedule, cancel, check in, complete, no-show; slots and
/// a therapist's week.
extension PracticeService {
    public func book(_ request: BookingRequest) async throws -> Outcome<BookingResult> {
        try await write { try await $0.book(request) }
    }

    public func listAppointments(_ filter: Scheduling.AppointmentFilter) async throws -> [AppointmentView] {
        if let from = filter.from, let to = filter.to, to < from {
            throw PracticeError.invalid(field: "--to", reason: "\(to) is before --from \(from)")
        }
        return try await read { try await Scheduling.list(filter, practice: $0.practice, on: $0.connection, logger: $0.logger) }
    }

    public func reschedule(_ id: Int64, to at: LocalDateTime, minutes: Int?, overrideReason: String?,
                           past: Bool) async throws -> Outcome<AppointmentView> {
        try await write { try await $0.reschedule(id, to: at, minutes: minutes, overrideReason: overrideReason, past: past) }
    }

    public func appointment(_ id: Int64) async throws -> AppointmentView {
        try await read { try await Scheduling.get(id, practice: $0.practice, on: $0.connection, logger: $0.logger) }
    }

    public func cancel(_ id: Int64, following: Bool) async throws -> [AppointmentView] {
        try await write { try await Scheduling.cancel(id, following: following, practice: $0.practice, now: $0.now, on: $0.connection, logger: $0.logger) }
    }

    public func checkIn(_ id: Int64) async throws -> AppointmentView { try await move(id, to: .checkedIn) }
    public func markNoShow(_ id: Int64) async throws -> AppointmentView { try await move(id, to: .noShow) }

    func move(_ id: Int64, to status: AppointmentStatus) async throws -> AppointmentView {
        try await write { try await Scheduling.move(id, to: status, practice: $0.practice, now: $0.now, on: $0.connection, logger: $0.logger) }
    }

    public struct CompletionRequest: Sendable {
        public var appointmentID: Int64
        public var minutes: Int
        public var techniques: [Technique]
        public var painBefore: Int
        public var painAfter: Int
        public var soreness: Soreness
        public var cpt: CPTCode?
        /// As typed, e.g. "95.50": parsed here so every face refuses the same amounts.
        public var fee: String?

        public init(appointmentID: Int64, minutes: Int, techniques: [Technique], painBefore: Int, painAfter: Int,
                    soreness: Soreness = .none, cpt: CPTCode? = nil, fee: String? = nil) {
            (self.appointmentID, self.minutes, self.techniques) = (appointmentID, minutes, techniques)
            (self.painBefore, self.painAfter, self.soreness, self.cpt, self.fee) = (painBefore, painAfter, soreness, cpt, fee)
        }
    }

    public func complete(_ request: CompletionRequest) async throws -> Outcome<ClinicalRecords.Completion> {
        let record = try request.record()
        return try await write { try await $0.complete(request.appointmentID, record: record) }
    }

    public struct SlotsRequest: Sendable {
        public var therapistID: Int64
        /// Nil: the current week in the practice's zone.
        public var week: IsoWeek?
        public var minutes: Int
        public var step: Int

        public init(therapistID: Int64, week: IsoWeek? = nil, minutes: Int = BookingRules.Minutes.defaultVisit,
                    step: Int = BookingRules.Minutes.defaultSlotStep) {
            (self.therapistID, self.week, self.minutes, self.step) = (therapistID, week, minutes, step)
        }
    }

    public func freeSlots(_ request: SlotsRequest) async throws -> [Scheduling.DaySlots] {
        try BookingRules.validateMinutes(request.minutes)
        try BookingRules.validateSlotStep(request.step)
        return try await read { unit in
            _ = try await StaffRepository.therapist(request.therapistID, field: "--therapist", practiceID: unit.practice.id,
                                                    on: unit.connection, logger: unit.logger)
            return try await Scheduling.freeSlots(therapistID: request.therapistID, week: request.week ?? IsoWeek(containing: unit.today),
                                                  minutes: request.minutes, step: request.step, practice: unit.practice,
                                                  now: unit.now, on: unit.connection, logger: unit.logger)
        }
    }

    /// A therapist's week, day by day: working hours and live visits.
    public struct WeekView: Sendable, Encodable {
        public struct Day: Sendable, Encodable {
            public var date: CalendarDate
            public var weekday: String
            public var hours: [String]
            public var appointments: [AppointmentView]
        }

        public var therapistID: Int64
        public var therapist: String
        public var week: IsoWeek
        public var days: [Day]
    }

    public func week(therapistID: Int64, week: IsoWeek?) async throws -> WeekView {
        try await read { unit in
            let member = try await StaffRepository.therapist(therapistID, field: "--therapist", practiceID: unit.practice.id,
                                                             on: unit.connection, logger: unit.logger)
            let week = week ?? IsoWeek(containing: unit.today)
            let hours = try await Scheduling.workingHours(therapistID: therapistID, practice: unit.practice, on: unit.connection,
                                                          logger: unit.logger)
            let visits = try await Scheduling.list(.init(therapistID: therapistID, from: week.monday, to: week.monday.adding(days: 6),
                                                         includeCancelled: false),
                                                   practice: unit.practice, on: unit.connection, logger: unit.logger)
            return WeekView(therapistID: therapistID, therapist: member.name, week: week, days: week.days.map { day in
                WeekView.Day(date: day, weekday: Weekday.name(day.isoWeekday),
                             hours: hours.filter { $0.weekday == day.isoWeekday }.map { "\($0.starts)–\($0.ends)" },
                             appointments: visits.filter { $0.date == day })
            })
        }
    }
}

extension PracticeService.CompletionRequest {
    public func record() throws -> SessionRecord {
        let amount = try fee.map { text throws(PracticeError) in try Money.parse(text, field: "--fee") }
        return try SessionRecord(minutes: minutes, techniques: techniques, painBefore: painBefore, painAfter: painAfter,
                                 soreness: soreness, cpt: cpt, fee: amount)
    }
}

extension UnitOfWork {
    public func book(_ request: BookingRequest) async throws -> Outcome<BookingResult> {
        let result = try await Scheduling.book(request, practice: practice, now: now, on: connection, logger: logger)
        return Outcome(result, warnings: result.warnings)
    }

    public func reschedule(_ id: Int64, to at: LocalDateTime, minutes: Int?, overrideReason: String?,
                           past: Bool) async throws -> Outcome<AppointmentView> {
        let (moved, warnings) = try await Scheduling.reschedule(id, to: at, minutes: minutes, overrideReason: overrideReason,
                                                                past: past, practice: practice, now: now, on: connection,
                                                                logger: logger)
        return Outcome(moved, warnings: warnings)
    }

    public func complete(_ id: Int64, record: SessionRecord) async throws -> Outcome<ClinicalRecords.Completion> {
        let done = try await ClinicalRecords.complete(id, record: record, practice: practice, now: now, on: connection, logger: logger)
        return Outcome(done, warnings: done.warnings)
    }
}
