import Foundation
import PracticeStore
import PracticeTestSupport
import Testing

/// deploy/replica.sh and DATABASE_READ_URL: a streaming standby of the test's own embedded
/// primary, both on loopback (unix sockets). The check and reports read the standby; writes go
/// to the primary; a write sent to the standby is refused cleanly.
@Suite("A read replica", .timeLimit(.minutes(5)))
struct ReadReplicaTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    func objects(_ result: CLI.Result) throws -> [[String: Any]] {
        guard let list = try result.json() as? [[String: Any]] else { throw TestSetupError("not a JSON list: \(result.stdout)") }
        return list
    }

    func checkEvents(_ cli: CLI) throws -> Int {
        try objects(try cli.run("audit", "--json", "--limit", "100000")).filter { ($0["table"] as? String) == "frequency_check" }.count
    }

    @Test func aBookingOnThePrimaryReachesTheReplicasCheckAndWritesAreRefusedThere() async throws {
        guard let scratch = ProcessInfo.processInfo.environment["PRACTICE_TEST_SCRATCH"] else {
            throw TestSetupError("PRACTICE_TEST_SCRATCH is not set: run the tests with scripts/test.sh")
        }
        let root = "\(scratch)/rep-\(UUID().uuidString.prefix(6))"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        let primary = CLI(environment: ["PRACTICE_DATA_DIR": root + "/db"])
        let standby = CLI(environment: ["PRACTICE_DATA_DIR": root + "/sb"])
        defer {
            _ = try? standby.run("db", "stop")
            _ = try? primary.run("db", "stop")
            try? FileManager.default.removeItem(atPath: root)
        }
        try #require(try primary.run("db", "start").status == 0)
        try #require(try primary.run("demo").status == 0)
        let backupURL = try primary.run("db", "url", "--backup").stdout.trimmingCharacters(in: .whitespacesAndNewlines)

        let made = try Shell.run("/bin/bash", [Self.repository.appendingPathComponent("deploy/replica.sh").path, backupURL,
                                               root + "/sb/pgdata", "--socket-dir", root + "/sb/run", "--log", root + "/sb/postgres.log"])
        try #require(made.status == 0, "\(made.output)")
        let readURL = made.lastLine
        #expect(readURL.hasPrefix("postgres://practice_user@") && readURL.contains(root + "/sb/run"), "\(made.output)")

        // The primary with its replica, as a deployment runs it.
        var both = primary
        both.environment["DATABASE_READ_URL"] = readURL

        // A booking on the primary: a new client, screened, booked 20 weeks ahead.
        let therapist = try #require(try objects(try primary.run("staff", "list", "--role", "therapist", "--json")).first?["id"] as? Int)
        let added = try both.run("client", "add", "--name", "Replica Reader", "--dob", "1979-05-06", "--pain-onset", "2026-09-01",
                                 "--therapist", String(therapist), "--json")
        try #require(added.status == 0, "\(added.stderr)")
        let client = try #require(try added.object()["id"] as? Int)
        try #require(try both.run("screening", "record", String(client), "--weight-loss-or-fever", "no",
                                  "--bilateral-numbness-or-bowel-bladder", "no", "--cancer-or-major-trauma", "no").status == 0)
        var day = Calendar(identifier: .iso8601).date(byAdding: .weekOfYear, value: 20, to: Date()) ?? Date()
        while Calendar(identifier: .iso8601).component(.weekday, from: day) != 3 { day = day.addingTimeInterval(86_400) }
        let date = String(ISO8601DateFormatter().string(from: day).prefix(10))
        let booked = try both.run("appointment", "book", String(client), "--therapist", String(therapist), "--at", "\(date) 10:00",
                                  "--override", "replica test", "--json")
        try #require(booked.status == 0, "\(booked.stderr)")

        // The replica's check shows it within 5 s (the client's first visit: a future booking).
        let start = ContinuousClock.now
        var seen = false
        while !seen, ContinuousClock.now - start < .seconds(5) {
            let check = try both.run("check", "--client", String(client), "--json")
            if let clients = try check.object()["clients"] as? [[String: Any]],
               let metrics = clients.first?["metrics"] as? [String: Any], (metrics["has_future_booking"] as? Bool) == true {
                seen = true
            } else {
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        #expect(seen, "the booking did not reach the replica's check within 5 s")

        // The check read on the replica still left its audit event, written on the primary.
        let eventsBefore = try checkEvents(primary)
        #expect([0, 2].contains(try both.run("check", "--json").status))
        #expect(try checkEvents(primary) == eventsBefore + 1)

        // A write sent to the replica: refused in one line, and nothing written.
        let onReplica = CLI(environment: ["DATABASE_URL": readURL])
        let clientsBefore = try objects(try primary.run("client", "list", "--all", "--json")).count
        let refused = try onReplica.run("client", "add", "--name", "Not Written", "--dob", "1980-01-01", "--pain-onset", "2026-10-01")
        #expect(refused.status == 69)
        #expect(refused.stderr.contains("read-only replica") && refused.stderr.split(separator: "\n").count == 1, "\(refused.stderr)")
        #expect(try objects(try primary.run("client", "list", "--all", "--json")).count == clientsBefore)
        // So is a read: it cannot be audited there (its event is a write), and no read goes
        // unaudited. Reads go to a replica through DATABASE_READ_URL, which audits on the primary.
        let unaudited = try onReplica.run("client", "show", String(client))
        #expect(unaudited.status == 69 && unaudited.stdout.isEmpty, "\(unaudited.stdout)")
        #expect(unaudited.stderr.contains("read-only replica") && unaudited.stderr.split(separator: "\n").count == 1,
                "\(unaudited.stderr)")
        #expect(try onReplica.run("client", "list", "--all", "--json").status == 0)  // a list of names records no read

        // Reads really go to the replica: with it stopped, the check cannot run; without
        // DATABASE_READ_URL it runs on the primary.
        #expect(try standby.run("db", "stop").status == 0)
        let noReplica = try both.run("check", "--json")
        #expect(noReplica.status == 69, "\(noReplica.stderr)")
        #expect([0, 2].contains(try primary.run("check", "--json").status))
    }
}
