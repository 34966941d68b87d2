import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import PracticeCore
import PracticeHTTP
import PracticeService
import PracticeStore
import PracticeTestSupport
import Testing

/// The server as production builds it (`buildApplication`), against a real PostgreSQL.
@Suite struct RouterTests {
    @Test func healthNeedsNoTokenAndEverythingElseDoes() async throws {
        try await withAPI { world, app in
            try await app.test(.router) { client in
                let health = try await client.execute(uri: "/health", method: .get)
                #expect(health.status == .ok)
                #expect(try health.json()["database"] as? String == "up")

                let missing = try await client.execute(uri: "/clients", method: .get)
                #expect(missing.status == .unauthorized)
                #expect(missing.headers[.contentType] == "application/problem+json")
                for bad in ["Bearer mpt_" + String(repeating: "A", count: 43), "Basic abc", "Bearer"] {
                    let response = try await client.execute(uri: "/clients", method: .get, headers: [.authorization: bad])
                    #expect(response.status == .unauthorized, "\(bad)")
                }
                let ok = try await client.execute(uri: "/clients", method: .get, headers: world.bearer("owner"))
                #expect(ok.status == .ok)
            }
        }
    }

    @Test func revokedAndExpiredTokensAreRefused() async throws {
        try await withAPI { world, app in
            let service = PracticeService(database: world.database, context: ServiceContext(practiceID: world.a.practice.practice.id))
            let issued = try await service.issueToken(staffID: world.a.practice.frontDesk.id, days: 1, label: "to revoke")
            try await app.test(.router) { client in
                let headers: HTTPFields = [.authorization: "Bearer \(issued.token)"]
                #expect(try await client.execute(uri: "/staff", method: .get, headers: headers).status == .ok)
                _ = try await service.revokeToken(issued.record.id)
                #expect(try await client.execute(uri: "/staff", method: .get, headers: headers).status == .unauthorized)
            }
            // Listing shows the record, never the token; only its digest is kept.
            let listed = try await service.tokens(staffID: world.a.practice.frontDesk.id)
            #expect(listed.contains { $0.id == issued.record.id && $0.revokedAt != nil })
            #expect(!String(decoding: try JSONEncoder().encode(listed), as: UTF8.self).contains(issued.token))
        }
    }

    @Test func repeatedBadTokensAreSlowedButAGoodTokenStillWorks() async throws {
        try await withAPI(settings: ServerSettings(failedTokenLimit: 3)) { world, app in
            try await app.test(.router) { client in
                let bad: HTTPFields = [.authorization: "Bearer mpt_" + String(repeating: "B", count: 43)]
                for _ in 0..<3 {
                    #expect(try await client.execute(uri: "/staff", method: .get, headers: bad).status == .unauthorized)
                }
                let started = ContinuousClock.now
                let limited = try await client.execute(uri: "/staff", method: .get, headers: bad)
                #expect(limited.status == .tooManyRequests)
                #expect(Int(limited.headers[.retryAfter] ?? "") ?? 0 > 0)
                #expect(ContinuousClock.now - started >= .milliseconds(900))
                #expect(try await client.execute(uri: "/staff", method: .get, headers: world.bearer("owner")).status == .ok)
            }
        }
    }

    @Test func badInputIsOneProblemNamingTheFieldAndWritesNothing() async throws {
        try await withAPI { world, app in
            let before = try await TestDatabase.rowCounts(world.database)
            try await app.test(.router) { client in
                let headers = world.bearer("frontDesk") + .json
                // The service's rule: a birth date in the future (422, field named as the API names it).
                let future = try await client.execute(uri: "/clients", method: .post, headers: headers, body: try jsonBody([
                    "name": "Nia Future", "date_of_birth": "2099-01-01", "pain_onset": "2026-01-01"]))
                #expect(future.status == .unprocessableContent)
                #expect(future.headers[.contentType] == "application/problem+json")
                #expect(try future.json()["field"] as? String == "date_of_birth")
                // The contract's rules: too long, unknown field, null, wrong type (400).
                for (body, field) in [
                    (["name": String(repeating: "x", count: 201), "date_of_birth": "1980-01-01", "pain_onset": "2026-01-01"], "name"),
                    (["name": "Nia", "date_of_birth": "1980-01-01", "pain_onset": "2026-01-01", "ssn": "1"], "ssn"),
                    (["name": "Nia", "date_of_birth": "1980-01-01", "pain_onset": "2026-01-01", "phone": NSNull()], "phone"),
                    (["name": "Nia", "date_of_birth": "1980-13-01", "pain_onset": "2026-01-01"], "date_of_birth"),
                    (["name": 7, "date_of_birth": "1980-01-01", "pain_onset": "2026-01-01"], "name"),
                ] as [([String: Any], String)] {
                    let response = try await client.execute(uri: "/clients", method: .post, headers: headers, body: try jsonBody(body))
                    #expect(response.status == .badRequest, "\(field)")
                    #expect(try response.json()["field"] as? String == field)
                }
                let notJSON = try await client.execute(uri: "/clients", method: .post, headers: headers,
                                                       body: ByteBuffer(string: "{not json"))
                #expect(notJSON.status == .badRequest)
                let badID = try await client.execute(uri: "/clients/0", method: .get, headers: headers)
                #expect(badID.status == .badRequest)
                let badQuery = try await client.execute(uri: "/appointments?limit=0", method: .get, headers: headers)
                #expect(try badQuery.json()["field"] as? String == "limit")
            }
            #expect(try await TestDatabase.rowCounts(world.database) == before)
        }
    }

