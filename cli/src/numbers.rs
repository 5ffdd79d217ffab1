//! Number syntax shared by the command line: decimal, `0x` hexadecimal, and negative decimals.

/// Parses an unsigned 64-bit value: decimal, `0x` hex, or a negative decimal taken as the two's-complement
/// register value the kernel would see (`-1` is `0xffff_ffff_ffff_ffff`), as syscall arguments are.
pub fn parse_register(text: &str) -> Option<u64> {
    let text = text.trim();
    if let Some(hex) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        return u64::from_str_radix(hex, 16).ok();
    }
    if text.starts_with('-') {
        return text.parse::<i64>().ok().map(|v| v as u64);
    }
    text.parse::<u64>().ok()
}

/// Parses a signed 64-bit value: decimal (possibly negative) or `0x` hex (two's complement).
pub fn parse_i64(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Some(hex) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        return u64::from_str_radix(hex, 16).ok().map(|v| v as i64);
    }
    text.parse::<i64>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registers_parse_in_every_accepted_form() {
        assert_eq!(parse_register("42"), Some(42));
        assert_eq!(parse_register("0x2a"), Some(42));
        assert_eq!(parse_register("-1"), Some(u64::MAX));
        assert_eq!(parse_register("-100"), Some(0xffff_ffff_ffff_ff9c));
        assert_eq!(parse_register("18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_register("18446744073709551616"), None);
        assert_eq!(parse_register("0x"), None);
        assert_eq!(parse_register("twelve"), None);
        assert_eq!(parse_i64("-5"), Some(-5));
        assert_eq!(parse_i64("0xffffffffffffffff"), Some(-1));
    }
}
