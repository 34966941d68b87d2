/// Recorded text made safe for a terminal. A name or note could carry escape sequences that
/// recolour, retitle or rewrite the screen, or bidirectional overrides that reorder what is
/// shown; none of them reach the terminal.
public enum TerminalText {
    /// Drops C0 controls (but newline and tab), DEL, C1 controls and bidirectional overrides.
    /// A carriage return stays only as half of a CRLF line ending (CSV's); alone, it could
    /// overwrite what a line showed.
    public static func safe(_ text: String, keepLineBreaks: Bool = true) -> String {
        var out = String.UnicodeScalarView()
        let scalars = Array(text.unicodeScalars)
        for (index, scalar) in scalars.enumerated() {
            switch scalar.value {
            case 0x0A, 0x09:
                out.append(keepLineBreaks ? scalar : " ")
            case 0x0D:
                if !keepLineBreaks {
                    out.append(" ")
                } else if index + 1 < scalars.count, scalars[index + 1].value == 0x0A {
                    out.append(scalar)
                }
            case 0x00...0x1F, 0x7F...0x9F, 0x202A...0x202E, 0x2066...0x2069:
                continue
            default:
                out.append(scalar)
            }
        }
        return String(out)
    }

    /// For one table cell: also on one line.
    public static func cell(_ text: String) -> String { safe(text, keepLineBreaks: false) }
}
