import Foundation

/// An incoming prescription's limits, and what a booking or completion does to them.
public struct PrescriptionLimits: Sendable, Codable, Equatable {
    public var letterID: Int64
    public var sessionsAuthorised: Int?
    public var validUntil: CalendarDate?
    /// Sessions booked or completed since the prescription's date, this one included.
    public var sessionsUsed: Int

    public init(letterID: Int64, sessionsAuthorised: Int?, validUntil: CalendarDate?, sessionsUsed: Int) {
        self.letterID = letterID
        self.sessionsAuthorised = sessionsAuthorised
        self.validUntil = validUntil
        self.sessionsUsed = sessionsUsed
    }

    /// Warnings for a visit on `date` (rule `billing`): beyond the sessions authorised, or after expiry.
    public func warnings(forVisitOn date: CalendarDate) -> [Warning] {
        var warnings: [Warning] = []
        if let authorised = sessionsAuthorised, sessionsUsed > authorised {
            warnings.append(Warning(.prescriptionSessions, rule: .billing,
                                    "session \(sessionsUsed) is beyond the \(authorised) authorised by prescription \(letterID)"))
        }
        if let validUntil, date > validUntil {
            warnings.append(Warning(.prescriptionExpired, rule: .billing,
                                    "\(date) is after prescription \(letterID) expired on \(validUntil)"))
        }
        return warnings
    }
}

/// ICD-10-CM codes as prescriptions carry them, e.g. M54.50.
public enum ICD10 {
    /// The one definition: `referral_letters.diagnosis_code`'s CHECK uses the same expression, and
    /// a test reads it back from the catalog and compares.
    public static let pattern = "^[A-TV-Z][0-9][0-9AB](\\.[0-9A-Z]{1,4})?$"

    public static func validate(_ raw: String) throws(PracticeError) -> String {
        let code = raw.uppercased().filter { !$0.isWhitespace }
        guard code.range(of: pattern, options: .regularExpression) != nil else {
            throw .invalid(field: "--diagnosis", reason: "'\(raw)' is not an ICD-10 code such as M54.50")
        }
        return code
    }
}
