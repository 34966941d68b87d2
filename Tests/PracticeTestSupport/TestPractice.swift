import Foundation
import PostgresNIO
import PracticeCore
import PracticeStore

/// A practice with two therapists, a front desk, a physician and a physical therapist.
public struct TestPractice: Sendable {
    public var practice: Practice
    public var therapist: StaffMember
    public var secondTherapist: StaffMember
    public var frontDesk: StaffMember
    public var physician: Provider
    public var physio: Provider

    public static func create(_ database: PracticeDatabase, name: String = "Test Practice",
                              timeZone: String = "America/New_York") async throws -> TestPractice {
        let logger = TestDatabase.logger
        if database.scope.actor == nil { database.scope.set(actor: "test") }
        let created = try await database.transaction { c in
            let practice = try await Practices.create(name: name, timeZone: timeZone, on: c, logger: logger)
            func staff(_ name: String, _ role: StaffRole) async throws -> StaffMember {
                try await StaffRepository.add(try NewStaffMember(name: name, role: role, mskYears: role == .therapist ? 5 : nil),
                                              practiceID: practice.id, on: c, logger: logger)
            }
            return TestPractice(
                practice: practice,
                therapist: try await staff("Marcus Bell", .therapist),
                secondTherapist: try await staff("Priya Raman", .therapist),
                frontDesk: try await staff("Lena Ortiz", .frontDesk),
                physician: try await ProviderRepository.add(try NewProvider(name: "Dr. Maya Chen", kind: .physician, npi: "1234567893"),
                                                            practiceID: practice.id, on: c, logger: logger),
                physio: try await ProviderRepository.add(try NewProvider(name: "Jordan Pike", kind: .physicalTherapist),
                                                         practiceID: practice.id, on: c, logger: logger))
        }
        database.scope.set(practiceID: created.practice.id)
        return created
    }

    public static func newClient(_ name: String, therapist: Int64? = nil, onset: String = "2026-01-10") throws -> NewClient {
        try NewClient(name: name, dateOfBirth: CalendarDate(parsing: "1980-04-12"), painOnset: CalendarDate(parsing: onset),
                      phone: "(555) 010-1234", email: "a@example.com", primaryTherapistID: therapist,
                      today: CalendarDate(parsing: "2026-11-25"))
    }

    /// A client with a clear screening, ready to book.
    public func screenedClient(_ name: String, in database: PracticeDatabase, redFlag: Bool = false) async throws -> Client {
        let logger = TestDatabase.logger
        let practiceID = practice.id
        let desk = frontDesk.id
        return try await database.transaction { c in
            let client = try await ClientRepository.add(try TestPractice.newClient(name), practiceID: practiceID, on: c, logger: logger)
            _ = try await ScreeningRepository.record(
                clientID: client.id,
                answers: ScreeningAnswers(weightLossOrFever: false, bilateralNumbnessOrBowelBladder: false, cancerOrMajorTrauma: redFlag),
                screenedBy: desk, practiceID: practiceID, on: c, logger: logger)
            return client
        }
    }
}

/// The Monday `weeks` ISO weeks after this one: bookings in tests are always in the future.
public func futureMonday(_ weeks: Int = 2) -> CalendarDate {
    IsoWeek(containing: CalendarDate(daysSinceEpoch: Int(Date().timeIntervalSince1970 / 86_400))).adding(weeks: weeks).monday
}

/// Today where a practice is (tests' practices are in New York unless they say otherwise): near
/// midnight UTC, "today" in UTC is already tomorrow there.
public func practiceToday(_ timeZone: String = "America/New_York") -> CalendarDate {
    PracticeNow(instant: Date(), timeZone: timeZone).today
}
