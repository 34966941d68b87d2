import Foundation
import PracticeTestSupport
import Testing

/// `deploy/install.sh` as an administrator runs it, but into a folder (`--destdir`) instead of the
/// live system, and the units it installs as systemd itself reads them: `systemd-analyze verify`
/// from Debian's systemd package (scripts/install-deps.sh installs it).
@Suite("Installing on a Debian server", .timeLimit(.minutes(5)))
struct DeployInstallTests {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static var installScript: String { repository.appendingPathComponent("deploy/install.sh").path }
    static let unitFolder = "/usr/lib/systemd/system"
    static let services = ["practice-server.service", "practice-check.service", "practice-backup.service"]
    static let timers = ["practice-check.timer", "practice-backup.timer"]
    static var units: [String] { services + timers }

    /// What every service runs under: its own user, its settings, and the sandbox.
    static let sandbox: [String: String] = [
        "User": "massagepractice", "Group": "massagepractice",
        "EnvironmentFile": "/etc/massagepractice/practice.env",
        "NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes", "PrivateTmp": "yes",
        "PrivateDevices": "yes", "ProtectKernelTunables": "yes", "ProtectKernelModules": "yes",
        "ProtectControlGroups": "yes", "RestrictAddressFamilies": "AF_UNIX AF_INET AF_INET6",
        "LockPersonality": "yes", "RestrictRealtime": "yes", "RestrictSUIDSGID": "yes",
        "MemoryDenyWriteExecute": "yes", "SystemCallArchitectures": "native", "UMask": "0077",
        "ReadWritePaths": "/var/lib/massagepractice",
    ]

    struct Ran {
        var status: Int32
        var stdout: String
        var stderr: String
        var output: String { stdout + stderr }
    }

    func scratch() throws -> String {
        guard let scratch = ProcessInfo.processInfo.environment["PRACTICE_TEST_SCRATCH"] else {
            throw TestSetupError("PRACTICE_TEST_SCRATCH is not set: run the tests with scripts/test.sh")
        }
        return scratch
    }

    func folder(_ name: String) throws -> String {
        "\(try scratch())/\(name)-\(UUID().uuidString.prefix(6))"
    }

