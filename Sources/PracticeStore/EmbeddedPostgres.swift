import Foundation
import PracticeCore
#if canImport(Glibc)
import Glibc
#endif

/// The private PostgreSQL cluster `practice` uses when `DATABASE_URL` is unset.
///
/// Layout of the data folder:
///
///     <data folder>/pgdata        the cluster (initdb)
///     <data folder>/run           its unix socket; it listens on no TCP port at all
///     <data folder>/postgres.log  the server log
///
/// PostgreSQL refuses to run as root. Run as root, as on a fresh Debian machine, the cluster is
/// created and run as the `postgres` system user (the one Debian's postgresql package creates,
/// or one we add with `useradd --system` like the Debian tools do), and the folder is theirs.
public struct EmbeddedPostgres: Sendable {
    public let dataFolder: String

    public static let superuser = "postgres"
    public static let databaseName = "massagepractice"
    static let systemUser = "postgres"

    public init(dataFolder: String) {
        self.dataFolder = dataFolder
    }

    /// `PRACTICE_DATA_DIR` when set; else `/var/lib/massagepractice` for root, and
    /// `$XDG_DATA_HOME/massagepractice` (or `~/.local/share/massagepractice`) for anyone else.
    public static func defaultDataFolder(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let folder = environment["PRACTICE_DATA_DIR"], !folder.isEmpty {
            return URL(fileURLWithPath: folder).standardizedFileURL.path
        }
        if geteuid() == 0 { return "/var/lib/massagepractice" }
        if let xdg = environment["XDG_DATA_HOME"], !xdg.isEmpty { return xdg + "/massagepractice" }
        return (environment["HOME"] ?? NSHomeDirectory()) + "/.local/share/massagepractice"
    }

    public var clusterDirectory: String { dataFolder + "/pgdata" }
    public var socketDirectory: String { dataFolder + "/run" }
    public var logFile: String { dataFolder + "/postgres.log" }

    public var url: DatabaseURL {
        DatabaseURL(socketDirectory: socketDirectory, user: Self.superuser, database: Self.databaseName)
    }

    public enum State: String, Sendable, Codable {
        case notInitialised = "not-initialised"
        case stopped
        case running
    }

    public struct Status: Sendable, Codable {
        public var state: State
        public var dataFolder: String
        public var pid: Int?
        public var url: String
    }

    public func status() throws -> Status {
        var status = Status(state: .notInitialised, dataFolder: dataFolder, pid: nil, url: url.description)
        guard FileManager.default.fileExists(atPath: clusterDirectory + "/PG_VERSION") else { return status }
        status.state = .stopped
        let result = try runTool("pg_ctl", ["status", "-D", clusterDirectory])
        if result.status == 0 {
            status.state = .running
            if let pidText = try? String(contentsOfFile: clusterDirectory + "/postmaster.pid", encoding: .utf8)
                .split(separator: "\n").first {
                status.pid = Int(pidText.trimmingCharacters(in: .whitespaces))
            }
        }
        return status
    }

    /// Creates the cluster if there is none, starts it if it is stopped. Safe to call from several
    /// processes at once: they take turns on a lock file in the data folder.
    /// Returns true when it had to start the server.
    @discardableResult
    public func start() throws -> Bool {
        try prepareFolder()
        return try withLock {
            if !FileManager.default.fileExists(atPath: clusterDirectory + "/PG_VERSION") {
                try initialise()
            }
            if try status().state == .running { return false }
            // A postmaster.pid left by a crash is handled by pg_ctl itself.
            let result = try runTool("pg_ctl", ["start", "-w", "-t", "60", "-D", clusterDirectory, "-l", logFile])
            guard result.status == 0 else {
                throw PracticeError.database("could not start PostgreSQL in \(clusterDirectory): \(result.lastLine); see \(logFile)")
            }
            return true
        }
    }

    public func stop() throws {
        guard try status().state == .running else { return }
        let result = try runTool("pg_ctl", ["stop", "-w", "-m", "fast", "-D", clusterDirectory])
        guard result.status == 0 else {
            throw PracticeError.database("could not stop PostgreSQL: \(result.lastLine)")
        }
    }

