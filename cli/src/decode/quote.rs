//! Quoting bytes read from a target the way strace 6.1 quotes strings, so a decoded argument reads the same
//! in both tools: printable ASCII as is, `\"` and `\\`, the C escapes `\t \n \v \f \r`, and every other
//! byte in octal with as few digits as possible (`\0`, `\33`, `\377`), three when the next byte is an
//! octal digit (`\0001` is NUL then `1`).

use std::fmt::Write as _;

/// Quotes `bytes` as a C string literal in strace's style; `...` follows when `truncated`.
pub fn quote(bytes: &[u8], truncated: bool) -> String {
    let mut out = String::with_capacity(bytes.len() + 2);
    out.push('"');
    for (index, &byte) in bytes.iter().enumerate() {
        match byte {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            0x0b => out.push_str("\\v"),
            0x0c => out.push_str("\\f"),
            b'\r' => out.push_str("\\r"),
            0x20..=0x7e => out.push(char::from(byte)),
            _ => {
                let next_is_octal = bytes.get(index + 1).is_some_and(|b| (b'0'..=b'7').contains(b));
                if next_is_octal {
                    let _ = write!(out, "\\{byte:03o}");
                } else {
                    let _ = write!(out, "\\{byte:o}");
                }
            }
        }
    }
    out.push('"');
    if truncated {
        out.push_str("...");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::quote;

    #[test]
    fn bytes_are_quoted_as_strace_quotes_them() {
        assert_eq!(quote(b"plain", false), "\"plain\"");
        assert_eq!(quote(b"a\"b\\c", false), "\"a\\\"b\\\\c\"");
        assert_eq!(quote(b"\t\n\x0b\x0c\r", false), "\"\\t\\n\\v\\f\\r\"");
        assert_eq!(quote(b"\x7fELF\x02\x01\x00", false), "\"\\177ELF\\2\\1\\0\"");
        // A digit after an escape forces three octal digits, so the escape cannot swallow it.
        assert_eq!(quote(b"\x001", false), "\"\\0001\"");
        assert_eq!(quote(b"\x008", false), "\"\\08\"");
        assert_eq!(quote(b"\xff", true), "\"\\377\"...");
    }
}
