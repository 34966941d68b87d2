/// A person treated for low-back pain.
public struct Client: Sendable, Codable, Equatable, Identifiable {
    public var id: Int64
    public var name: String
    public var dateOfBirth: CalendarDate
    public var phone: String?
    public var email: String?
    public var painOnset: CalendarDate
    public var primaryTherapistID: Int64?
    public var active: Bool

    public init(id: Int64, name: String, dateOfBirth: CalendarDate, phone: String?, email: String?,
                painOnset: CalendarDate, primaryTherapistID: Int64?, active: Bool) {
        self.id = id
        self.name = name
        self.dateOfBirth = dateOfBirth
        self.phone = phone
        self.email = email
        self.painOnset = painOnset
        self.primaryTherapistID = primaryTherapistID
        self.active = active
    }
}

public struct NewClient: Sendable, Equatable {
    public var name: String
    public var dateOfBirth: CalendarDate
    public var painOnset: CalendarDate
    public var phone: String?
    public var email: String?
    public var primaryTherapistID: Int64?

    /// Checks the dates against `today`: no births or onsets in the future, no onset before birth.
    public init(name: String, dateOfBirth: CalendarDate, painOnset: CalendarDate, phone: String? = nil,
                email: String? = nil, primaryTherapistID: Int64? = nil, today: CalendarDate) throws(PracticeError) {
        self.name = try Validate.name(name, field: "--name")
        guard dateOfBirth <= today else {
            throw .invalid(field: "--dob", reason: "\(dateOfBirth) is in the future")
        }
        guard dateOfBirth.year >= 1900 else {
            throw .invalid(field: "--dob", reason: "\(dateOfBirth) is before 1900")
        }
        guard painOnset <= today else {
            throw .invalid(field: "--pain-onset", reason: "\(painOnset) is in the future")
        }
        guard painOnset >= dateOfBirth else {
            throw .invalid(field: "--pain-onset", reason: "\(painOnset) is before the date of birth \(dateOfBirth)")
        }
        self.dateOfBirth = dateOfBirth
        self.painOnset = painOnset
        self.phone = try Validate.phone(phone, field: "--phone")
        self.email = try Validate.email(email, field: "--email")
        self.primaryTherapistID = primaryTherapistID
    }
}
