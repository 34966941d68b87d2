import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import OpenAPIAsyncHTTPClient
import OpenAPIRuntime
import PracticeAPIClient
import PracticeHTTP
import PracticeTestSupport
import Testing

/// Adds a staff member's bearer token to every request of the generated client.
struct BearerToken: ClientMiddleware {
    let token: String

    func intercept(_ request: HTTPRequest, body: HTTPBody?, baseURL: URL, operationID: String,
                   next: (HTTPRequest, HTTPBody?, URL) async throws -> (HTTPResponse, HTTPBody?)) async throws -> (HTTPResponse, HTTPBody?) {
        var request = request
        request.headerFields[.authorization] = "Bearer \(token)"
        return try await next(request, body, baseURL)
    }
}

/// The issue's "done when", driven by a client generated from the same OpenAPI document against
/// the live server: the contract is usable, not only valid.
@Suite struct ClientScenarioTests {
    @Test func frontDeskTherapistAndOwnerThroughTheGeneratedClient() async throws {
        try await withAPI { world, app in
            try await app.test(.live) { testClient in
                let port = try #require(testClient.port)
                let transport = AsyncHTTPClientTransport()
                func client(_ role: String) -> Client {
                    Client(serverURL: URL(string: "http://127.0.0.1:\(port)")!, transport: transport,
                           middlewares: [BearerToken(token: world.tokens[role] ?? "")])
                }
                let desk = client("frontDesk")
                let therapist = client("therapist")
                let owner = client("owner")
                let therapistID = world.a.practice.therapist.id

                // The front desk registers a client, records the screening and books a weekly series.
                let registered = try await desk.registerClient(body: .json(.init(
                    name: "Rosa Delgado", dateOfBirth: "1978-03-14", painOnset: "2026-08-01", primaryTherapistId: therapistID)))
                let profile = try registered.created.body.json
                #expect(try registered.created.headers.location == "/clients/\(profile.client.id)")
                #expect(profile.screeningState == .notScreened)
                #expect(profile.warnings.contains { $0.code == "not-screened" })
                let clientID = profile.client.id
                let screening = try await desk.recordScreening(path: .init(clientId: clientID), body: .json(.init(
                    weightLossOrFever: false, bilateralNumbnessOrBowelBladder: false, cancerOrMajorTrauma: false)))
                #expect(try screening.created.body.json.needsClearance == false)
                let monday = futureMonday(2)
                let series = try await desk.bookAppointment(
                    headers: .init(idempotencyKey: "rosa-series-1"),
                    body: .json(.init(clientId: clientID, therapistId: therapistID, date: monday.description, start: "10:00",
                                      weekly: .init(weekdays: [1, 4], count: 6))))
                let booked = try series.created.body.json
                #expect(booked.appointments.count == 6)
                #expect(booked.seriesId != nil)
                // Today's visit, entered by the desk when the client walked in earlier.
                let yesterday = practiceToday().adding(days: -1)
                let visit = try await desk.bookAppointment(body: .json(.init(
                    clientId: clientID, therapistId: therapistID, date: yesterday.description, start: "15:00", past: true)))
                let visitID = try #require(try visit.created.body.json.appointments.first?.id)

                // The same token may not read a therapist's note.
                let refused = try await desk.getNote(path: .init(noteId: world.a.note))
                guard case .default(statusCode: 403, let problem) = refused else {
                    Issue.record("the front desk read a note: \(refused)")
                    return
                }
                #expect(try problem.body.applicationProblemJson.rule == "role")

                // The therapist completes the session, records feedback, signs the note, downloads the PDF.
                let completed = try await therapist.completeAppointment(
                    path: .init(appointmentId: visitID), headers: .init(idempotencyKey: "rosa-visit-1"),
                    body: .json(.init(minutes: 50, techniques: [.swedish, .triggerPoint], painBefore: 6, painAfter: 3)))
                #expect(try completed.ok.body.json.appointment.status == .completed)
                let feedback = try await therapist.addFeedback(path: .init(appointmentId: visitID), body: .json(.init(
                    region: .lumbarLeft, pressure: 3, discomfort: 4, action: .held)))
                #expect(try feedback.created.body.json.feedback.discomfort == 4)
                let drafted = try await therapist.draftNote(path: .init(appointmentId: visitID), body: .json(.init(
                    subjective: "Ache after gardening", objective: "Left QL hypertonic", assessment: "Improving", plan: "Weekly")))
                let noteID = try drafted.created.body.json.id
                let read = try await therapist.getNote(path: .init(noteId: noteID))
                let etag = try #require(try read.ok.headers.eTag)
                let signed = try await therapist.signNote(path: .init(noteId: noteID), headers: .init(ifMatch: etag))
                #expect(try signed.ok.body.json.signedBy == therapistID)
                let summary = try await therapist.getCoordinationSummary(path: .init(clientId: clientID),
                                                                         query: .init(providerId: world.a.practice.physician.id, format: .pdf))
                let pdf = try await [UInt8](collecting: try summary.ok.body.pdf, upTo: 10 << 20)
                #expect(pdf.starts(with: Array("%PDF".utf8)))
                let text = try pdfText(pdf)
                #expect(text.contains("Rosa Delgado"))
                #expect(text.contains("Coordination summary"))

                // The therapist opens the client's chart: the one session held, and today's check.
                let chart = try await therapist.getClientChart(path: .init(clientId: clientID), query: .init(sessions: 5)).ok.body.json
                #expect(chart.client.client.id == clientID)
                #expect(chart.sessions.map(\.id) == [visitID])
                #expect(chart.sessions.first?.status == .completed)
                #expect(chart.check?.additionalProperties.value["metrics"] != nil)
                let tooMany = try await therapist.getClientChart(path: .init(clientId: clientID), query: .init(sessions: 500))
                guard case .default(statusCode: let status, let problem) = tooMany, (400..<500).contains(status) else {
                    Issue.record("a chart of 500 sessions was not refused: \(tooMany)")
                    return
                }
                let refusal = try problem.body.applicationProblemJson
                #expect(refusal.field == "sessions" || refusal.detail?.contains("sessions") == true, "\(refusal)")

                // The owner sees every one of those reads and writes in the audit log.
                let audit = try await owner.listAudit(query: .init(clientId: clientID, limit: 500))
                let events = try audit.ok.body.json.items
                let desk_ = "staff:\(world.a.practice.frontDesk.id)", therapist_ = "staff:\(therapistID)"
                for (actor, action, table) in [
                    (desk_, "insert", "clients"), (desk_, "insert", "screenings"), (desk_, "insert", "appointments"),
                    (therapist_, "update", "appointments"), (therapist_, "insert", "pain_reports"),
                    (therapist_, "insert", "pressure_feedback"), (therapist_, "insert", "session_notes"),
                    (therapist_, "read", "session_notes"), (therapist_, "update", "session_notes"),
                    (therapist_, "export", "coordination_summary"), (therapist_, "read", "frequency_check"),
                ] {
                    #expect(events.contains { $0.actor == actor && $0.action == action && $0.table == table }, "\(actor) \(action) \(table)")
                }
                let export = events.first { $0.action == "export" }
                #expect(export?.recipientProviderId == world.a.practice.physician.id)
            }
        }
    }
}

/// A PDF's text, read back by poppler's pdftotext.
func pdfText(_ bytes: [UInt8]) throws -> String {
    let directory = FileManager.default.temporaryDirectory.appending(path: "pdf-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let file = directory.appending(path: "summary.pdf")
    try Data(bytes).write(to: file)
    return try toolOutput("pdftotext", [file.path, "-"])
}
