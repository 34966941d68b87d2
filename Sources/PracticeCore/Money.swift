import Foundation

/// Amounts of money as a practice writes them: digits, optionally a point and at most two
/// decimals. Never a `Double`; `1.2.3`, `.`, `0.001` and `1e3` are refused, not rounded.
public enum Money {
    public static func parse(_ text: String, field: String) throws(PracticeError) -> Decimal {
        let parts = text.split(separator: ".", maxSplits: 2, omittingEmptySubsequences: false)
        let whole = parts.first ?? ""
        let fraction = parts.count > 1 ? parts[1] : ""
        guard parts.count <= 2, !whole.isEmpty, whole.count <= 7, whole.allSatisfy(\.isASCIIDigit),
              fraction.count <= 2, fraction.allSatisfy(\.isASCIIDigit), parts.count == 1 || !fraction.isEmpty,
              let value = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX"))
        else { throw .invalid(field: field, reason: "'\(text)' is not an amount such as 95 or 95.50") }
        return value
    }
}

extension Character {
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
