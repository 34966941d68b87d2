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
/// Roles: `practice_owner` owns the database and runs migrations; `practice_user`, a member of
/// `practice_app`, is what every other command logs in as. It owns nothing and is neither
/// superuser nor BYPASSRLS, so the triggers and row-level security bind it. The bootstrap
/// superuser exists (initdb needs one) but `pg_hba.conf` admits only those two roles.
///
/// The cluster is created in a temporary folder, configured, its roles made in single-user mode
/// (no socket open), and only then renamed into place: a crash at any step leaves nothing that
/// a local user could connect to.
///
/// PostgreSQL refuses to run as root. Run as root, as on a fresh Debian machine, the cluster is
/// created and run as the `postgres` system user (the one Debian's postgresql package creates,
/// or one we add with `useradd --system` like the Debian tools do), and the folder is theirs.
public struct EmbeddedPostgres: Sendable {
    public let dataFolder: String

    public static let bootstrapSuperuser = "postgres"
    public static let ownerRole = "practice_owner"
    public static let appRole = "practice_user"
    public static let appGroup = "practice_app"
    /// Reads every row for `practice backup` (BYPASSRLS, pg_read_all_data) and streams WAL for base
    /// backups and replicas (REPLICATION). Never used by the application's own commands, which
    /// refuse a role that row-level security does not bind.
    public static let backupRole = "practice_backup"
    public static let databaseName = "massagepractice"
    static let systemUser = "postgres"
    /// Written into the cluster once its roles and configuration are in place. Version 2 is the
    /// least-privilege layout; a cluster without it was made by an older `practice` and is upgraded.
    static let layoutMarker = "practice-layout"
    static let layoutVersion = "3"
    /// A unix socket path longer than this does not fit in sockaddr_un.
    static let maximumSocketPath = 107

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
    var stagingDirectory: String { dataFolder + "/pgdata.init" }
    public var socketDirectory: String { dataFolder + "/run" }
    public var logFile: String { dataFolder + "/postgres.log" }
    var socketPath: String { socketDirectory + "/.s.PGSQL.5432" }

    /// What every command but `migrate` uses: the app login role.
    public var url: DatabaseURL {
        DatabaseURL(socketDirectory: socketDirectory, user: Self.appRole, database: Self.databaseName)
    }

    /// What `migrate` uses: the owner of the schema.
    public var ownerURL: DatabaseURL {
        DatabaseURL(socketDirectory: socketDirectory, user: Self.ownerRole, database: Self.databaseName)
    }

    /// What `backup`, base backups and replicas use.
    public var backupURL: DatabaseURL {
        DatabaseURL(socketDirectory: socketDirectory, user: Self.backupRole, database: Self.databaseName)
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
        guard let version = try clusterVersion() else { return status }
        status.state = .stopped
        let result = try runTool("pg_ctl", ["status", "-D", clusterDirectory], version: version)
        if result.status == 0 {
            status.state = .running
            status.pid = Self.postmasterPID(in: clusterDirectory)
        }
        return status
    }

