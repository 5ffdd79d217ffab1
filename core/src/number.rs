//! The one number reader of every grammar of the project: the policy text (`allow 1_000`,
//! `args[0] == 0x10`), the action syntax (`errno(1_0)`, `trace(0x7)`), the assembler (`jeq #0xc000003e`,
//! `ret ERRNO(1)`) and, in the CLI, the handler-rule files (`port == 0x50`, `dev in [1:3]`).
//!
//! A number is decimal, or hexadecimal after `0x` or `0X`, with `_` allowed between digits (not before
//! the first one) for readability. Each grammar decides where a number word ends and how large it may be;
//! this module only turns the word into a value.

/// Why a number word does not read as a `u64`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NumberError {
    /// Not a number: empty, no digit first, or a character that is no digit of its radix.
    Invalid,
    /// A number, but larger than `u64::MAX`.
    Overflow,
}

/// Reads `word` (the whole of it) as an unsigned number; see the module documentation for the syntax.
pub fn parse(word: &str) -> Result<u64, NumberError> {
    let (digits, radix) = match word.strip_prefix("0x").or_else(|| word.strip_prefix("0X")) {
        Some(hex) => (hex, 16),
        None => (word, 10),
    };
    if !digits
        .bytes()
        .next()
        .is_some_and(|b| char::from(b).is_digit(radix))
    {
        return Err(NumberError::Invalid);
    }
    let mut value: u64 = 0;
    let mut overflow = false;
    for byte in digits.bytes() {
        if byte == b'_' {
            continue;
        }
        let digit = char::from(byte).to_digit(radix).ok_or(NumberError::Invalid)?;
        match value
            .checked_mul(u64::from(radix))
            .and_then(|v| v.checked_add(u64::from(digit)))
        {
            Some(next) => value = next,
            None => overflow = true,
        }
    }
    if overflow {
        Err(NumberError::Overflow)
    } else {
        Ok(value)
    }
}

/// The length of the number word at the start of `text`: the characters a number can contain (ASCII
/// letters and digits, for hexadecimal and its prefix, and `_`). Whether they form a number is
/// [`parse`]'s question.
pub(crate) fn word_len(text: &str) -> usize {
    text.bytes()
        .position(|b| !(b.is_ascii_alphanumeric() || b == b'_'))
        .unwrap_or(text.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_decimal_hex_and_separators_alike_in_every_grammar() {
        let cases: [(&str, Result<u64, NumberError>); 14] = [
            ("0", Ok(0)),
            ("42", Ok(42)),
            ("1_000", Ok(1000)),
            ("1_0", Ok(10)),
            ("0x10", Ok(16)),
            ("0XfF", Ok(255)),
            ("0xffff_ffff", Ok(0xffff_ffff)),
            ("18446744073709551615", Ok(u64::MAX)),
            ("18446744073709551616", Err(NumberError::Overflow)),
            ("0x1_0000_0000_0000_0000", Err(NumberError::Overflow)),
            ("", Err(NumberError::Invalid)),
            ("_1", Err(NumberError::Invalid)),
            ("0x", Err(NumberError::Invalid)),
            ("12a", Err(NumberError::Invalid)),
        ];
        for (word, expected) in cases {
            assert_eq!(parse(word), expected, "{word:?}");
        }
        assert_eq!(word_len("0x1f, 2"), 4);
        assert_eq!(word_len("1_000)"), 5);
    }

    #[test]
    fn the_action_syntax_the_assembler_and_the_policy_text_agree() {
        use crate::abi::{self, SockFilter};
        use crate::action::Action;
        let errno_10 = Action(abi::RET_ERRNO | 10);
        for text in ["errno(10)", "errno(1_0)", "errno(0xa)", "errno(0x_a)"] {
            let parsed: Result<Action, _> = text.parse();
            assert_eq!(parsed.ok(), (text != "errno(0x_a)").then_some(errno_10), "{text}");
        }
        let mut out = [SockFilter::default(); 2];
        let program = crate::bpf::assemble("ret ERRNO(1_0)\n", &mut out).map(|p| p.to_vec());
        assert_eq!(
            program.ok(),
            Some(std::vec![SockFilter::ret(abi::RET_ERRNO | 10)])
        );
        let policy = crate::policy::Policy::<4, 4>::parse(
            "default allow\nerrno(1_0) 1_000\n",
            crate::arch::Arch::X86_64,
        );
        let rule = policy
            .as_ref()
            .ok()
            .and_then(|p| p.rule(0))
            .map(|r| (r.nr(), r.action()));
        assert_eq!(rule, Some((1000, errno_10)));
    }
}
