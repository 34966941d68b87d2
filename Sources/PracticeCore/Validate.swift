import Foundation

/// Shared checks for free-text fields, so every command rejects the same things the same way.
enum Validate {
    static func name(_ raw: String, field: String) throws(PracticeError) -> String {
        try TextInput.check(raw, field: field, multiline: true)
        if raw.unicodeScalars.contains(where: { (0x202A...0x202E).contains($0.value) || (0x2066...0x2069).contains($0.value) }) {
            throw .invalid(field: field, reason: "contains a bidirectional override, which can make a name display as another")
        }
        let trimmed = NameText.normalized(raw.trimmingCharacters(in: .whitespacesAndNewlines))
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

/// Text as it comes in, from the command line, a file or the API: valid UTF-8, no NUL, no control
/// characters but newline and tab (and those only where text may run over lines).
public enum TextInput {
    /// The first thing wrong with `text`, said for a person, or nil.
    public static func problem(in text: String, multiline: Bool = true) -> String? {
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x00: return "contains a NUL character"
            case 0x0A, 0x09: if !multiline { return "must be one line" }
            case 0x0D: return "contains a carriage return; use plain line breaks"
            case 0x01...0x1F, 0x7F: return "contains the control character U+\(String(format: "%04X", scalar.value))"
            case 0x80...0x9F: return "contains the control character U+\(String(format: "%04X", scalar.value))"
            case 0xFFFD: return "contains U+FFFD, the mark of text that was not valid UTF-8"
            default: continue
            }
        }
        return nil
    }

    public static func check(_ text: String, field: String, multiline: Bool = true) throws(PracticeError) {
        if let problem = problem(in: text, multiline: multiline) { throw .invalid(field: field, reason: problem) }
    }

    /// Raw bytes (an argument, a file): refused unless valid UTF-8.
    public static func decode(_ bytes: [UInt8], field: String) throws(PracticeError) -> String {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw .invalid(field: field, reason: "is not valid UTF-8 text")
        }
        return text
    }
}

/// Names are stored and compared in Unicode NFC, so "Zoë" typed as z-o-e-combining-diaeresis and
/// "Zoë" typed precomposed are one client, not twins.
public enum NameText {
    public static func normalized(_ text: String) -> String { text.precomposedStringWithCanonicalMapping }
}
