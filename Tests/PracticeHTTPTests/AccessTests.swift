import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import PracticeAPI
import PracticeCore
import PracticeHTTP
import PracticeStore
import PracticeTestSupport
import Testing

/// Who may do what: every role against routes of each kind, in one practice.
@Suite struct RoleMatrixTests {
    /// A route, and for each role whether it is let through (anything but 403) or refused (403).
    struct Case: Sendable {
        var method: HTTPRequest.Method
        var uri: String
        var body: [String: any Sendable]?
        /// owner, therapist (treats the client), otherTherapist (does not), frontDesk
        var allowed: [Bool]
    }

    static func cases(_ world: APIWorld) -> [Case] {
        let a = world.a
        let client = a.client.id
        let monday = futureMonday(4).description
        return [
            Case(method: .get, uri: "/staff", allowed: [true, true, true, true]),
            Case(method: .post, uri: "/staff", body: ["name": "New Hire", "role": "therapist"], allowed: [true, false, false, false]),
            Case(method: .get, uri: "/providers", allowed: [true, true, true, true]),
            Case(method: .post, uri: "/providers", body: ["name": "Dr. New", "kind": "physician"], allowed: [true, false, false, true]),
            Case(method: .get, uri: "/clients", allowed: [true, true, true, true]),
            Case(method: .post, uri: "/clients", body: ["name": "Walk In", "date_of_birth": "1990-01-01", "pain_onset": "2026-06-01"],
                 allowed: [true, false, false, true]),
            Case(method: .get, uri: "/clients/\(client)", allowed: [true, true, false, true]),
            Case(method: .post, uri: "/clients/\(client)/screenings", body: [
                "weight_loss_or_fever": false, "bilateral_numbness_or_bowel_bladder": false, "cancer_or_major_trauma": false],
                 allowed: [true, true, false, true]),
            Case(method: .get, uri: "/clients/\(client)/pain", allowed: [true, true, false, false]),
            Case(method: .post, uri: "/clients/\(client)/pain", body: ["score": 4], allowed: [true, true, false, false]),
            Case(method: .get, uri: "/clients/\(client)/notes", allowed: [true, true, false, false]),
            Case(method: .get, uri: "/clients/\(client)/letters", allowed: [true, true, false, true]),
            Case(method: .get, uri: "/clients/\(client)/summary?provider_id=\(a.practice.physician.id)&format=markdown",
                 allowed: [true, true, false, false]),
            Case(method: .get, uri: "/clients/\(client)/check", allowed: [true, true, false, false]),
            Case(method: .get, uri: "/clients/\(client)/chart", allowed: [true, true, false, false]),
            Case(method: .get, uri: "/check", allowed: [true, false, false, false]),
            Case(method: .get, uri: "/appointments?client_id=\(client)", allowed: [true, true, true, true]),
            Case(method: .post, uri: "/appointments", body: ["client_id": client, "therapist_id": a.practice.therapist.id,
                                                             "date": monday, "start": "09:00"], allowed: [true, true, true, true]),
            Case(method: .get, uri: "/therapists/\(a.practice.therapist.id)/week", allowed: [true, true, true, true]),
            Case(method: .get, uri: "/appointments/\(a.visit)/feedback", allowed: [true, true, false, false]),
            Case(method: .post, uri: "/appointments/\(a.visit)/feedback",
                 body: ["region": "glutes", "pressure": 2, "discomfort": 2, "action": "eased"], allowed: [true, true, false, false]),
            Case(method: .post, uri: "/appointments/\(a.visit)/complete",
                 body: ["minutes": 60, "techniques": ["swedish"], "pain_before": 5, "pain_after": 3], allowed: [true, true, false, false]),
            Case(method: .get, uri: "/notes/\(a.note)", allowed: [true, true, false, false]),
            Case(method: .get, uri: "/letters/\(a.letter)", allowed: [true, true, false, true]),
            Case(method: .get, uri: "/audit", allowed: [true, false, false, false]),
        ]
    }