    @Test func bodiesOverTheLimitGet413AndUnknownMethods405() async throws {
        try await withAPI(settings: ServerSettings(maxBodyBytes: 1024)) { world, app in
            try await app.test(.router) { client in
                let big = try jsonBody(["name": String(repeating: "x", count: 4000), "date_of_birth": "1980-01-01",
                                        "pain_onset": "2026-01-01"])
                let response = try await client.execute(uri: "/clients", method: .post, headers: world.bearer("owner") + .json, body: big)
                #expect(response.status == .contentTooLarge)
                let delete = try await client.execute(uri: "/clients/\(world.a.client.id)", method: .delete, headers: world.bearer("owner"))
                #expect(delete.status == .methodNotAllowed)
                #expect(delete.headers[.allow] == "GET")
                let nowhere = try await client.execute(uri: "/nowhere", method: .get, headers: world.bearer("owner"))
                #expect(nowhere.status == .notFound)
            }
        }
    }

    @Test func aRetriedBookingIsAnsweredFromTheFirstAndBooksOnce() async throws {
        try await withAPI { world, app in
            let monday = futureMonday(3)
            var fields: [String: Any] = ["client_id": world.a.client.id, "therapist_id": world.a.practice.therapist.id,
                                         "date": monday.description, "start": "10:00", "weekly": ["weekdays": [1, 4], "count": 4]]
            let booking = try jsonBody(fields)
            fields["start"] = "11:00"
            let other = try jsonBody(fields)
            try await app.test(.router) { client in
                let headers = world.bearer("frontDesk") + .json + [HTTPField.Name("Idempotency-Key")!: "booking-7f3a"]
                let first = try await client.execute(uri: "/appointments", method: .post, headers: headers, body: booking)
                #expect(first.status == .created)
                #expect(first.headers[.location]?.hasPrefix("/appointments/") == true)
                let again = try await client.execute(uri: "/appointments", method: .post, headers: headers, body: booking)
                #expect(again.status == .created)
                #expect(again.headers[HTTPField.Name("Idempotent-Replay")!] == "true")
                #expect(again.text == first.text)
                let reused = try await client.execute(uri: "/appointments", method: .post, headers: headers, body: other)
                #expect(reused.status == .unprocessableContent)
                #expect(try reused.json()["field"] as? String == "Idempotency-Key")
                let list = try await client.execute(uri: "/appointments?client_id=\(world.a.client.id)&from=\(monday)", method: .get,
                                                    headers: headers)
                #expect((try list.json()["items"] as? [Any])?.count == 4)
            }
        }
    }

    @Test func aDraftNoteIsEditedAndSignedOnlyWithItsCurrentETag() async throws {
        try await withAPI { world, app in
            try await app.test(.router) { client in
                let headers = world.bearer("therapist")
                let read = try await client.execute(uri: "/notes/\(world.a.note)", method: .get, headers: headers)
                let etag = try #require(read.headers[.eTag])
                #expect(etag.hasPrefix("\""))
                let stale = try await client.execute(uri: "/notes/\(world.a.note)", method: .put,
                                                     headers: headers + .json + [.ifMatch: "\"0000\""],
                                                     body: try jsonBody(["plan": "changed without reading"]))
                #expect(stale.status == .preconditionFailed)
                let edited = try await client.execute(uri: "/notes/\(world.a.note)", method: .put, headers: headers + .json + [.ifMatch: etag],
                                                      body: try jsonBody(["plan": "twice weekly"]))
                #expect(edited.status == .ok)
                #expect(try edited.json()["plan"] as? String == "twice weekly")
                let newTag = try #require(edited.headers[.eTag])
                #expect(newTag != etag)
                let signOld = try await client.execute(uri: "/notes/\(world.a.note)/sign", method: .post, headers: headers + [.ifMatch: etag])
                #expect(signOld.status == .preconditionFailed)
                let missing = try await client.execute(uri: "/notes/\(world.a.note)/sign", method: .post, headers: headers)
                #expect(missing.status == .preconditionFailed)
                #expect(try missing.json()["field"] as? String == "If-Match")
                let signed = try await client.execute(uri: "/notes/\(world.a.note)/sign", method: .post, headers: headers + [.ifMatch: newTag])
                #expect(signed.status == .ok)
                #expect(try signed.json()["signed_by"] as? Int == Int(world.a.practice.therapist.id))
            }
            let note = try await PracticeService(database: world.database, context: ServiceContext(practiceID: world.a.practice.practice.id))
                .note(world.a.note)
            #expect(note.plan == "twice weekly")
        }
    }

