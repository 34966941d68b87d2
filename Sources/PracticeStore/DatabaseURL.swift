import Foundation
import NIOCore
import NIOPosix
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

    public var clientConfiguration: PostgresClient.Configuration {
        var configuration: PostgresClient.Configuration
        if let socketDirectory {
            configuration = .init(unixSocketPath: "\(socketDirectory)/.s.PGSQL.\(port)", username: user,
                                  password: password, database: database)
        } else {
            let tls: PostgresClient.Configuration.TLS = switch sslMode {
            case "disable", "allow": .disable
            case "require", "verify-ca", "verify-full": .require(.makeClientConfiguration())
            default: .prefer(.makeClientConfiguration())
            }
            configuration = .init(host: host ?? "localhost", port: port, username: user, password: password,
                                  database: database, tls: tls)
        }
        configuration.options.connectTimeout = .seconds(5)
        // A CLI run opens a connection or two; keep the pool small and let it close quickly.
        configuration.options.maximumConnections = 8
        return configuration
    }

    /// The URL without its password, fit for messages and `--json`.
    public var description: String {
        var text = "postgres://\(user)@"
        if let host { text += "\(host):\(port)" }
        text += "/\(database)"
        if let socketDirectory { text += "?host=\(socketDirectory)" + (port == 5432 ? "" : "&port=\(port)") }
        return text
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