    @Test func everyRoleAgainstEveryKindOfRoute() async throws {
        try await withAPI { world, app in
            try await app.test(.router) { client in
                for test in Self.cases(world) {
                    for (role, allowed) in zip(APIWorld.roles, test.allowed) {
                        let body = try test.body.map { try jsonBody($0) }
                        let response = try await client.execute(uri: test.uri, method: test.method,
                                                                 headers: world.bearer(role) + .json, body: body)
                        if allowed {
                            #expect(response.status != .forbidden && response.status != .unauthorized
                                    && response.status.code < 500, "\(role) \(test.method) \(test.uri): \(response.text)")
                        } else {
                            #expect(response.status == .forbidden, "\(role) \(test.method) \(test.uri): \(response.status)")
                            #expect(response.headers[.contentType] == "application/problem+json")
                        }
                    }
                }
            }
        }
    }
}

/// One practice per request: a token of practice A, given practice B's ids on every route of the
/// OpenAPI document, reads nothing of B's and changes nothing of B's.
@Suite struct PracticeIsolationTests {
    struct Probe: Sendable {
        var method: HTTPRequest.Method
        var uri: String
        var body: ByteBuffer?
        /// B's id is in the path or the body: the request names one of B's records and must fail.
        /// (An id only in a list's filter may answer an empty list.)
        var namesRecord: Bool
    }

    /// Every operation in the document, with B's ids in its path, its required query and its body.
    static func probes(_ world: APIWorld) throws -> [Probe] {
        let document = try #require(try JSONSerialization.jsonObject(with: Data(PracticeAPIDocument.json.utf8)) as? [String: Any])
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        let generator = BodyGenerator(document: document, ids: [
            "client_id": world.b.client.id, "therapist_id": world.b.practice.therapist.id, "appointment_id": world.b.visit,
            "note_id": world.b.note, "letter_id": world.b.letter, "provider_id": world.b.practice.physician.id,
            "primary_therapist_id": world.b.practice.therapist.id, "staff_id": world.b.owner.id,
        ])
        var probes: [Probe] = []
        for (template, item) in paths.sorted(by: { $0.key < $1.key }) {
            for (name, operation) in item where ["get", "post", "put", "delete", "patch"].contains(name) {
                guard let operation = operation as? [String: Any], let method = HTTPRequest.Method(name.uppercased()) else { continue }
                var uri = template
                for (parameter, id) in generator.ids { uri = uri.replacingOccurrences(of: "{\(parameter)}", with: String(id)) }
                let query = generator.requiredQuery(operation, shared: item["parameters"] as? [[String: Any]] ?? [])
                if !query.isEmpty { uri += "?" + query }
                let body = generator.body(operation)
                let bodyNamesID = body.map { $0.keys.contains { generator.ids[$0] != nil } } ?? false
                probes.append(Probe(method: method, uri: uri, body: try body.map(jsonBody),
                                    namesRecord: template.contains("{") || bodyNamesID))
            }
        }
        return probes
    }

    static func auditCount(_ database: PracticeDatabase, practice: Int64) async throws -> Int {
        try await database.transaction { connection in
            try await connection.query("SELECT set_config('practice.practice_id', \(String(practice)), true)", logger: logger)
            return try await connection.query("SELECT count(*)::int FROM audit_events", logger: logger).decode(Int.self).reduce(0, +)
        }
    }

