import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import PracticeCore
import PracticeHTTP
import PracticeService
import PracticeStore
import PracticeTestSupport

let logger = TestDatabase.logger

/// Two practices in one database, each with records, and a token per role: what every router
/// test starts from. Built through the service, as a practice would have built it.
struct APIWorld: Sendable {
    struct Records: Sendable {
        var practice: TestPractice
        var owner: StaffMember
        /// Treated by `practice.therapist` (primary), not by `practice.secondTherapist`.
        var client: Client
        /// A completed visit yesterday, with feedback, a draft note and a letter.
        var visit: Int64
        var note: Int64
        var letter: Int64
    }

    let database: PracticeDatabase
    let a: Records
    let b: Records
    /// Role name → token, in practice A; "ownerB" for practice B's owner.
    let tokens: [String: String]

    static let roles = ["owner", "therapist", "otherTherapist", "frontDesk"]

    static func build(_ database: PracticeDatabase) async throws -> APIWorld {
        let a = try await records(database, name: "Riverside")
        let b = try await records(database, name: "Elsewhere")
        // The server sets the practice itself in every transaction; nothing is pre-scoped.
        database.scope.set(practiceID: nil)
        database.scope.set(actor: nil)
        var tokens: [String: String] = [:]
        for (role, practice, staff) in [("owner", a, a.owner.id), ("therapist", a, a.practice.therapist.id),
                                        ("otherTherapist", a, a.practice.secondTherapist.id), ("frontDesk", a, a.practice.frontDesk.id),
                                        ("ownerB", b, b.owner.id)] {
            let service = PracticeService(database: database, context: ServiceContext(practiceID: practice.practice.practice.id))
            let issued = try await service.issueToken(staffID: staff, days: 7, label: "test")
            tokens[role] = issued.token
        }
        return APIWorld(database: database, a: a, b: b, tokens: tokens)
    }

    static func records(_ database: PracticeDatabase, name: String) async throws -> Records {
        let practice = try await TestPractice.create(database, name: name)
        let service = PracticeService(database: database, context: ServiceContext(practiceID: practice.practice.id, actorLabel: "test"))
        let owner = try await service.addStaff(.init(name: "\(name) Owner", role: .owner)).value
        let client = try await service.registerClient(.init(
            name: "\(name) Client", dateOfBirth: try CalendarDate(parsing: "1980-04-12"), painOnset: try CalendarDate(parsing: "2026-05-01"),
            primaryTherapistID: practice.therapist.id)).value.client
        _ = try await service.recordScreening(.init(clientID: client.id, answers: ScreeningAnswers(
            weightLossOrFever: false, bilateralNumbnessOrBowelBladder: false, cancerOrMajorTrauma: false), screenedBy: practice.frontDesk.id))
        let yesterday = practiceToday().adding(days: -1)
        let visit = try await service.book(BookingRequest(
            clientID: client.id, therapistID: practice.therapist.id,
            at: LocalDateTime(date: yesterday, time: try TimeOfDay(hour: 10, minute: 0)), minutes: 60, past: true)).value.appointments[0].id
        _ = try await service.complete(.init(appointmentID: visit, minutes: 60, techniques: [.swedish], painBefore: 6, painAfter: 4))
        _ = try await service.addFeedback(.init(appointmentID: visit, region: .lumbarLeft, pressure: 3, discomfort: 3, action: .held))
        let note = try await service.draftNote(appointmentID: visit, soap: .init(subjective: "\(name) subjective", objective: "o",
                                                                                   assessment: "a", plan: "p"))
        let letter = try await service.addLetter(.init(clientID: client.id, providerID: practice.physio.id, direction: .outgoing,
                                                       kind: .referral, body: "\(name) letter text")).letter
        return Records(practice: practice, owner: owner, client: client, visit: visit, note: note.id, letter: letter.id)
    }

    func bearer(_ role: String) -> HTTPFields {
        [.authorization: "Bearer \(tokens[role] ?? "none")"]
    }
}

/// A fresh database with the two-practice world, and the application built exactly as
/// `practice serve` builds it.
func withAPI(settings: ServerSettings = ServerSettings(),
             _ body: @Sendable (APIWorld, any ApplicationProtocol) async throws -> Void) async throws {
    try await TestDatabase.withFresh { database in
        let world = try await APIWorld.build(database)
        var served = database
        served.connectionWait = settings.connectionWait
        let app = try buildApplication(ServerDependencies(database: served, logger: logger),
                                       settings: settings)
        try await body(world, app)
    }
}

extension TestResponse {
    var text: String { String(buffer: body) }

    func json() throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any] else {
            throw TestSetupError("not a JSON object: \(text)")
        }
        return object
    }
}

func jsonBody(_ object: [String: Any]) throws -> ByteBuffer {
    ByteBuffer(data: try JSONSerialization.data(withJSONObject: object))
}

extension HTTPFields {
    static func + (lhs: HTTPFields, rhs: HTTPFields) -> HTTPFields {
        var fields = lhs
        fields.append(contentsOf: rhs)
        return fields
    }

    static var json: HTTPFields { [.contentType: "application/json"] }
}
