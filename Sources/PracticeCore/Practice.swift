import Foundation

/// A massage practice: the unit that owns every other record.
public struct Practice: Sendable, Codable, Equatable, Identifiable {
    public var id: Int64
    public var name: String
    /// IANA zone name, e.g. America/New_York. Bookings are made in this zone's wall-clock time.
    public var timeZone: String
    public var policy: EvidencePolicy
    public var identifiers = BillingIdentifiers()

    public init(id: Int64, name: String, timeZone: String, policy: EvidencePolicy) {
        self.id = id
        self.name = name
        self.timeZone = timeZone
        self.policy = policy
    }
}

/// What a superbill names a practice or a therapist by.
public struct BillingIdentifiers: Sendable, Codable, Equatable {
    public var npi: String?
    public var taxID: String?
    public var license: String?
    public var address: String?
    public var phone: String?

    public init(npi: String? = nil, taxID: String? = nil, license: String? = nil, address: String? = nil, phone: String? = nil) {
        self.npi = npi
        self.taxID = taxID
        self.license = license
        self.address = address
        self.phone = phone
    }

    /// Checks what was given: NPI by its check digit, the tax id as an EIN (12-3456789).
    public static func validated(npi: String?, taxID: String?, license: String? = nil, address: String? = nil,
                                 phone: String? = nil) throws(PracticeError) -> BillingIdentifiers {
        let ein = taxID?.trimmingCharacters(in: .whitespaces)
        if let ein, ein.count != 10 || ein.split(separator: "-").map(\.count) != [2, 7] || !ein.replacingOccurrences(of: "-", with: "").allSatisfy(\.isNumber) {
            throw .invalid(field: "--tax-id", reason: "'\(ein)' is not an EIN such as 12-3456789")
        }
        return BillingIdentifiers(npi: try npi.map { n throws(PracticeError) in try NPI.validate(n) }, taxID: ein,
                                  license: Validate.optionalText(license), address: Validate.optionalText(address),
                                  phone: try Validate.phone(phone, field: "--phone"))
    }
}

/// What `practice setup` asks for, checked before anything is written.
public struct NewPractice: Sendable, Equatable {
    public var name: String
    public var timeZone: String

    public init(name: String, timeZone: String) throws(PracticeError) {
        self.name = try Validate.name(name, field: "--name")
        guard timeZone == "UTC" || TimeZone.knownTimeZoneIdentifiers.contains(timeZone) else {
            throw .invalid(field: "--timezone",
                           reason: "'\(timeZone)' is not an IANA time zone such as America/New_York or Europe/London")
        }
        self.timeZone = timeZone
    }
}

public enum StaffRole: String, Sendable, Codable, CaseIterable {
    case owner
    case therapist
    case frontDesk = "front_desk"

    /// The spelling used on the command line (`front-desk`).
    public var cliName: String { rawValue.replacingOccurrences(of: "_", with: "-") }

    public init?(cliName: String) {
        self.init(rawValue: cliName.replacingOccurrences(of: "-", with: "_"))
    }
}

public struct StaffMember: Sendable, Codable, Equatable, Identifiable {
    public var id: Int64
    public var name: String
    public var role: StaffRole
    /// Years specialising in musculoskeletal work; the evidence favours two or more.
    public var mskYears: Double?
    public var email: String?
    public var active: Bool

    public init(id: Int64, name: String, role: StaffRole, mskYears: Double?, email: String?, active: Bool) {
        self.id = id
        self.name = name
        self.role = role
        self.mskYears = mskYears
        self.email = email
        self.active = active
    }
}

public struct NewStaffMember: Sendable, Equatable {
    public var name: String
    public var role: StaffRole
    public var mskYears: Double?
    public var email: String?

    public init(name: String, role: StaffRole, mskYears: Double? = nil, email: String? = nil) throws(PracticeError) {
        self.name = try Validate.name(name, field: "--name")
        self.role = role
        if let mskYears, !mskYears.isFinite || !(0...80).contains(mskYears) {
            throw .invalid(field: "--msk-years", reason: "\(mskYears.formatted1) is outside 0–80 years")
        }
        self.mskYears = mskYears
        self.email = try Validate.email(email, field: "--email")
    }
}

extension Double {
    /// One decimal place, without a trailing ".0" (2 → "2", 2.5 → "2.5").
    /// One decimal at most; any value at all (1e300, infinity, NaN) prints rather than traps.
    public var formatted1: String {
        guard isFinite, abs(self) < 1e15 else { return "\(self)" }
        let tenths = (self * 10).rounded()
        return tenths.truncatingRemainder(dividingBy: 10) == 0 ? String(Int(tenths / 10)) : String(tenths / 10)
    }
}