    func initialise() throws {
        let result = try runTool("initdb", [
            "-D", clusterDirectory, "-U", Self.superuser, "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8",
        ])
        guard result.status == 0 else {
            throw PracticeError.database("initdb failed in \(clusterDirectory): \(result.lastLine)")
        }
        // Unix socket only, in our own folder, readable by its owner only: `trust` is safe because
        // nobody else can reach the socket. A small footprint suits a single practice's laptop.
        let settings = """

            # Added by `practice` (embedded default database)
            listen_addresses = ''
            unix_socket_directories = '\(socketDirectory)'
            unix_socket_permissions = 0700
            max_connections = 300
            shared_buffers = 128MB
            fsync = on
            timezone = 'UTC'
            log_line_prefix = '%m [%p] '

            """
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: clusterDirectory + "/postgresql.conf"))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(settings.utf8))
        try handle.close()
    }

    func prepareFolder() throws {
        let manager = FileManager.default
        for folder in [dataFolder, socketDirectory] {
            try manager.createDirectory(atPath: folder, withIntermediateDirectories: true,
                                        attributes: [.posixPermissions: 0o700])
        }
        if geteuid() == 0 {
            let (uid, gid) = try Self.systemAccount()
            for path in [dataFolder, socketDirectory] {
                guard chown(path, uid, gid) == 0 else {
                    throw PracticeError.database("cannot hand \(path) to the \(Self.systemUser) user (errno \(errno))")
                }
            }
            if !manager.fileExists(atPath: logFile) {
                _ = manager.createFile(atPath: logFile, contents: nil, attributes: [.posixPermissions: 0o600])
            }
            _ = chown(logFile, uid, gid)
            // The postgres user must be able to reach the folder through its parents.
            var parent = URL(fileURLWithPath: dataFolder).deletingLastPathComponent()
            while parent.path != "/" {
                if let mode = (try? manager.attributesOfItem(atPath: parent.path))?[.posixPermissions] as? Int,
                   mode & 0o001 == 0 {
                    throw PracticeError.database(
                        "the \(Self.systemUser) user cannot enter \(parent.path); choose another PRACTICE_DATA_DIR")
                }
                parent = parent.deletingLastPathComponent()
            }
        }
    }

    /// The uid and gid of the system user that owns the cluster, creating the user if needed.
    static func systemAccount() throws -> (uid_t, gid_t) {
        if let entry = getpwnam(systemUser) { return (entry.pointee.pw_uid, entry.pointee.pw_gid) }
        let result = try Shell.run("/usr/sbin/useradd", ["--system", "--user-group", "--home-dir", "/var/lib/postgresql",
                                                         "--shell", "/usr/sbin/nologin", systemUser])
        guard result.status == 0, let entry = getpwnam(systemUser) else {
            throw PracticeError.database("cannot create the \(systemUser) system user: \(result.lastLine)")
        }
        return (entry.pointee.pw_uid, entry.pointee.pw_gid)
    }

    /// Runs a PostgreSQL server tool, as the postgres user when we are root.
    func runTool(_ tool: String, _ arguments: [String]) throws -> Shell.Result {
        let path = try Self.binary(tool)
        if geteuid() == 0 {
            _ = try Self.systemAccount()
            return try Shell.run("/usr/sbin/runuser", ["-u", Self.systemUser, "--", path] + arguments,
                                 directory: dataFolder)
        }
        return try Shell.run(path, arguments, directory: dataFolder)
    }

    /// Finds `initdb`, `pg_ctl`, … : `PG_BIN_DIR`, else the newest Debian server under
    /// /usr/lib/postgresql, else the PATH.
    static func binary(_ tool: String) throws -> String {
        let environment = ProcessInfo.processInfo.environment
        var candidates: [String] = []
        if let bin = environment["PG_BIN_DIR"], !bin.isEmpty { candidates.append(bin) }
        let debian = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: debian)) ?? [])
            .compactMap(Int.init).sorted(by: >)
        candidates += versions.map { "\(debian)/\($0)/bin" }
        candidates += (environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":").map(String.init)
        for folder in candidates where FileManager.default.isExecutableFile(atPath: "\(folder)/\(tool)") {
            return "\(folder)/\(tool)"
        }
        throw PracticeError.database(
            "PostgreSQL's \(tool) was not found; install it with `apt-get install -y postgresql` or set PG_BIN_DIR")
    }

    func withLock<T>(_ body: () throws -> T) throws -> T {
        let descriptor = open(dataFolder + "/.lock", O_CREAT | O_RDWR, 0o600)
        guard descriptor >= 0 else { throw PracticeError.database("cannot open \(dataFolder)/.lock (errno \(errno))") }
        defer { close(descriptor) }
        guard flock(descriptor, LOCK_EX) == 0 else { throw PracticeError.database("cannot lock \(dataFolder)/.lock") }
        defer { flock(descriptor, LOCK_UN) }
        return try body()
    }
}

/// Runs a program to completion and keeps what it printed.
///
/// posix_spawn and waitpid rather than Foundation's `Process`: `pg_ctl start` leaves a daemon
/// behind, and `Process` could miss its child's exit once that daemon held inherited descriptors.
enum Shell {
    struct Result {
        var status: Int32
        var output: String
        var lastLine: String {
            output.split(separator: "\n").last.map(String.init) ?? "exit status \(status)"
        }
    }

    static func run(_ executable: String, _ arguments: [String], directory: String? = nil) throws -> Result {
        let capture = FileManager.default.temporaryDirectory.appendingPathComponent("practice-\(UUID().uuidString).out").path
        defer { unlink(capture) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, capture, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // Nothing else of ours leaks into the server that pg_ctl leaves running.
        for descriptor in Int32(3)..<1024 where fcntl(descriptor, F_GETFD) != -1 {
            posix_spawn_file_actions_addclose(&actions, descriptor)
        }
        // coreutils' env changes directory for us (posix_spawn's chdir action isn't exported to Swift).
        let command = directory.map { ["/usr/bin/env", "-C", $0, executable] } ?? [executable]
        let argv: [UnsafeMutablePointer<CChar>?] = (command + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, command[0], &actions, nil, argv, environ)
        guard spawned == 0 else {
            throw PracticeError.database("cannot run \(executable): \(String(cString: strerror(spawned)))")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 {
            guard errno == EINTR else { throw PracticeError.database("lost track of \(executable) (errno \(errno))") }
        }
        // WIFEXITED / WEXITSTATUS, spelled out: the macros don't import into Swift.
        let exitStatus: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        let output = (try? String(contentsOfFile: capture, encoding: .utf8)) ?? ""
        return Result(status: exitStatus, output: output)
    }
}
