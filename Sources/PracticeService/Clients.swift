import Foundation
import PracticeCore
import PracticeStore

/// Registering clients, their red-flag screening and clearances, discharge and readmission.
extension PracticeService {
    public struct NewClientRequest: Sendable {
        public var name: String
        public var dateOfBirth: CalendarDate
        public var painOnset: CalendarDate
        public var phone: String?
        public var email: String?
        public var primaryTherapistID: Int64?

        public init(name: String, dateOfBirth: CalendarDate, painOnset: CalendarDate, phone: String? = nil, email: String? = nil,
                    primaryTherapistID: Int64? = nil) {
            (self.name, self.dateOfBirth, self.painOnset) = (name, dateOfBirth, painOnset)
            (self.phone, self.email, self.primaryTherapistID) = (phone, email, primaryTherapistID)
        }
    }

    public func registerClient(_ request: NewClientRequest) async throws -> Outcome<ClientProfile> {
        try await write { try await $0.registerClient(request) }
    }

    /// Discharged clients are left out unless `includeDischarged`.
    public func listClients(search: String?, includeDischarged: Bool) async throws -> [Client] {
        try await read {
            try await ClientRepository.list(practiceID: $0.practice.id, search: search.map(NameText.normalized), includeDischarged: includeDischarged,
                                            on: $0.connection, logger: $0.logger)
        }
    }

    public func clientProfile(_ clientID: Int64) async throws -> Outcome<ClientProfile> {
        try await read { unit in
            let profile = try await ClientProfile.load(clientID: clientID, practice: unit.practice, now: unit.now,
                                                       on: unit.connection, logger: unit.logger)
            try await unit.disclose("clients", id: clientID, clientID: clientID)
            return Outcome(profile, warnings: profile.warnings)
        }
    }

    /// What a therapist opens before a session: the client's profile, the last sessions held, and
    /// the frequency check's numbers and flags as of today.
    public struct ClientChart: Sendable, Encodable {
        public var client: ClientProfile
        /// The last sessions held (completed visits), newest first.
        public var sessions: [AppointmentView]
        /// The check as of today: nil once the client is discharged (the check covers clients under care).
        public var check: FrequencyReport?
        public var asOf: CalendarDate
    }

    /// How many sessions a chart shows when not told.
    public static let chartSessions = 10

    /// A client's chart, read in one snapshot. `sessions` is 1–100.
    public func clientChart(_ clientID: Int64, sessions: Int = chartSessions) async throws -> Outcome<ClientChart> {
        guard (1...100).contains(sessions) else {
            throw PracticeError.invalid(field: "sessions", reason: "\(sessions) is not between 1 and 100")
        }
        return try await read { unit in
            let profile = try await ClientProfile.load(clientID: clientID, practice: unit.practice, now: unit.now,
                                                       on: unit.connection, logger: unit.logger)
            var filter = Scheduling.AppointmentFilter(clientID: clientID)
            (filter.status, filter.last) = (.completed, sessions)
            let held = try await Scheduling.list(filter, practice: unit.practice, on: unit.connection, logger: unit.logger)
            let check = try await unit.check(clientID: clientID, asOf: nil)
            try await unit.disclose("clients", id: clientID, clientID: clientID)
            try await unit.disclose("frequency_check", clientID: clientID)
            let chart = ClientChart(client: profile, sessions: held, check: check.clients.first, asOf: check.asOf)
            return Outcome(chart, warnings: profile.warnings)
        }
    }

    public struct ScreeningRequest: Sendable {
        public var clientID: Int64
        public var answers: ScreeningAnswers
        public var screenedBy: Int64?
        /// The day the questions were asked, for history entered after the fact; nil means now.
        public var date: CalendarDate?

        public init(clientID: Int64, answers: ScreeningAnswers, screenedBy: Int64? = nil, date: CalendarDate? = nil) {
            (self.clientID, self.answers, self.screenedBy, self.date) = (clientID, answers, screenedBy, date)
        }
    }

    public struct ScreeningResult: Sendable, Encodable {
        public var id: Int64
        public var screening: Screening
        public var redFlags: [String]
        public var needsClearance: Bool
        public var state: ScreeningStatus
    }

    public func recordScreening(_ request: ScreeningRequest) async throws -> Outcome<ScreeningResult> {
        try await write { try await $0.recordScreening(request) }
    }

    public func recordClearance(clientID: Int64, providerID: Int64, date: CalendarDate, note: String?) async throws -> Clearance {
        try await write { try await $0.recordClearance(clientID: clientID, providerID: providerID, date: date, note: note) }
    }

    public struct DischargeRequest: Sendable {
        public var clientID: Int64
        public var date: CalendarDate?
        public var reason: String?
        /// Cancel the client's future bookings; without it, a client with bookings is not discharged.
        public var cancelBookings: Bool

        public init(clientID: Int64, date: CalendarDate? = nil, reason: String? = nil, cancelBookings: Bool = false) {
            (self.clientID, self.date, self.reason, self.cancelBookings) = (clientID, date, reason, cancelBookings)
        }
    }

    public struct DischargeResult: Sendable, Encodable {
        public var discharge: Discharge
        public var cancelled: [AppointmentView]
    }

    public func discharge(_ request: DischargeRequest) async throws -> DischargeResult {
        try await write { try await $0.discharge(request) }
    }

    public func readmit(clientID: Int64, date: CalendarDate?) async throws -> Discharge {
        try await write { try await $0.readmit(clientID: clientID, date: date) }
    }