    /// The major version the cluster was created with (its PG_VERSION), or nil when there is none.
    func clusterVersion() throws -> Int? {
        guard let text = try? String(contentsOfFile: clusterDirectory + "/PG_VERSION", encoding: .utf8) else { return nil }
        guard let version = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw PracticeError.database("\(clusterDirectory)/PG_VERSION does not hold a PostgreSQL major version")
        }
        return version
    }

    /// Whether the server that this cluster's postmaster.pid names is alive: the test `pg_ctl
    /// status` makes (a signal 0 to that process), without starting runuser and pg_ctl on every
    /// command, which cost a command line more than all its queries.
    func isRunning() -> Bool {
        guard let pid = Self.postmasterPID(in: clusterDirectory), pid > 0 else { return false }
        return Self.isPostgres(pid)
    }

    /// Whether `pid` is alive and a PostgreSQL server: a crash leaves postmaster.pid behind, and
    /// its pid may since belong to another process (which `pg_ctl status`, run as the cluster's
    /// owner, could not signal and so took for gone).
    static func isPostgres(_ pid: Int) -> Bool {
        guard kill(pid_t(pid), 0) == 0 || errno == EPERM else { return false }
        let command = (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        return command.hasPrefix("postgres")
    }

    static func postmasterPID(in directory: String) -> Int? {
        guard let text = try? String(contentsOfFile: directory + "/postmaster.pid", encoding: .utf8),
              let first = text.split(separator: "\n").first else { return nil }
        return Int(first.trimmingCharacters(in: .whitespaces))
    }

    /// Creates the cluster if there is none, starts it if it is stopped. Safe to call from several
    /// processes at once: they take turns on a lock file in the data folder.
    /// Returns true when it had to start the server.
    @discardableResult
    public func start() throws -> Bool {
        try prepareFolder()
        return try withLock {
            if try clusterVersion() == nil {
                try initialise()
            }
            if isRunning() {
                if try needsLayoutUpgrade() {
                    try stop()
                } else {
                    return false
                }
            }
            if try needsLayoutUpgrade() { try upgradeLayout() }
            try clearStalePID()
            let version = try clusterVersion() ?? 0
            let result = try runTool("pg_ctl", ["start", "-w", "-t", "60", "-D", clusterDirectory, "-l", logFile], version: version)
            guard result.status == 0 else {
                throw PracticeError.unavailable("could not start PostgreSQL in \(clusterDirectory): \(result.lastLine); see \(logFile)")
            }
            return true
        }
    }

    public func stop() throws {
        guard try status().state == .running else { return }
        let result = try runTool("pg_ctl", ["stop", "-w", "-m", "fast", "-D", clusterDirectory], version: try clusterVersion() ?? 0)
        guard result.status == 0 else {
            throw PracticeError.unavailable("could not stop PostgreSQL: \(result.lastLine)")
        }
    }

    // MARK: Creation

    /// initdb into a staging folder, configure it, create the roles and the database in
    /// single-user mode, then rename it into place.
    func initialise() throws {
        try removeStaging()
        let version = try Self.newestInstalledVersion()
        let result = try runTool("initdb", [
            "-D", stagingDirectory, "-U", Self.bootstrapSuperuser, "--auth=reject", "--encoding=UTF8", "--locale=C.UTF-8",
        ], version: version)
        guard result.status == 0 else {
            throw PracticeError.database("initdb failed in \(stagingDirectory): \(result.lastLine)")
        }
        try configure(stagingDirectory)
        try bootstrap(stagingDirectory, version: version, script: [
            "CREATE ROLE \(Self.ownerRole) LOGIN NOSUPERUSER CREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS",
            "CREATE ROLE \(Self.appGroup) NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS",
            "CREATE ROLE \(Self.appRole) LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS IN ROLE \(Self.appGroup)",
            Self.createBackupRole,
            "CREATE DATABASE \(Self.databaseName) OWNER \(Self.ownerRole)",
        ], database: "postgres")
        try writeFile(stagingDirectory + "/" + Self.layoutMarker, Self.layoutVersion + "\n")
        guard rename(stagingDirectory, clusterDirectory) == 0 else {
            throw PracticeError.database("cannot move the new cluster into \(clusterDirectory) (errno \(errno))")
        }
        try Self.fsyncDirectory(dataFolder)
    }

    static var createBackupRole: String {
        "CREATE ROLE \(backupRole) LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE REPLICATION BYPASSRLS IN ROLE pg_read_all_data"
    }

    /// Shared buffers for this machine: a quarter of its memory, between 128 MB (PostgreSQL's
    /// default) and 1 GB. The pages are only taken as the database uses them.
    static var sharedBuffersMB: UInt64 {
        min(max((ProcessInfo.processInfo.physicalMemory / 4) >> 20, 128), 1024)
    }

    /// The settings `practice` adds to postgresql.conf, and the only pg_hba.conf lines.
    func configure(_ directory: String) throws {
        let settings = """

            # Added by `practice` (embedded default database)
            listen_addresses = ''
            unix_socket_directories = \(Self.quoted(socketDirectory))
            unix_socket_permissions = 0700
            max_connections = 300
            shared_buffers = \(Self.sharedBuffersMB)MB
            # Fewer checkpoints during a bulk load (a generated practice of 100,000 clients writes
            # several GB of WAL): each one writes every page again, whole, the next time it changes.
            max_wal_size = 4GB
            checkpoint_timeout = 15min
            # The services run under MemoryDenyWriteExecute, which LLVM's JIT cannot work under.
            jit = off
            fsync = on
            timezone = 'UTC'
            log_line_prefix = '%m [%p] '
            # No health details in the server log: a constraint violation's DETAIL echoes row values,
            # and the failing statement carries them too.
            log_error_verbosity = terse
            log_min_error_statement = panic
            log_statement = 'none'
            log_parameter_max_length = 0
            log_parameter_max_length_on_error = 0

            """
        let conf = directory + "/postgresql.conf"
        let existing = try String(contentsOfFile: conf, encoding: .utf8)
        let marker = "# Added by `practice`"
        let base = existing.range(of: "\n" + marker).map { String(existing[..<$0.lowerBound]) } ?? existing
        try writeFile(conf, base + settings)
        try writeFile(directory + "/pg_hba.conf", """
            # Written by `practice`: only its own roles, only over its private socket (mode 0700).
            # TYPE  DATABASE     USER                                                   METHOD
            local   all          \(Self.ownerRole),\(Self.appRole),\(Self.backupRole)    trust
            local   replication  \(Self.backupRole)                                     trust

            """)
    }

    /// Runs SQL in single-user mode: no server, no socket, nobody else connected.
    func bootstrap(_ directory: String, version: Int, script: [String], database: String) throws {
        let input = script.map { $0 + ";\n\n" }.joined()
        let result = try runTool("postgres", ["--single", "-j", "-D", directory, database], version: version, input: input)
        if result.status != 0 || result.output.contains("ERROR:") || result.output.contains("FATAL:") {
            let problem = result.output.split(separator: "\n").first { $0.contains("ERROR:") || $0.contains("FATAL:") }
            throw PracticeError.database("could not prepare the cluster's roles: \(problem.map(String.init) ?? result.lastLine)")
        }
    }

    func needsLayoutUpgrade() throws -> Bool {
        let marker = try? String(contentsOfFile: clusterDirectory + "/" + Self.layoutMarker, encoding: .utf8)
        return marker?.trimmingCharacters(in: .whitespacesAndNewlines) != Self.layoutVersion
    }

    /// A cluster made by an older `practice` let its superuser in over the socket and owned its
    /// tables as that superuser. With the server stopped: add the roles, hand the database and its
    /// objects to the owner role, and rewrite the configuration.
    func upgradeLayout() throws {
        let version = try clusterVersion() ?? 0
        try bootstrap(clusterDirectory, version: version, script: [
            """
            DO $$ BEGIN \
            IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '\(Self.ownerRole)') THEN \
            CREATE ROLE \(Self.ownerRole) LOGIN NOSUPERUSER CREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS; END IF; \
            IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '\(Self.appGroup)') THEN \
            CREATE ROLE \(Self.appGroup) NOLOGIN; END IF; \
            IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '\(Self.appRole)') THEN \
            CREATE ROLE \(Self.appRole) LOGIN IN ROLE \(Self.appGroup); END IF; \
            IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '\(Self.backupRole)') THEN \
            \(Self.createBackupRole); END IF; \
            IF NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '\(Self.databaseName)') THEN \
            RAISE NOTICE 'no database yet'; END IF; END $$
            """,
        ], database: "postgres")
        if FileManager.default.fileExists(atPath: clusterDirectory + "/base"),
           (try? bootstrap(clusterDirectory, version: version, script: ["SELECT 1"], database: Self.databaseName)) != nil {
            try bootstrap(clusterDirectory, version: version, script: [
                "ALTER DATABASE \(Self.databaseName) OWNER TO \(Self.ownerRole)",
                """
                DO $$ DECLARE r record; BEGIN \
                FOR r IN SELECT c.oid::regclass AS name, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
                WHERE n.nspname = 'public' AND c.relkind IN ('r', 'v', 'm', 'p') LOOP \
                EXECUTE format('ALTER TABLE %s OWNER TO \(Self.ownerRole)', r.name); END LOOP; \
                FOR r IN SELECT p.oid::regprocedure AS name FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
                LEFT JOIN pg_depend d ON d.objid = p.oid AND d.deptype = 'e' \
                WHERE n.nspname = 'public' AND d.objid IS NULL LOOP \
                EXECUTE format('ALTER FUNCTION %s OWNER TO \(Self.ownerRole)', r.name); END LOOP; END $$
                """,
            ], database: Self.databaseName)
        }
        try configure(clusterDirectory)
        try writeFile(clusterDirectory + "/" + Self.layoutMarker, Self.layoutVersion + "\n")
    }

    func removeStaging() throws {
        var info = stat()
        guard lstat(stagingDirectory, &info) == 0 else { return }
        // A staging folder is what a crash during creation left behind; it was never started.
        try FileManager.default.removeItem(atPath: stagingDirectory)
    }

    /// A postmaster.pid whose process is gone, or is not a postgres server, would stop the
    /// server from starting ("lock file already exists").
    func clearStalePID() throws {
        let pidFile = clusterDirectory + "/postmaster.pid"
        guard let pid = Self.postmasterPID(in: clusterDirectory) else { return }
        if !Self.isPostgres(pid) {
            guard unlink(pidFile) == 0 || errno == ENOENT else {
                throw PracticeError.database("cannot remove the stale \(pidFile) (errno \(errno))")
            }
        }
    }

    // MARK: The data folder

    /// Creates the data folder and its socket folder, or checks the ones there: never a symlink,
    /// never writable by group or others, never someone else's.
    func prepareFolder() throws {
        guard socketPath.utf8.count <= Self.maximumSocketPath else {
            throw PracticeError.invalid(field: "PRACTICE_DATA_DIR",
                                        reason: "the socket path \(socketPath) is \(socketPath.utf8.count) bytes; unix sockets allow at most \(Self.maximumSocketPath), so choose a shorter folder")
        }
        let owner: (uid_t, gid_t)? = geteuid() == 0 ? try Self.systemAccount() : nil
        let parent = URL(fileURLWithPath: dataFolder).deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        for folder in [dataFolder, socketDirectory] {
            if mkdir(folder, 0o700) != 0 && errno != EEXIST {
                throw PracticeError.database("cannot create \(folder) (errno \(errno))")
            }
            let descriptor = open(folder, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard descriptor >= 0 else {
                throw PracticeError.refused(errno == ELOOP || errno == ENOTDIR
                    ? "\(folder) is a symbolic link or not a folder; the database folder must be a real folder"
                    : "cannot open \(folder) (errno \(errno))")
            }
            defer { close(descriptor) }
            var info = stat()
            guard fstat(descriptor, &info) == 0 else { throw PracticeError.database("cannot inspect \(folder) (errno \(errno))") }
            let allowedOwners: Set<uid_t> = owner.map { [0, $0.0] } ?? [geteuid()]
            guard allowedOwners.contains(info.st_uid) else {
                throw PracticeError.refused("\(folder) belongs to another user (uid \(info.st_uid)); refusing to use it for health records")
            }
            guard info.st_mode & 0o022 == 0 else {
                throw PracticeError.refused(
                    "\(folder) can be written by group or others (mode \(String(info.st_mode & 0o777, radix: 8))); run `chmod 700 \(folder)` first")
            }
            if let (uid, gid) = owner {
                guard fchown(descriptor, uid, gid) == 0 else {
                    throw PracticeError.database("cannot hand \(folder) to the \(Self.systemUser) user (errno \(errno))")
                }
            }
            guard fchmod(descriptor, 0o700) == 0 else { throw PracticeError.database("cannot restrict \(folder) (errno \(errno))") }
        }
        // The log: created without following a link, owned by the server's user, private.
        let log = open(logFile, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard log >= 0 else {
            throw PracticeError.refused("cannot open \(logFile) (errno \(errno)); it must be a regular file, not a symbolic link")
        }
        defer { close(log) }
        if let (uid, gid) = owner { _ = fchown(log, uid, gid) }
        _ = fchmod(log, 0o600)
        if owner != nil {
            // The postgres user must be able to reach the folder through its parents.
            var folder = URL(fileURLWithPath: dataFolder).deletingLastPathComponent()
            while folder.path != "/" {
                if let mode = (try? FileManager.default.attributesOfItem(atPath: folder.path))?[.posixPermissions] as? Int,
                   mode & 0o001 == 0 {
                    throw PracticeError.database(
                        "the \(Self.systemUser) user cannot enter \(folder.path); choose another PRACTICE_DATA_DIR")
                }
                folder = folder.deletingLastPathComponent()
            }
        }
    }

    /// Writes a file inside the cluster (never through a symlink), owned by the server's user.
    func writeFile(_ path: String, _ text: String) throws {
        let temporary = path + ".new"
        _ = unlink(temporary)
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw PracticeError.database("cannot write \(temporary) (errno \(errno))") }
        var ok = true
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if written <= 0 { ok = false; break }
            offset += written
        }
        if geteuid() == 0, let (uid, gid) = try? Self.systemAccount() { _ = fchown(descriptor, uid, gid) }
        ok = ok && fsync(descriptor) == 0
        close(descriptor)
        guard ok, rename(temporary, path) == 0 else {
            _ = unlink(temporary)
            throw PracticeError.database("cannot write \(path) (errno \(errno))")
        }
    }

    static func fsyncDirectory(_ path: String) throws {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        _ = fsync(descriptor)
        close(descriptor)
    }

    /// Single-quoted for postgresql.conf: a quote inside is doubled.
    static func quoted(_ value: String) -> String {
        "'" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "''") + "'"
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

    // MARK: Server programs

    /// Runs a PostgreSQL server program of the cluster's major version, as the postgres user when we are root.
    func runTool(_ tool: String, _ arguments: [String], version: Int, input: String? = nil) throws -> Shell.Result {
        let path = try Self.binary(tool, version: version)
        if geteuid() == 0 {
            _ = try Self.systemAccount()
            return try Shell.run("/usr/sbin/runuser", ["-u", Self.systemUser, "--", path] + arguments,
                                 directory: dataFolder, input: input)
        }
        return try Shell.run(path, arguments, directory: dataFolder, input: input)
    }

    static let debianRoot = "/usr/lib/postgresql"

    static func installedVersions() -> [Int] {
        ((try? FileManager.default.contentsOfDirectory(atPath: debianRoot)) ?? []).compactMap(Int.init).sorted(by: >)
    }

    static func newestInstalledVersion() throws -> Int {
        if let bin = ProcessInfo.processInfo.environment["PG_BIN_DIR"], !bin.isEmpty { return 0 }
        if let newest = installedVersions().first(where: { FileManager.default.isExecutableFile(atPath: "\(debianRoot)/\($0)/bin/initdb") }) {
            return newest
        }
        return 0
    }

    /// `PG_BIN_DIR` when set; else Debian's programs for `version` (the cluster's PG_VERSION),
    /// else the PATH. Version 0 means "not known yet": the newest installed, for a new cluster.
    static func binary(_ tool: String, version: Int) throws -> String {
        let environment = ProcessInfo.processInfo.environment
        if let bin = environment["PG_BIN_DIR"], !bin.isEmpty {
            guard FileManager.default.isExecutableFile(atPath: "\(bin)/\(tool)") else {
                throw PracticeError.unavailable("PG_BIN_DIR is \(bin), which has no \(tool)")
            }
            return "\(bin)/\(tool)"
        }
        if version > 0 {
            let path = "\(debianRoot)/\(version)/bin/\(tool)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
            if installedVersions().isEmpty, let found = searchPath(tool) { return found }
            throw PracticeError.unavailable(
                "this database was created by PostgreSQL \(version), whose \(tool) is not installed; "
                + "install it with `apt-get install -y postgresql-\(version)` or set PG_BIN_DIR to its bin folder")
        }
        if let newest = installedVersions().first(where: { FileManager.default.isExecutableFile(atPath: "\(debianRoot)/\($0)/bin/\(tool)") }) {
            return "\(debianRoot)/\(newest)/bin/\(tool)"
        }
        if let found = searchPath(tool) { return found }
        throw PracticeError.unavailable(
            "PostgreSQL's \(tool) was not found; install it with `apt-get install -y postgresql` or set PG_BIN_DIR")
    }

    static func searchPath(_ tool: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(tool)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    func withLock<T>(_ body: () throws -> T) throws -> T {
        let descriptor = open(dataFolder + "/.lock", O_CREAT | O_RDWR | O_NOFOLLOW | O_CLOEXEC, 0o600)
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
package enum Shell {
    package struct Result {
        package var status: Int32
        package var output: String
        package var lastLine: String {
            output.split(separator: "\n").last.map(String.init) ?? "exit status \(status)"
        }
    }

    package static func run(_ executable: String, _ arguments: [String], directory: String? = nil, input: String? = nil,
                            environment: [String: String] = [:]) throws -> Result {
        var stdin = "/dev/null"
        if let input {
            stdin = FileManager.default.temporaryDirectory.appendingPathComponent("practice-\(UUID().uuidString).in").path
            let descriptor = open(stdin, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600)
            guard descriptor >= 0 else { throw PracticeError.database("cannot write \(stdin) (errno \(errno))") }
            let bytes = Array(input.utf8)
            let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            close(descriptor)
            guard written == bytes.count else { throw PracticeError.database("cannot write \(stdin)") }
        }
        defer { if input != nil { unlink(stdin) } }
        let capture = FileManager.default.temporaryDirectory.appendingPathComponent("practice-\(UUID().uuidString).out").path
        defer { unlink(capture) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, stdin, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, capture, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // Nothing else of ours leaks into the server that pg_ctl leaves running.
        for descriptor in Int32(3)..<1024 where fcntl(descriptor, F_GETFD) != -1 {
            posix_spawn_file_actions_addclose(&actions, descriptor)
        }
        // coreutils' env changes directory for us (posix_spawn's chdir action isn't exported to Swift).
        let command = directory.map { ["/usr/bin/env", "-C", $0, executable] } ?? [executable]
        let argv: [UnsafeMutablePointer<CChar>?] = (command + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        // This process's environment, with `environment` added or replacing.
        var variables = ProcessInfo.processInfo.environment
        variables.merge(environment) { $1 }
        let envp: [UnsafeMutablePointer<CChar>?] = variables.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { envp.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, command[0], &actions, nil, argv, envp)
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