    @Test func aTokenOfOnePracticeNeitherReadsNorWritesAnothersRecords() async throws {
        try await withAPI { world, app in
            let probes = try Self.probes(world)
            #expect(probes.count >= 40)
            #expect(probes.filter(\.namesRecord).count >= 30)
            let practiceB = world.b.practice.practice.id
            let before = try await Self.auditCount(world.database, practice: practiceB)
            try await app.test(.router) { client in
                for role in APIWorld.roles {
                    for probe in probes {
                        let headers = world.bearer(role) + .json + [.ifMatch: "*"]
                        let response = try await client.execute(uri: probe.uri, method: probe.method, headers: headers,
                                                                 body: probe.body)
                        let what = "\(role) \(probe.method) \(probe.uri)"
                        // Nothing of B's comes back, whatever the status.
                        #expect(!response.text.contains("Elsewhere"), "\(what) leaked: \(response.text.prefix(300))")
                        #expect(response.status.code < 500, "\(what) answered \(response.status)")
                        if probe.namesRecord {
                            #expect([400, 403, 404, 409, 412, 422].contains(response.status.code),
                                    "\(what) answered \(response.status): \(response.text.prefix(200))")
                        }
                    }
                }
            }
            // Every write and every read of clinical data in B lands in B's audit log: none did.
            #expect(try await Self.auditCount(world.database, practice: practiceB) == before)
        }
    }
}

/// The smallest body each operation's schema accepts, with the other practice's ids wherever an
/// id is asked for.
struct BodyGenerator {
    let document: [String: Any]
    let ids: [String: Int64]

    var schemas: [String: Any] { (document["components"] as? [String: Any])?["schemas"] as? [String: Any] ?? [:] }
    var parameters: [String: Any] { (document["components"] as? [String: Any])?["parameters"] as? [String: Any] ?? [:] }

    func resolve(_ value: [String: Any], in table: [String: Any]) -> [String: Any] {
        guard let reference = value["$ref"] as? String, let name = reference.split(separator: "/").last,
              let resolved = table[String(name)] as? [String: Any] else { return value }
        return resolve(resolved, in: table)
    }

    func requiredQuery(_ operation: [String: Any], shared: [[String: Any]]) -> String {
        let all = (shared + (operation["parameters"] as? [[String: Any]] ?? [])).map { resolve($0, in: parameters) }
        return all.filter { $0["in"] as? String == "query" && $0["required"] as? Bool == true }.compactMap { parameter in
            guard let name = parameter["name"] as? String else { return nil }
            let value = ids[name].map(String.init) ?? sample(resolve(parameter["schema"] as? [String: Any] ?? [:], in: schemas), name: name)
            return "\(name)=\(value)"
        }.joined(separator: "&")
    }

    func sample(_ schema: [String: Any], name: String) -> String {
        if schema["format"] as? String == "date" { return futureMonday(2).description }
        return "1"
    }

    func body(_ operation: [String: Any]) -> [String: Any]? {
        guard let body = operation["requestBody"] as? [String: Any],
              let content = body["content"] as? [String: Any], let json = content["application/json"] as? [String: Any],
              let schema = json["schema"] as? [String: Any] else { return nil }
        return value(schema, name: "") as? [String: Any]
    }

    func value(_ raw: [String: Any], name: String) -> Any {
        let schema = resolve(raw, in: schemas)
        if let choices = schema["enum"] as? [Any], let first = choices.first { return first }
        if let id = ids[name] { return id }
        let type = (schema["type"] as? String) ?? (schema["type"] as? [String])?.first ?? "object"
        switch type {
        case "string":
            if schema["format"] as? String == "date" { return practiceToday().description }
            if let pattern = schema["pattern"] as? String, pattern.contains(":") { return "10:00" }
            return "isolation test"
        case "integer", "number": return (schema["minimum"] as? Int).map { max($0, 1) } ?? 1
        case "boolean": return false
        case "array":
            let items = schema["items"] as? [String: Any] ?? [:]
            return [value(items, name: name)]
        default:
            let properties = schema["properties"] as? [String: [String: Any]] ?? [:]
            var required = schema["required"] as? [String] ?? []
            if let minimum = schema["minProperties"] as? Int, required.count < minimum {
                required += properties.keys.sorted().filter { !required.contains($0) }.prefix(minimum - required.count)
            }
            var object: [String: Any] = [:]
            for key in required { object[key] = value(properties[key] ?? [:], name: key) }
            return object
        }
    }
}