    public func reportPain(clientID: Int64, score: Int, date: CalendarDate?) async throws -> ClinicalRecords.PainReport {
        try await write { try await $0.reportPain(clientID: clientID, score: score, date: date) }
    }
}

extension UnitOfWork {
    public func registerClient(_ request: PracticeService.NewClientRequest) async throws -> Outcome<ClientProfile> {
        let new = try NewClient(name: request.name, dateOfBirth: request.dateOfBirth, painOnset: request.painOnset,
                                phone: request.phone, email: request.email, primaryTherapistID: request.primaryTherapistID,
                                today: today)
        let client = try await ClientRepository.add(new, practiceID: practice.id, now: now, on: connection, logger: logger)
        let profile = try await ClientProfile.load(clientID: client.id, practice: practice, now: now, on: connection, logger: logger)
        return Outcome(profile, warnings: profile.warnings)
    }

    public func recordScreening(_ request: PracticeService.ScreeningRequest) async throws -> Outcome<PracticeService.ScreeningResult> {
        if let date = request.date { try EntryRules.check(date, today: today) }
        let screening = try await ScreeningRepository.record(clientID: request.clientID, answers: request.answers,
                                                             screenedBy: request.screenedBy, screenedOn: request.date,
                                                             practiceID: practice.id, now: now, on: connection, logger: logger)
        let profile = try await ClientProfile.load(clientID: request.clientID, practice: practice, now: now, on: connection,
                                                   logger: logger)
        let result = PracticeService.ScreeningResult(id: screening.id, screening: screening, redFlags: request.answers.redFlags,
                                                     needsClearance: request.answers.hasRedFlag, state: profile.screeningState)
        // The red flag itself is the result; the warnings are what else the front desk should know.
        return Outcome(result, warnings: profile.warnings.filter { $0.code != .redFlagUncleared })
    }

    public func recordClearance(clientID: Int64, providerID: Int64, date: CalendarDate, note: String?) async throws -> Clearance {
        try EntryRules.check(date, today: today)
        return try await ScreeningRepository.clear(clientID: clientID, providerID: providerID, date: date, note: note,
                                            practiceID: practice.id, now: now, on: connection, logger: logger)
    }

    public func discharge(_ request: PracticeService.DischargeRequest) async throws -> PracticeService.DischargeResult {
        let date = request.date ?? today
        try EntryRules.check(date, today: today)
        let client = try await ClientRepository.get(request.clientID, practiceID: practice.id, on: connection, logger: logger)
        if let open = try await Discharges.open(clientID: client.id, practiceID: practice.id, on: connection, logger: logger) {
            throw PracticeError.refused("client \(client.id) was already discharged on \(open.dischargedOn)")
        }
        let reason = request.reason?.trimmingCharacters(in: .whitespacesAndNewlines)
        if let reason, reason.isEmpty { throw PracticeError.invalid(field: "--reason", reason: "give the reason in words") }
        // Bookings still to come (and past ones nobody recorded) end with the care, or stop the discharge.
        var filter = Scheduling.AppointmentFilter(clientID: client.id, includeCancelled: false)
        filter.lock = true
        let open = try await Scheduling.list(filter, practice: practice, on: connection, logger: logger)
            .filter { $0.status.isPending && $0.startsAt >= PracticeNow.startOfDay(date, timeZone: practice.timeZone) }
        var cancelled: [AppointmentView] = []
        if !open.isEmpty {
            guard request.cancelBookings else {
                let list = open.prefix(10).map { "\($0.id) (\($0.date) \($0.start))" }.joined(separator: ", ")
                throw PracticeError.refused("client \(client.id) has \(open.count) booking(s) from \(date) on: \(list)\(open.count > 10 ? ", …" : ""); cancel them with --cancel-bookings, or move the discharge date")
            }
            for visit in open {
                cancelled += try await Scheduling.cancel(visit.id, following: false, practice: practice, now: now,
                                                         on: connection, logger: logger)
            }
        }
        let discharge = try await Discharges.discharge(clientID: client.id, on: date, reason: reason, practiceID: practice.id,
                                                       now: now, on: connection, logger: logger)
        return .init(discharge: discharge, cancelled: cancelled)
    }

    public func readmit(clientID: Int64, date: CalendarDate?) async throws -> Discharge {
        let date = date ?? today
        try EntryRules.check(date, today: today)
        _ = try await ClientRepository.get(clientID, practiceID: practice.id, on: connection, logger: logger)
        guard let open = try await Discharges.open(clientID: clientID, practiceID: practice.id, on: connection, logger: logger) else {
            throw PracticeError.refused("client \(clientID) is not discharged; there is nothing to readmit")
        }
        guard date >= open.dischargedOn else {
            throw PracticeError.invalid(field: "--date", reason: "\(date) is before the discharge on \(open.dischargedOn)")
        }
        guard let closed = try await Discharges.readmit(clientID: clientID, on: date, practiceID: practice.id, now: now,
                                                        on: connection, logger: logger) else {
            throw PracticeError.database("the readmission was not stored")
        }
        return closed
    }

    public func reportPain(clientID: Int64, score: Int, date: CalendarDate?) async throws -> ClinicalRecords.PainReport {
        if let date { try EntryRules.check(date, today: today) }
        return try await ClinicalRecords.reportPain(clientID: clientID, score: score, date: date, practice: practice, now: now,
                                             on: connection, logger: logger)
    }
}