    /// Runs a program to its end; its output goes through files, so neither stream can fill up.
    func run(_ executable: String, _ arguments: [String]) throws -> Ran {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: try scratch())
        let out = try folder("run") + ".out"
        let err = try folder("run") + ".err"
        _ = FileManager.default.createFile(atPath: out, contents: nil)
        _ = FileManager.default.createFile(atPath: err, contents: nil)
        defer {
            try? FileManager.default.removeItem(atPath: out)
            try? FileManager.default.removeItem(atPath: err)
        }
        let outHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
        let errHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: err))
        process.standardOutput = outHandle
        process.standardError = errHandle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try outHandle.close()
        try errHandle.close()
        return Ran(status: process.terminationStatus,
                   stdout: try String(contentsOfFile: out, encoding: .utf8),
                   stderr: try String(contentsOfFile: err, encoding: .utf8))
    }

    func install(into destdir: String, binary: String) throws -> Ran {
        try run(Self.installScript, ["--destdir", destdir, "--prefix", "/usr/local", "--binary", binary])
    }

    /// A stand-in binary, for the tests about files other than the binary.
    func standIn() throws -> String {
        let path = try folder("stand-in")
        try "#!/bin/sh\nexit 0\n".write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o755)
        return path
    }

    func mode(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? -1
    }

    /// A unit file's `Key=value` lines (every value of a key, in order; sections are not told apart).
    static func settings(_ path: String) throws -> [String: [String]] {
        var settings: [String: [String]] = [:]
        for line in try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n") {
            let line = line.trimmingCharacters(in: .whitespaces)
            guard !line.hasPrefix("#"), !line.hasPrefix(";"), !line.hasPrefix("["),
                  let equals = line.firstIndex(of: "=") else { continue }
            settings[String(line[..<equals]), default: []].append(String(line[line.index(after: equals)...]))
        }
        return settings
    }

    static func systemdAnalyze() throws -> String {
        let path = "/usr/bin/systemd-analyze"
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw TestSetupError("\(path) is missing: scripts/install-deps.sh installs Debian's systemd package")
        }
        return path
    }

    /// A root for `systemd-analyze verify --root`: the installed tree (hard links, not copies),
    /// plus what every Debian system has and the units lean on: systemd's own units
    /// (sysinit.target, network-online.target, timers.target…) from this machine's systemd
    /// package, and /bin/sh. With --root, verify reads the units and checks that their commands
    /// exist and are executable inside that root, as systemd would on the target.
    func verifyRoot(of destdir: String) throws -> String {
        let root = try folder("verify-root")
        let systemUnits = FileManager.default.fileExists(atPath: "/usr/lib/systemd/system/sysinit.target")
            ? "/usr/lib/systemd/system" : "/lib/systemd/system"
        try FileManager.default.createDirectory(atPath: root + Self.unitFolder, withIntermediateDirectories: true)
        let host = try run("/bin/cp", ["-a", systemUnits + "/.", root + Self.unitFolder + "/"])
        #expect(host.status == 0, "\(host.stderr)")
        let tree = try run("/bin/cp", ["-a", "--link", "--remove-destination", destdir + "/.", root + "/"])
        #expect(tree.status == 0, "\(tree.stderr)")
        try FileManager.default.createDirectory(atPath: root + "/bin", withIntermediateDirectories: true)
        if !FileManager.default.fileExists(atPath: root + "/bin/sh") {
            try FileManager.default.copyItem(atPath: URL(fileURLWithPath: "/bin/sh").resolvingSymlinksInPath().path,
                                             toPath: root + "/bin/sh")
            chmod(root + "/bin/sh", 0o755)
        }
        return root
    }

    /// `systemd-analyze verify`, which passes only with exit 0 and not a word of output: an unknown
    /// key or a value it cannot parse is printed and ignored, with exit 0.
    func verify(_ units: [String], root: String) throws -> (passed: Bool, output: String) {
        let result = try run(try Self.systemdAnalyze(), ["verify", "--root=\(root)"] + units)
        let output = result.output.trimmingCharacters(in: .whitespacesAndNewlines)
        return (result.status == 0 && output.isEmpty, "exit \(result.status): \(output)")
    }

    @Test func installsTheBinarySettingsAndUnitsThatSystemdAccepts() throws {
        let destdir = try folder("install")
        defer { try? FileManager.default.removeItem(atPath: destdir) }
        let installed = try install(into: destdir, binary: CLI.binary)
        #expect(installed.status == 0, "\(installed.stderr)")
        #expect(installed.stderr.isEmpty, "\(installed.stderr)")

        let binary = destdir + "/usr/local/bin/practice"
        #expect(FileManager.default.isExecutableFile(atPath: binary))
        #expect(try mode(binary) == 0o755)
        #expect(try mode(destdir + "/etc/massagepractice/practice.env") == 0o640)
        #expect(FileManager.default.fileExists(atPath: destdir + "/etc/massagepractice/practice.env.example"))
        let sysusers = try String(contentsOfFile: destdir + "/usr/lib/sysusers.d/massagepractice.conf", encoding: .utf8)
        #expect(sysusers.split(separator: "\n").contains { $0.hasPrefix("u massagepractice ") })
        let tmpfiles = try String(contentsOfFile: destdir + "/usr/lib/tmpfiles.d/massagepractice.conf", encoding: .utf8)
            .split(separator: "\n").filter { !$0.hasPrefix("#") }
            .map { $0.split(separator: " ", omittingEmptySubsequences: true).prefix(3).joined(separator: " ") }
        for folder in ["/var/lib/massagepractice", "/var/lib/massagepractice/outbox", "/var/lib/massagepractice/backups"] {
            #expect(tmpfiles.contains("d \(folder) 0700"), "tmpfiles.d: \(tmpfiles)")
        }

        for unit in Self.units {
            #expect(FileManager.default.fileExists(atPath: destdir + Self.unitFolder + "/" + unit), "\(unit) is not installed")
        }
        for service in Self.services {
            let settings = try Self.settings(destdir + Self.unitFolder + "/" + service)
            for (key, value) in Self.sandbox {
                #expect(settings[key] == [value], "\(service): \(key)=\(settings[key] ?? [])")
            }
            for command in settings.filter({ $0.key.hasPrefix("Exec") }).values.joined() {
                #expect(!command.contains("@"), "\(service): \(command)")
            }
        }
        let server = try Self.settings(destdir + Self.unitFolder + "/practice-server.service")
        #expect(server["ExecStart"] == ["/usr/local/bin/practice serve --host 127.0.0.1 --port 8080"])
        #expect(server["ExecStartPre"] == ["/usr/local/bin/practice migrate"])
        #expect(server["Restart"] == ["on-failure"])
        #expect(server["WantedBy"] == ["multi-user.target"])
        let check = try Self.settings(destdir + Self.unitFolder + "/practice-check.service")
        #expect(check["Type"] == ["oneshot"])
        #expect(check["ExecStart"] == ["/usr/local/bin/practice check --outbox /var/lib/massagepractice/outbox"])
        let backup = try Self.settings(destdir + Self.unitFolder + "/practice-backup.service")
        #expect(backup["Type"] == ["oneshot"])
        #expect(backup["ExecStart"]?.first?.hasPrefix("/usr/local/bin/practice backup --out /var/lib/massagepractice/backups") == true)
        for timer in Self.timers {
            let settings = try Self.settings(destdir + Self.unitFolder + "/" + timer)
            let service = timer.replacingOccurrences(of: ".timer", with: ".service")
            #expect(settings["Unit"] == [service], "\(timer) starts \(settings["Unit"] ?? [])")
            #expect(settings["OnCalendar"]?.count == 1, "\(timer) has no OnCalendar")
            #expect(settings["Persistent"] == ["true"])
            #expect(settings["WantedBy"] == ["timers.target"])
        }

        let root = try verifyRoot(of: destdir)
        defer { try? FileManager.default.removeItem(atPath: root) }
        for unit in Self.units {
            let verified = try verify([unit], root: root)
            #expect(verified.passed, "systemd-analyze verify \(unit): \(verified.output)")
        }
    }

    /// The check above could pass on a verifier that says nothing: the same setup must reject a
    /// misspelled directive, a value it cannot parse and a command that is not there.
    @Test func systemdAnalyzeCatchesABrokenUnit() throws {
        let destdir = try folder("install-broken")
        defer { try? FileManager.default.removeItem(atPath: destdir) }
        #expect(try install(into: destdir, binary: try standIn()).status == 0)
        let root = try verifyRoot(of: destdir)
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(try verify(["practice-server.service"], root: root).passed)

        let good = try String(contentsOfFile: root + Self.unitFolder + "/practice-server.service", encoding: .utf8)
        let breakages = [
            ("misspelled", "NoNewPrivileges=yes", "NoNewPrivilege=yes", "Unknown key"),
            ("bad-value", "ProtectSystem=strict", "ProtectSystem=strictest", "strictest"),
            ("missing-command", "ExecStart=/usr/local/bin/practice", "ExecStart=/usr/local/bin/practise", "practise"),
        ]
        for (name, from, to, diagnostic) in breakages {
            #expect(good.contains(from))
            let unit = "practice-broken-\(name).service"
            try good.replacingOccurrences(of: from, with: to)
                .write(toFile: root + Self.unitFolder + "/" + unit, atomically: true, encoding: .utf8)
            let verified = try verify([unit], root: root)
            #expect(!verified.passed, "\(name) was accepted")
            #expect(verified.output.contains(diagnostic), "\(name): \(verified.output)")
        }
    }

    /// A practice's settings survive a reinstall or an upgrade; the template is refreshed beside them.
    @Test func aReinstallKeepsTheSettings() throws {
        let destdir = try folder("install-twice")
        defer { try? FileManager.default.removeItem(atPath: destdir) }
        let binary = try standIn()
        #expect(try install(into: destdir, binary: binary).status == 0)
        let settings = destdir + "/etc/massagepractice/practice.env"
        let example = settings + ".example"
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: settings))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("DATABASE_URL=postgres://marker@/massagepractice\n".utf8))
        try handle.close()
        try FileManager.default.removeItem(atPath: example)

        let again = try install(into: destdir, binary: binary)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("kept"))
        #expect(try String(contentsOfFile: settings, encoding: .utf8).contains("DATABASE_URL=postgres://marker@/massagepractice\n"))
        #expect(try mode(settings) == 0o640)
        #expect(FileManager.default.fileExists(atPath: example))
    }

    @Test func badInputGetsOneClearLine() throws {
        let destdir = try folder("install-refused")
        let binary = try standIn()
        let attempts: [(arguments: [String], names: String)] = [
            (["--destdir", destdir, "--binary", binary, "--no-such-option"], "--no-such-option"),
            (["--destdir", destdir, "--prefix", "relative/path", "--binary", binary], "relative/path"),
            (["--destdir", destdir, "--binary", destdir + "-no-binary"], destdir + "-no-binary"),
            (["--destdir"], "--destdir"),
        ]
        for attempt in attempts {
            let result = try run(Self.installScript, attempt.arguments)
            #expect(result.status != 0, "\(attempt.arguments)")
            let lines = result.stderr.split(separator: "\n")
            #expect(lines.count == 1 && result.stderr.contains(attempt.names), "\(attempt.arguments): \(result.stderr)")
            #expect(result.stdout.isEmpty, "\(attempt.arguments): \(result.stdout)")
        }
        #expect(!FileManager.default.fileExists(atPath: destdir), "a refused install wrote files")

        let help = try run(Self.installScript, ["--help"])
        #expect(help.status == 0 && help.stdout.contains("--destdir") && help.stderr.isEmpty)
    }
}
