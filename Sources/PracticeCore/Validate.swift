import Foundation

/// Shared checks for free-text fields, so every command rejects the same things the same way.
enum Validate {
    static func name(_ raw: String, field: String) throws(PracticeError) -> String {
        let trimmed = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw .invalid(field: field, reason: "must not be empty") }
        guard trimmed.count <= 200 else { throw .invalid(field: field, reason: "is longer than 200 characters") }
        guard !trimmed.contains(where: { $0.isNewline }) else {
            throw .invalid(field: field, reason: "must be one line")
        }
        return trimmed
    }

    static func optionalText(_ raw: String?) -> String? {
        guard let trimmed = raw?.trimmingCharacters(in: .whitespacesAndNewlines), !trimmed.isEmpty else { return nil }
        return trimmed
    }

    static func email(_ raw: String?, field: String) throws(PracticeError) -> String? {
        guard let email = optionalText(raw) else { return nil }
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."),
              !parts[1].hasPrefix("."), !parts[1].hasSuffix("."), !email.contains(where: \.isWhitespace)
        else { throw .invalid(field: field, reason: "'\(email)' is not an email address") }
        return email
    }

    static func phone(_ raw: String?, field: String) throws(PracticeError) -> String? {
        guard let phone = optionalText(raw) else { return nil }
        let allowed = Set("0123456789+-() .x")
        guard phone.allSatisfy({ allowed.contains($0) }), phone.filter(\.isNumber).count >= 7 else {
            throw .invalid(field: field, reason: "'\(phone)' is not a phone number")
        }
        return phone
    }
}
