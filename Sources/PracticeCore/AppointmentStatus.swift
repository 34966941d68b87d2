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

    /// Whether the appointment holds its time slot (for overlaps and the weekly count).
    public var isLive: Bool { self != .cancelled }

    /// Whether it counts as a visit for the weekly limit: cancelled and no-shows don't.
    public var countsAsVisit: Bool { self == .booked || self == .checkedIn || self == .completed }

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
