import Foundation

/// The life of an appointment: booked → checked in → completed, or cancelled, or a no-show.
/// A trigger on `appointments` enforces the same table of moves.
public enum AppointmentStatus: String, Sendable, Codable, CaseIterable {
    case booked
    case checkedIn = "checked_in"
    case completed
    case cancelled
    case noShow = "no_show"

    public var cliName: String { rawValue.replacingOccurrences(of: "_", with: "-") }

    /// A status read back from the database: one this version does not know is an error, never a
    /// silent default.
    public init(known rawValue: String, id: Int64) throws(PracticeError) {
        guard let status = AppointmentStatus(rawValue: rawValue) else {
            throw .database("appointment \(id) has a status this version does not know: '\(rawValue)'")
        }
        self = status
    }

    /// Whether the appointment holds its time slot (for overlaps and the weekly count).
    public var isLive: Bool { self != .cancelled }

    /// Whether it counts as a visit for the weekly limit: cancelled and no-shows don't.
    public var countsAsVisit: Bool { self == .booked || self == .checkedIn || self == .completed }

    /// Booked or checked in: a visit still to happen, or one that happened and is not recorded yet.
    public var isPending: Bool { self == .booked || self == .checkedIn }

    public func canMove(to next: AppointmentStatus) -> Bool {
        switch (self, next) {
        case (.booked, .checkedIn), (.booked, .completed), (.booked, .cancelled), (.booked, .noShow),
             (.checkedIn, .completed), (.checkedIn, .cancelled):
            true
        default:
            false
        }
    }

    /// The refusal, in words, for a move the state machine does not allow.
    public func refusal(to next: AppointmentStatus, id: Int64) -> PracticeError {
        .refused("appointment \(id) is \(cliName) and cannot be marked \(next.cliName)")
    }
}
