import Foundation

/// A clinician outside the practice who prescribes, clears, receives referrals or coordinates care.
public enum ProviderKind: String, Sendable, Codable, CaseIterable {
    case physician
    case physicalTherapist = "physical_therapist"
    case spineSpecialist = "spine_specialist"

    public var cliName: String { rawValue.replacingOccurrences(of: "_", with: "-") }

    public init?(cliName: String) {
        self.init(rawValue: cliName.replacingOccurrences(of: "-", with: "_"))
    }

    /// Whose clearance lifts a red-flag hold: a physician's (a spine specialist is one).
    public var canClearRedFlags: Bool { self != .physicalTherapist }
}

public struct Provider: Sendable, Codable, Equatable, Identifiable {
    public var id: Int64
    public var name: String
    public var kind: ProviderKind
    public var npi: String?
    public var clinic: String?
    public var phone: String?
    public var fax: String?
    public var email: String?

    public init(id: Int64, name: String, kind: ProviderKind, npi: String?, clinic: String?,
                phone: String?, fax: String?, email: String?) {
        self.id = id
        self.name = name
        self.kind = kind
        self.npi = npi
        self.clinic = clinic
        self.phone = phone
        self.fax = fax
        self.email = email
    }
}

public struct NewProvider: Sendable, Equatable {
    public var name: String
    public var kind: ProviderKind
    public var npi: String?
    public var clinic: String?
    public var phone: String?
    public var fax: String?
    public var email: String?

    public init(name: String, kind: ProviderKind, npi: String? = nil, clinic: String? = nil,
                phone: String? = nil, fax: String? = nil, email: String? = nil) throws(PracticeError) {
        self.name = try Validate.name(name, field: "--name")
        self.kind = kind
        self.npi = try npi.map { n throws(PracticeError) in try NPI.validate(n) }
        self.clinic = Validate.optionalText(clinic)
        self.phone = try Validate.phone(phone, field: "--phone")
        self.fax = try Validate.phone(fax, field: "--fax")
        self.email = try Validate.email(email, field: "--email")
    }
}

/// National Provider Identifier: ten digits, the last a Luhn check digit over "80840" + the first nine.
public enum NPI {
    public static func validate(_ raw: String) throws(PracticeError) -> String {
        let npi = raw.filter { !$0.isWhitespace }
        guard npi.count == 10, npi.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw .invalid(field: "--npi", reason: "'\(raw)' is not a 10-digit NPI")
        }
        guard npi.first == "1" || npi.first == "2" else {
            throw .invalid(field: "--npi", reason: "an NPI starts with 1 or 2, not \(npi.first!)")
        }
        guard isLuhnValid("80840" + npi) else {
            throw .invalid(field: "--npi", reason: "\(npi) fails the NPI check digit")
        }
        return npi
    }

    static func isLuhnValid(_ digits: String) -> Bool {
        var sum = 0
        for (index, character) in digits.reversed().enumerated() {
            guard var d = character.wholeNumberValue else { return false }
            if index % 2 == 1 {
                d *= 2
                if d > 9 { d -= 9 }
            }
            sum += d
        }
        return sum % 10 == 0
    }
}