    @Test func theFrontDeskSeesALettersStatusButNotItsText() async throws {
        try await withAPI { world, app in
            try await app.test(.router) { client in
                let desk = try await client.execute(uri: "/letters/\(world.a.letter)", method: .get, headers: world.bearer("frontDesk"))
                #expect(desk.status == .ok)
                #expect(try desk.json()["body"] == nil)
                #expect(try desk.json()["status"] as? String == "draft")
                #expect(!desk.text.contains("letter text"))
                let therapist = try await client.execute(uri: "/letters/\(world.a.letter)", method: .get, headers: world.bearer("therapist"))
                #expect(try therapist.json()["body"] as? String == "Riverside letter text")
                let sent = try await client.execute(uri: "/letters/\(world.a.letter)/status", method: .post,
                                                    headers: world.bearer("frontDesk") + .json, body: try jsonBody(["status": "sent"]))
                #expect(sent.status == .ok)
                #expect(try sent.json()["status"] as? String == "sent")
            }
        }
    }

    @Test func pagesFollowTheirCursorsToTheEnd() async throws {
        try await withAPI { world, app in
            let service = PracticeService(database: world.database, context: ServiceContext(practiceID: world.a.practice.practice.id))
            for n in 0..<4 {
                _ = try await service.registerClient(.init(name: "Paged \(n)", dateOfBirth: try CalendarDate(parsing: "1970-01-01"),
                                                           painOnset: try CalendarDate(parsing: "2026-01-01")))
            }
            try await app.test(.router) { client in
                var seen: [Int] = []
                var cursor: String?
                var pages = 0
                repeat {
                    let uri = "/clients?limit=2" + (cursor.map { "&cursor=\($0)" } ?? "")
                    let page = try await client.execute(uri: uri, method: .get, headers: world.bearer("owner")).json()
                    seen += (page["items"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? Int }
                    cursor = page["next_cursor"] as? String
                    pages += 1
                } while cursor != nil && pages < 10
                #expect(pages == 3)
                #expect(seen.count == 5)
                #expect(Set(seen).count == 5)
            }
        }
    }

    @Test func readsAndWritesAreAuditedAsTheTokensStaffMember() async throws {
        try await withAPI { world, app in
            try await app.test(.router) { client in
                _ = try await client.execute(uri: "/notes/\(world.a.note)", method: .get, headers: world.bearer("therapist"))
                _ = try await client.execute(uri: "/clients/\(world.a.client.id)/pain", method: .post,
                                             headers: world.bearer("therapist") + .json, body: try jsonBody(["score": 3]))
                let audit = try await client.execute(uri: "/audit?client_id=\(world.a.client.id)&limit=500", method: .get,
                                                     headers: world.bearer("owner"))
                #expect(audit.status == .ok)
                let events = try audit.json()["items"] as? [[String: Any]] ?? []
                let actor = "staff:\(world.a.practice.therapist.id)"
                #expect(events.contains { $0["actor"] as? String == actor && $0["action"] as? String == "read"
                                          && $0["table"] as? String == "session_notes" })
                #expect(events.contains { $0["actor"] as? String == actor && $0["action"] as? String == "insert"
                                          && $0["table"] as? String == "pain_reports" })
                #expect(!audit.text.contains("Riverside Client"))
                // Newest first: the last thing done leads, and a page of one points at the next.
                let ids = events.compactMap { $0["id"] as? Int }
                #expect(ids == ids.sorted(by: >))
                #expect(events.first?["table"] as? String == "pain_reports")
                let first = try await client.execute(uri: "/audit?client_id=\(world.a.client.id)&limit=1", method: .get,
                                                     headers: world.bearer("owner")).json()
                #expect(first["next_cursor"] as? String == "1")
                #expect((first["items"] as? [[String: Any]])?.first?["id"] as? Int == ids.first)
            }
        }
    }

    @Test func metricsCountRoutesByPatternAndCarryNoHealthData() async throws {
        try await withAPI { world, app in
            try await app.test(.router) { client in
                _ = try await client.execute(uri: "/clients/\(world.a.client.id)", method: .get, headers: world.bearer("owner"))
                _ = try await client.execute(uri: "/clients?search=Riverside", method: .get, headers: world.bearer("owner"))
                let metrics = try await client.execute(uri: "/metrics", method: .get)
                #expect(metrics.status == .ok)
                #expect(metrics.text.contains("hb_requests"))
                #expect(metrics.text.contains("/clients/{client_id}"))
                #expect(metrics.text.contains("practice_db_in_use_connections"))
                #expect(!metrics.text.contains("Riverside"))
                #expect(!metrics.text.contains("/clients/\(world.a.client.id)\""))
            }
        }
    }

    @Test func theDocumentIsServedAsWritten() async throws {
        try await withAPI { _, app in
            try await app.test(.router) { client in
                let document = try await client.execute(uri: "/openapi.yaml", method: .get)
                #expect(document.status == .ok)
                #expect(document.text.hasPrefix("openapi: 3.1.0"))
                #expect(document.headers[.contentType]?.hasPrefix("application/yaml") == true)
            }
        }
    }
}
