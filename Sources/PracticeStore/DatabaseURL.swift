import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO
import PracticeCore

/// Reads a standard `postgres://user:password@host:port/database?sslmode=…` URL, as libpq does.
/// A unix socket is named the libpq way, by a directory in `host`:
/// `postgres://user@/database?host=/var/run/postgresql`.
public struct DatabaseURL: Sendable, Equatable, CustomStringConvertible {
    public var user: String
    public var password: String?
    public var host: String?
    public var socketDirectory: String?
    public var port: Int
    public var database: String
    public var sslMode: String
    /// libpq's `sslrootcert`: the CA certificates (PEM) that `verify-ca` and `verify-full` trust;
    /// `system` trusts the operating system's. Unset: `~/.postgresql/root.crt` when it exists.
    public var sslRootCert: String?
    /// libpq's `sslcert` and `sslkey`: a client certificate, for servers that ask for one.
    public var sslCert: String?
    public var sslKey: String?

    public init(parsing text: String, field: String = "DATABASE_URL") throws(PracticeError) {
        guard let components = URLComponents(string: text),
              let scheme = components.scheme, ["postgres", "postgresql"].contains(scheme)
        else {
            throw .invalid(field: field, reason: "expected postgres://user:password@host:port/database")
        }
        let query = Dictionary((components.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { $1 })
        user = components.user?.removingPercentEncoding ?? query["user"] ?? "postgres"
        password = components.password?.removingPercentEncoding ?? query["password"]
        port = components.port ?? query["port"].flatMap(Int.init) ?? 5432
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        database = path.removingPercentEncoding.flatMap { $0.isEmpty ? nil : $0 } ?? query["dbname"] ?? user
        sslMode = query["sslmode"] ?? "prefer"
        sslRootCert = query["sslrootcert"].flatMap { $0.isEmpty ? nil : $0 }
        sslCert = query["sslcert"].flatMap { $0.isEmpty ? nil : $0 }
        sslKey = query["sslkey"].flatMap { $0.isEmpty ? nil : $0 }
        guard (sslCert == nil) == (sslKey == nil) else {
            throw .invalid(field: field, reason: "sslcert and sslkey go together")
        }
        let hostName = components.host.flatMap { $0.isEmpty ? nil : $0.removingPercentEncoding } ?? query["host"]
        if let hostName, hostName.hasPrefix("/") {
            socketDirectory = hostName
            host = nil
        } else {
            host = hostName ?? "localhost"
            socketDirectory = nil
        }
        guard ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"].contains(sslMode) else {
            throw .invalid(field: field, reason: "sslmode '\(sslMode)' is not a libpq sslmode")
        }
    }

    /// A URL for a server listening on a unix socket in `socketDirectory`.
    public init(socketDirectory: String, port: Int = 5432, user: String, database: String) {
        self.user = user
        self.password = nil
        self.host = nil
        self.socketDirectory = socketDirectory
        self.port = port
        self.database = database
        self.sslMode = "disable"
    }

    public func with(database: String) -> DatabaseURL {
        var copy = self
        copy.database = database
        return copy
    }

    /// The pool's settings, TLS as libpq's `sslmode` means it:
    /// - `disable`, `allow`: no TLS;
    /// - `prefer`: TLS when the server offers it, the certificate unchecked;
    /// - `require`: TLS or no connection; the certificate is checked against a root certificate only
    ///   when one is given (libpq does the same);
    /// - `verify-ca`: TLS with a certificate signed by a trusted CA;
    /// - `verify-full`: that, and the certificate names the host connected to.
    public func clientConfiguration() throws(PracticeError) -> PostgresClient.Configuration {
        var configuration: PostgresClient.Configuration
        if let socketDirectory {
            configuration = .init(unixSocketPath: "\(socketDirectory)/.s.PGSQL.\(port)", username: user,
                                  password: password, database: database)
        } else {
            let tls: PostgresClient.Configuration.TLS = switch sslMode {
            case "disable", "allow": .disable
            case "prefer": .prefer(try tlsConfiguration(verifying: false))
            default: .require(try tlsConfiguration(verifying: sslMode != "require" || rootCertificatePath != nil))
            }
            configuration = .init(host: host ?? "localhost", port: port, username: user, password: password,
                                  database: database, tls: tls)
        }
        configuration.options.connectTimeout = .seconds(5)
        // A CLI run opens a connection or two; keep the pool small and let it close quickly.
        configuration.options.maximumConnections = 8
        return configuration
    }

