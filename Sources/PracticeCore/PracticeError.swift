/// Errors a person can act on. Each message names the field or record and the reason, in one line.
public enum PracticeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Input that breaks a rule: the option or field, and why.
    case invalid(field: String, reason: String)
    /// A record that isn't there (in this practice).
    case notFound(entity: String, id: String)
    /// A record that would duplicate one that exists.
    case duplicate(String)
    /// Two bookings that would overlap, or another clash of state.
    case conflict(String)
    /// Not allowed by a rule, e.g. booking before a red-flag clearance.
    case refused(String)
    /// The acting staff member's role may not do this (the HTTP API's tokens carry a role).
    case forbidden(String)
    /// The database holds no practice, or several and none was chosen.
    case practiceSelection(String)
    /// The database answered with something this version did not expect (an unknown SQLSTATE,
    /// a value it does not know, a failed migration). Exit status 1, like any refusal.
    case database(String)
    /// The database cannot be reached, or the connection was lost mid-command. The only error
    /// with exit status 69.
    case unavailable(String)

    public var description: String {
        switch self {
        case .invalid(let field, let reason): "\(field): \(reason)"
        case .notFound(let entity, let id): "\(entity) \(id) not found"
        case .duplicate(let message), .conflict(let message), .refused(let message), .forbidden(let message),
             .practiceSelection(let message), .database(let message), .unavailable(let message):
            message
        }
    }
}

/// A value read back from the database. One this version does not know (a role, kind or status
/// written by a newer version, or by hand) is an error, never a silent default.
public func known<Value: RawRepresentable>(_ raw: String, as type: Value.Type, in what: String) throws(PracticeError) -> Value
where Value.RawValue == String {
    guard let value = Value(rawValue: raw) else {
        throw .database("\(what) holds '\(raw)', which this version of practice does not know")
    }
    return value
}
