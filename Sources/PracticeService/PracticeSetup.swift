import Foundation
import PracticeCore
import PracticeStore

/// The practice itself, its staff and the outside providers it works with.
extension PracticeService {
    public struct NewPracticeRequest: Sendable {
        public var name: String
        public var timeZone: String
        public var npi: String?
        public var taxID: String?
        public var address: String?
        public var phone: String?

        public init(name: String, timeZone: String, npi: String? = nil, taxID: String? = nil, address: String? = nil,
                    phone: String? = nil) {
            (self.name, self.timeZone, self.npi, self.taxID, self.address, self.phone) = (name, timeZone, npi, taxID, address, phone)
        }
    }

    /// Creates a practice: the one use case that runs before any practice exists.
    public func createPractice(_ request: NewPracticeRequest) async throws -> Practice {
        let new = try NewPractice(name: request.name, timeZone: request.timeZone)
        let identifiers = try BillingIdentifiers.validated(npi: request.npi, taxID: request.taxID, address: request.address,
                                                           phone: request.phone)
        let (logger, actor) = (logger, context.actor)
        return try await database.transaction { connection in
            try await connection.setActor(actor, logger: logger)
            let created = try await Practices.create(name: new.name, timeZone: new.timeZone, on: connection, logger: logger)
            try await Practices.setIdentifiers(identifiers, practiceID: created.id, on: connection, logger: logger)
            return try await Practices.get(created.id, on: connection, logger: logger)
        }
    }

    public struct NewStaffRequest: Sendable {
        public var name: String
        public var role: StaffRole
        public var mskYears: Double?
        public var email: String?
        public var npi: String?
        public var license: String?

        public init(name: String, role: StaffRole, mskYears: Double? = nil, email: String? = nil, npi: String? = nil,
                    license: String? = nil) {
            (self.name, self.role, self.mskYears, self.email, self.npi, self.license) = (name, role, mskYears, email, npi, license)
        }
    }

    public func addStaff(_ request: NewStaffRequest) async throws -> Outcome<StaffMember> {
        try await write { try await $0.addStaff(request) }
    }

    public func listStaff(role: StaffRole?) async throws -> [StaffMember] {
        try await read { try await StaffRepository.list(practiceID: $0.practice.id, role: role, on: $0.connection, logger: $0.logger) }
    }

    /// Replaces a therapist's working hours when `hours` is given; returns them either way.
    public func workingHours(therapistID: Int64, set hours: [WorkingHours]?) async throws -> [WorkingHours] {
        let body: (UnitOfWork) async throws -> [WorkingHours] = { unit in
            if let hours {
                try await Scheduling.setWorkingHours(hours, therapistID: therapistID, practice: unit.practice,
                                                     on: unit.connection, logger: unit.logger)
            } else {
                _ = try await StaffRepository.therapist(therapistID, field: "STAFF", practiceID: unit.practice.id,
                                                        on: unit.connection, logger: unit.logger)
            }
            return try await Scheduling.workingHours(therapistID: therapistID, practice: unit.practice, on: unit.connection,
                                                     logger: unit.logger)
        }
        return hours == nil ? try await read(body) : try await write(body)
    }

    public func addProvider(_ new: NewProvider) async throws -> Provider {
        try await write { try await $0.addProvider(new) }
    }

    public func listProviders() async throws -> [Provider] {
        try await read { try await ProviderRepository.list(practiceID: $0.practice.id, on: $0.connection, logger: $0.logger) }
    }
}

extension UnitOfWork {
    public func addStaff(_ request: PracticeService.NewStaffRequest) async throws -> Outcome<StaffMember> {
        let new = try NewStaffMember(name: request.name, role: request.role, mskYears: request.mskYears, email: request.email)
        let identifiers = try BillingIdentifiers.validated(npi: request.npi, taxID: nil, license: request.license)
        let member = try await StaffRepository.add(new, practiceID: practice.id, on: connection, logger: logger)
        try await StaffRepository.setIdentifiers(member.id, npi: identifiers.npi, license: identifiers.license,
                                                 practiceID: practice.id, on: connection, logger: logger)
        var warnings: [Warning] = []
        if member.role == .therapist, (member.mskYears ?? 0) < StaffExperience.recommendedMskYears {
            warnings.append(Warning(.therapistExperience,
                                    "under \(StaffExperience.recommendedMskYears.formatted1) years of musculoskeletal experience; the evidence favours \(StaffExperience.recommendedMskYears.formatted1) or more"))
        }
        return Outcome(member, warnings: warnings)
    }

    public func addProvider(_ new: NewProvider) async throws -> Provider {
        try await ProviderRepository.add(new, practiceID: practice.id, on: connection, logger: logger)
    }

    public func setWorkingHours(_ hours: [WorkingHours], therapistID: Int64) async throws {
        try await Scheduling.setWorkingHours(hours, therapistID: therapistID, practice: practice, on: connection, logger: logger)
    }
}

/// The evidence favours therapists with 2 or more years of musculoskeletal work.
public enum StaffExperience {
    public static let recommendedMskYears = 2.0
}