    /// The root certificates to trust: `sslrootcert`, else libpq's default file when it exists.
    var rootCertificatePath: String? {
        if let sslRootCert { return sslRootCert }
        let home = ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()
        let standard = home + "/.postgresql/root.crt"
        return FileManager.default.isReadableFile(atPath: standard) ? standard : nil
    }

    func tlsConfiguration(verifying: Bool) throws(PracticeError) -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .none
        if verifying {
            tls.certificateVerification = sslMode == "verify-full" ? .fullVerification : .noHostnameVerification
            switch rootCertificatePath {
            case "system":
                tls.trustRoots = .default
            case let path?:
                guard FileManager.default.isReadableFile(atPath: path) else {
                    throw .invalid(field: "sslrootcert", reason: "\(path) cannot be read")
                }
                tls.trustRoots = .file(path)
            case nil:
                throw .invalid(field: "sslrootcert", reason: "sslmode=\(sslMode) checks the server's certificate, "
                               + "so name the CA's certificate (sslrootcert=/path/ca.crt, or sslrootcert=system)")
            }
        }
        if let sslCert, let sslKey {
            do {
                tls.certificateChain = try NIOSSLCertificate.fromPEMFile(sslCert).map { .certificate($0) }
                tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: sslKey, format: .pem))
            } catch {
                throw .invalid(field: "sslcert", reason: "cannot read the client certificate \(sslCert) or key \(sslKey)")
            }
        }
        return tls
    }

    /// The URL without its password, fit for messages and `--json`.
    public var description: String {
        var text = "postgres://\(user)@"
        if let host { text += "\(host):\(port)" }
        text += "/\(database)"
        var query: [String] = []
        if let socketDirectory {
            query.append("host=\(socketDirectory)")
            if port != 5432 { query.append("port=\(port)") }
        } else if sslMode != "prefer" {
            query.append("sslmode=\(sslMode)")
        }
        for (key, value) in [("sslrootcert", sslRootCert), ("sslcert", sslCert), ("sslkey", sslKey)] {
            if let value { query.append("\(key)=\(value)") }
        }
        return query.isEmpty ? text : text + "?" + query.joined(separator: "&")
    }

    /// The same connection as a libpq keyword string, for PostgreSQL's own programs (pg_dump,
    /// pg_restore, pg_basebackup). The password is not in it: pass `libpqEnvironment`.
    public var libpqConnectionString: String {
        func quoted(_ value: String) -> String {
            "'" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
        }
        var pairs = [("user", user), ("dbname", database), ("port", String(port)), ("sslmode", sslMode)]
        pairs.append(("host", socketDirectory ?? host ?? "localhost"))
        for (key, value) in [("sslrootcert", sslRootCert), ("sslcert", sslCert), ("sslkey", sslKey)] {
            if let value { pairs.append((key, value)) }
        }
        return pairs.map { "\($0.0)=\(quoted($0.1))" }.joined(separator: " ")
    }

    /// The environment PostgreSQL's programs need beside `libpqConnectionString`.
    public var libpqEnvironment: [String: String] {
        var environment = ["PGCONNECT_TIMEOUT": "10"]
        if let password { environment["PGPASSWORD"] = password }
        return environment
    }
}

extension DatabaseURL {
    /// Whether anything accepts connections where this URL points (the unix socket or host and
    /// port), within `timeout`. No login: a server that is stopped, restarting or unreachable
    /// says no at once, which is all a caller deciding "down or only slow?" needs to know.
    public func acceptsConnections(timeout: Duration = .milliseconds(500)) async -> Bool {
        let milliseconds = Int64(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        let bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.milliseconds(milliseconds))
        do {
            let channel = if let socketDirectory {
                try await bootstrap.connect(unixDomainSocketPath: "\(socketDirectory)/.s.PGSQL.\(port)").get()
            } else {
                try await bootstrap.connect(host: host ?? "localhost", port: port).get()
            }
            try? await channel.close()
            return true
        } catch {
            return false
        }
    }
}
