//! The native text format of policies: a line-oriented parser that needs no allocation, and the writer
//! (`Display`) that produces text the parser reads back to an equal policy.
//!
//! ```text
//! arch x86_64
//! default errno(EPERM)
//! bad-arch kill-process
//! allow read write close exit_group rt_sigreturn
//! allow openat if (args[2] & 3) == 0        # read-only opens
//! allow socket if args[0].lo == 1 || args[0].lo == 10
//! allow ioctl if args[1].lo == 0x5401 && args[0] <= 2
//! ```
//!
//! The grammar and the meaning of each statement are in `docs/policy.md`.

use super::model::{ARG_COUNT, Comparison, Op, Policy, PolicyError, Rule, Width, X32};
use crate::action::Action;
use crate::action_syntax::ActionParseErrorKind;
use crate::arch::Arch;
use core::fmt;
use core::str::FromStr;

/// A short copy of the offending input, kept inside the error so the error owns no borrow of the text.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Snippet {
    bytes: [u8; Snippet::CAPACITY],
    len: u8,
}

impl Snippet {
    /// The longest snippet kept, in bytes; longer text is cut at a character boundary.
    pub const CAPACITY: usize = 32;

    /// Copies the start of `text` (at most [`Snippet::CAPACITY`] bytes, whole characters only).
    pub fn new(text: &str) -> Snippet {
        let mut end = text.len().min(Snippet::CAPACITY);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let mut bytes = [0u8; Snippet::CAPACITY];
        if let (Some(dst), Some(src)) = (bytes.get_mut(..end), text.as_bytes().get(..end)) {
            dst.copy_from_slice(src);
        }
        Snippet {
            bytes,
            len: end as u8,
        }
    }

    /// The copied text (empty when the problem is the end of the line).
    pub fn as_str(&self) -> &str {
        let bytes = self.bytes.get(..usize::from(self.len)).unwrap_or(&[]);
        core::str::from_utf8(bytes).unwrap_or("")
    }
}

impl fmt::Debug for Snippet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Snippet {
    /// Writes the text in backquotes, or `end of line`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.len == 0 {
            f.write_str("end of line")
        } else {
            write!(f, "`{}`", self.as_str())
        }
    }
}

/// Where a policy text is wrong and what was expected there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// The line, from 1.
    pub line: u32,
    /// The column, from 1, in characters.
    pub column: u32,
    /// What was wrong.
    pub kind: ParseErrorKind,
}

/// The ways a policy text can be wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// Something else was expected here.
    Expected {
        /// What the grammar allows at this point.
        expected: &'static str,
        /// What the text has instead.
        found: Snippet,
    },
    /// A syscall name the target architecture's table does not have.
    UnknownSyscall {
        /// The name as written.
        name: Snippet,
        /// The architecture it was looked up for.
        arch: Arch,
    },
    /// An architecture name that is none of the supported ones.
    UnknownArch(Snippet),
    /// A `@group` name systemd does not define (see `crate::groups`).
    UnknownGroup(Snippet),
    /// The action could not be read.
    Action(ActionParseErrorKind),
    /// A number too large for its place (the text says which).
    OutOfRange(&'static str),
    /// A statement that may appear once appeared again.
    Duplicate(&'static str),
    /// `arch` after a rule or an `enosys-above`: both are resolved for the arch in force, so it must come
    /// first.
    ArchAfterRules,
    /// The text has no `default` line.
    MissingDefault,
    /// The policy refused the statement (capacity exceeded, x32 setting on another arch).
    Policy(PolicyError),
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: ", self.line, self.column)?;
        match &self.kind {
            ParseErrorKind::Expected { expected, found } => {
                write!(f, "expected {expected}, found {found}")
            }
            ParseErrorKind::UnknownSyscall { name, arch } => {
                write!(f, "unknown syscall {name} for {arch}")
            }
            ParseErrorKind::UnknownGroup(name) => write!(
                f,
                "unknown syscall group {name} (the groups are systemd {}'s: @system-service, @privileged, ...)",
                crate::groups::SYSTEMD_VERSION
            ),
            ParseErrorKind::UnknownArch(name) => write!(
                f,
                "unknown architecture {name} (expected x86_64, x32, i386, aarch64 or arm)"
            ),
            ParseErrorKind::Action(kind) => write!(
                f,
                "{}",
                crate::ActionParseError {
                    kind: *kind,
                    position: 0
                }
            ),
            ParseErrorKind::OutOfRange(what) => f.write_str(what),
            ParseErrorKind::Duplicate(what) => write!(f, "`{what}` given twice"),
            ParseErrorKind::ArchAfterRules => {
                f.write_str("`arch` must come before the first rule and before `enosys-above`")
            }
            ParseErrorKind::MissingDefault => {
                f.write_str("expected a `default ACTION` line somewhere in the policy")
            }
            ParseErrorKind::Policy(error) => write!(f, "{error}"),
        }
    }
}

impl core::error::Error for ParseError {}

/// Whether `byte` may appear in a word (statement keyword, action name, syscall name or number, with its
/// `abi:` qualifier).
const fn is_word_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-' || byte == b':'
}

/// A position in one line of the input.
struct Cursor<'a> {
    line: &'a str,
    pos: usize,
    line_no: u32,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.line.as_bytes().get(self.pos).copied()
    }

    fn rest(&self) -> &'a str {
        self.line.get(self.pos..).unwrap_or("")
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    /// Whether only whitespace and a comment remain.
    fn at_end(&mut self) -> bool {
        self.skip_ws();
        matches!(self.peek(), None | Some(b'#'))
    }

    /// Consumes `token` if the line continues with it.
    fn eat(&mut self, token: &str) -> bool {
        if self.rest().starts_with(token) {
            self.pos += token.len();
            true
        } else {
            false
        }
    }

    /// The word at the cursor (possibly empty), consumed, with its start.
    fn word(&mut self) -> (&'a str, usize) {
        let start = self.pos;
        while self.peek().is_some_and(is_word_byte) {
            self.pos += 1;
        }
        (self.line.get(start..self.pos).unwrap_or(""), start)
    }

    /// An error at byte offset `at` of this line.
    fn error_at(&self, at: usize, kind: ParseErrorKind) -> ParseError {
        let column = self.line.get(..at).map_or(at, |prefix| prefix.chars().count()) + 1;
        ParseError {
            line: self.line_no,
            column: column as u32,
            kind,
        }
    }

    /// "expected X, found <the token at `at`>".
    fn expected_at(&self, at: usize, expected: &'static str) -> ParseError {
        let rest = self.line.get(at..).unwrap_or("");
        let rest = if rest.starts_with('#') { "" } else { rest };
        let token_len = match rest.bytes().position(|b| !is_word_byte(b)) {
            Some(0) => rest.chars().next().map_or(0, char::len_utf8),
            Some(len) => len,
            None => rest.len(),
        };
        let found = Snippet::new(rest.get(..token_len).unwrap_or(""));
        self.error_at(at, ParseErrorKind::Expected { expected, found })
    }

    /// "expected X" at the cursor, after skipping whitespace.
    fn expected(&mut self, expected: &'static str) -> ParseError {
        self.skip_ws();
        self.expected_at(self.pos, expected)
    }

    /// Consumes `token` or fails with "expected `what`".
    fn expect(&mut self, token: &str, what: &'static str) -> Result<(), ParseError> {
        self.skip_ws();
        if self.eat(token) {
            Ok(())
        } else {
            Err(self.expected(what))
        }
    }
}

/// Parses an unsigned number word with the crate's one number reader (`crate::number`).
fn parse_unsigned(word: &str) -> Option<u64> {
    crate::number::parse(word).ok()
}

/// Parses a constant of a comparison at the cursor: an optional `-` and an unsigned number, giving the
/// two's complement in the comparison's width.
fn parse_value(cursor: &mut Cursor<'_>, width: Width) -> Result<u64, ParseError> {
    cursor.skip_ws();
    let start = cursor.pos;
    let negative = cursor.eat("-");
    let (word, _) = cursor.word();
    let too_big_full = "value does not fit in 64 bits";
    let too_big_low = "value does not fit in 32 bits (a .lo comparison sees only the low word)";
    let Some(magnitude) = (!word.is_empty()).then(|| parse_unsigned(word)).flatten() else {
        // Distinguish overflow from garbage for a better message.
        if !word.is_empty() && word.bytes().all(|b| b.is_ascii_digit() || b == b'_') {
            return Err(cursor.error_at(start, ParseErrorKind::OutOfRange(too_big_full)));
        }
        return Err(cursor.expected_at(
            if negative { start + 1 } else { start },
            "a number (decimal, 0x hexadecimal, or negative)",
        ));
    };
    let value = match (width, negative) {
        (Width::Full, false) => magnitude,
        (Width::Full, true) if magnitude <= 1 << 63 => magnitude.wrapping_neg(),
        (Width::Low, false) if magnitude <= u64::from(u32::MAX) => magnitude,
        (Width::Low, true) if magnitude <= 1 << 31 => magnitude.wrapping_neg() & 0xffff_ffff,
        (Width::Full, true) => {
            return Err(cursor.error_at(
                start,
                ParseErrorKind::OutOfRange("negative value below -2^63 does not fit in 64 bits"),
            ));
        }
        (Width::Low, _) => {
            return Err(cursor.error_at(start, ParseErrorKind::OutOfRange(too_big_low)));
        }
    };
    Ok(value)
}

/// Parses `args[N]` or `args[N].lo` at the cursor.
fn parse_arg(cursor: &mut Cursor<'_>) -> Result<(u8, Width), ParseError> {
    cursor.skip_ws();
    let start = cursor.pos;
    let (word, _) = cursor.word();
    if word != "args" {
        return Err(cursor.expected_at(start, "an argument such as `args[0]` or `args[1].lo`"));
    }
    cursor.expect("[", "`[` after `args`")?;
    cursor.skip_ws();
    let index_at = cursor.pos;
    let (index, _) = cursor.word();
    let index = match parse_unsigned(index) {
        Some(index) if index < u64::from(ARG_COUNT) => index as u8,
        Some(_) => {
            return Err(cursor.error_at(
                index_at,
                ParseErrorKind::OutOfRange("argument index must be 0 to 5"),
            ));
        }
        None => return Err(cursor.expected_at(index_at, "an argument index 0 to 5")),
    };
    cursor.expect("]", "`]`")?;
    let width = if cursor.eat(".lo") {
        Width::Low
    } else if cursor.rest().starts_with('.') {
        return Err(cursor.expected_at(cursor.pos + 1, "`lo` (the only field of an argument)"));
    } else {
        Width::Full
    };
    Ok((index, width))
}

/// Parses a comparison operator at the cursor.
fn parse_op(cursor: &mut Cursor<'_>) -> Result<Op, ParseError> {
    cursor.skip_ws();
    for op in Op::PLAIN_BY_TOKEN {
        if cursor.eat(op.symbol()) {
            return Ok(op);
        }
    }
    if cursor.rest().starts_with('&') && !cursor.rest().starts_with("&&") {
        return Err(cursor.expected(
            "a comparison operator (a masked argument needs parentheses: (args[N] & MASK) == VALUE)",
        ));
    }
    Err(cursor.expected("a comparison operator (==, !=, <, <=, >, >=)"))
}

/// Parses one comparison at the cursor: `args[N] OP VALUE`, `(args[N] OP VALUE)` or
/// `(args[N] & MASK) == VALUE`, with `.lo` after `args[N]` for the low word.
fn parse_comparison(cursor: &mut Cursor<'_>) -> Result<Comparison, ParseError> {
    cursor.skip_ws();
    let start = cursor.pos;
    let parenthesized = cursor.eat("(");
    let (arg, width) = parse_arg(cursor)?;
    cursor.skip_ws();
    let (op, value) = if parenthesized && cursor.rest().starts_with('&') && !cursor.rest().starts_with("&&") {
        cursor.pos += 1;
        let mask = parse_value(cursor, width)?;
        cursor.expect(")", "`)` after the mask")?;
        cursor.skip_ws();
        let op = if cursor.eat("!=") {
            Op::MaskedNe(mask)
        } else {
            cursor.expect("==", "`==` or `!=` after a masked argument")?;
            Op::MaskedEq(mask)
        };
        (op, parse_value(cursor, width)?)
    } else {
        let op = parse_op(cursor)?;
        let value = parse_value(cursor, width)?;
        if parenthesized {
            cursor.skip_ws();
            if cursor.rest().starts_with("&&") || cursor.rest().starts_with("||") {
                return Err(cursor.expected(
                    "`)`: parentheses hold one comparison; write the condition as alternatives (||) of \
                     conjunctions (&&)",
                ));
            }
            cursor.expect(")", "`)`")?;
        }
        (op, value)
    };
    Comparison::new(arg, width, op, value)
        .map_err(|error| cursor.error_at(start, ParseErrorKind::Policy(error)))
}

/// Parses the action word at byte `start` of the line (the cursor stands after the word).
fn parse_action(cursor: &mut Cursor<'_>, start: usize) -> Result<Action, ParseError> {
    let mut end = cursor.pos;
    if cursor.peek() == Some(b'(') {
        match cursor.rest().find(')') {
            Some(close) => end = cursor.pos + close + 1,
            None => {
                let at = cursor.pos;
                return Err(cursor.error_at(at, ParseErrorKind::Action(ActionParseErrorKind::BadParenthesis)));
            }
        }
    }
    let text = cursor.line.get(start..end).unwrap_or("");
    cursor.pos = end;
    Action::from_str(text)
        .map_err(|error| cursor.error_at(start + error.position, ParseErrorKind::Action(error.kind)))
}

/// Parses the action of a `default` or `bad-arch` line.
fn parse_setting_action(cursor: &mut Cursor<'_>) -> Result<Action, ParseError> {
    cursor.skip_ws();
    let (word, start) = cursor.word();
    if word.is_empty() {
        return Err(cursor.expected_at(start, "an action"));
    }
    parse_action(cursor, start)
}

/// Resolves one syscall word to the rules it stands for, calling `each(abi, nr)` for each: a name gives
/// one rule per covered ABI that has it (an error when none has); a number is one of the target's;
/// `abi:name` or `abi:number` (`i386:socketcall`) names one covered ABI only.
fn resolve_syscall<const R: usize, const C: usize>(
    cursor: &Cursor<'_>,
    policy: &Policy<R, C>,
    word: &str,
    at: usize,
    mut each: impl FnMut(Arch, u32) -> Result<(), ParseError>,
) -> Result<(), ParseError> {
    let (only, word, at) = match word.split_once(':') {
        Some((abi, rest)) => {
            let Some(arch) = Arch::from_name(abi) else {
                return Err(cursor.error_at(at, ParseErrorKind::UnknownArch(Snippet::new(abi))));
            };
            if !policy.rule_abis().any(|covered| covered == arch) {
                return Err(cursor.error_at(at, ParseErrorKind::Policy(PolicyError::NotCovered(arch))));
            }
            (Some(arch), rest, at + abi.len() + 1)
        }
        None => (None, word, at),
    };
    if word.as_bytes().first().is_some_and(u8::is_ascii_digit) {
        return match parse_unsigned(word).map(u32::try_from) {
            Some(Ok(nr)) => each(only.unwrap_or(policy.arch()), nr),
            Some(Err(_)) => Err(cursor.error_at(
                at,
                ParseErrorKind::OutOfRange("syscall number does not fit in 32 bits"),
            )),
            None => Err(cursor.expected_at(at, "a syscall name or number")),
        };
    }
    let mut found = false;
    for arch in policy
        .rule_abis()
        .filter(|arch| only.is_none_or(|only| only == *arch))
    {
        if let Some(nr) = arch.syscall_nr(word) {
            found = true;
            each(arch, nr)?;
        }
    }
    if found {
        Ok(())
    } else {
        Err(cursor.error_at(
            at,
            ParseErrorKind::UnknownSyscall {
                name: Snippet::new(word),
                arch: only.unwrap_or(policy.arch()),
            },
        ))
    }
}

/// Parses `@group` at the cursor and adds one rule per syscall of the group on the policy's arch (names
/// the arch lacks are skipped, as systemd skips them; a syscall already named on this line is not added
/// again).
fn parse_group<const R: usize, const C: usize>(
    cursor: &mut Cursor<'_>,
    policy: &mut Policy<R, C>,
    action: Action,
    alt_start: u16,
    first_rule: usize,
) -> Result<(), ParseError> {
    let at = cursor.pos;
    cursor.pos += 1;
    cursor.word();
    let name = cursor.line.get(at..cursor.pos).unwrap_or("");
    let group = crate::groups::find(name)
        .ok_or_else(|| cursor.error_at(at, ParseErrorKind::UnknownGroup(Snippet::new(name))))?;
    let mut failed = None;
    group.for_each_name(|name| {
        for arch in policy.rule_abis() {
            let Some(nr) = arch.syscall_nr(name) else {
                continue;
            };
            if failed.is_some()
                || policy
                    .rules()
                    .skip(first_rule)
                    .any(|rule| rule.arch() == arch && rule.nr() == nr)
            {
                continue;
            }
            if let Err(error) = policy.push_rule_for(arch, nr, action, alt_start, alt_start) {
                failed = Some(error);
            }
        }
    });
    match failed {
        Some(error) => Err(cursor.error_at(at, ParseErrorKind::Policy(error))),
        None => Ok(()),
    }
}

/// Parses the ceilings of an `enosys-above` line: `[ABI:](NUMBER | NAME)` each, the target's when no ABI
/// is named, each ABI at most once in the policy.
fn parse_enosys<const R: usize, const C: usize>(
    cursor: &mut Cursor<'_>,
    policy: &mut Policy<R, C>,
) -> Result<(), ParseError> {
    let mut count = 0;
    loop {
        cursor.skip_ws();
        let (word, at) = cursor.word();
        if word.is_empty() {
            if count == 0 {
                return Err(cursor.expected_at(at, "a syscall number or name (`462`, `i386:clone3`)"));
            }
            return Ok(());
        }
        count += 1;
        let (abi, rest, rest_at) = match word.split_once(':') {
            Some((abi, rest)) => match Arch::from_name(abi) {
                Some(arch) => (arch, rest, at + abi.len() + 1),
                None => return Err(cursor.error_at(at, ParseErrorKind::UnknownArch(Snippet::new(abi)))),
            },
            None => (policy.arch(), word, at),
        };
        let ceiling = if rest.as_bytes().first().is_some_and(u8::is_ascii_digit) {
            match parse_unsigned(rest).map(u32::try_from) {
                Some(Ok(nr)) => nr,
                Some(Err(_)) => {
                    return Err(cursor.error_at(
                        rest_at,
                        ParseErrorKind::OutOfRange("syscall number does not fit in 32 bits"),
                    ));
                }
                None => return Err(cursor.expected_at(rest_at, "a syscall number or name")),
            }
        } else {
            abi.syscall_nr(rest).ok_or_else(|| {
                cursor.error_at(
                    rest_at,
                    ParseErrorKind::UnknownSyscall {
                        name: Snippet::new(rest),
                        arch: abi,
                    },
                )
            })?
        };
        if policy.covers(abi) && policy.enosys_above(abi).is_some() {
            return Err(cursor.error_at(at, ParseErrorKind::Duplicate("enosys-above for one ABI")));
        }
        policy
            .set_enosys_above(abi, Some(ceiling))
            .map_err(|error| cursor.error_at(at, ParseErrorKind::Policy(error)))?;
    }
}

/// Which once-only statements were seen.
#[derive(Default)]
struct Seen {
    arch: bool,
    default: bool,
    bad_arch: bool,
    x32: bool,
}

/// Marks a once-only statement, failing if it was seen before.
fn once(flag: &mut bool, cursor: &Cursor<'_>, at: usize, what: &'static str) -> Result<(), ParseError> {
    if *flag {
        return Err(cursor.error_at(at, ParseErrorKind::Duplicate(what)));
    }
    *flag = true;
    Ok(())
}

/// Parses a rule statement whose action word starts at `start` (the cursor stands after the word).
fn parse_rule<const R: usize, const C: usize>(
    cursor: &mut Cursor<'_>,
    policy: &mut Policy<R, C>,
    start: usize,
) -> Result<(), ParseError> {
    let action = parse_action(cursor, start)?;
    // The syscalls: one rule each, unconditional until the condition (if any) is known.
    let first_rule = policy.len();
    let alt_start = policy.alternatives_len();
    let mut named_group = false;
    loop {
        if cursor.at_end() {
            break;
        }
        if cursor.peek() == Some(b'@') {
            parse_group(cursor, policy, action, alt_start, first_rule)?;
            named_group = true;
            continue;
        }
        let (word, at) = cursor.word();
        if word == "if" {
            cursor.pos = at;
            break;
        }
        if word.is_empty() {
            return Err(cursor.expected_at(
                at,
                if policy.len() == first_rule {
                    "a syscall name or number"
                } else {
                    "a syscall name, `if` or the end of the line"
                },
            ));
        }
        let mut pending: [Option<(Arch, u32)>; 3] = [None; 3];
        let mut count = 0;
        resolve_syscall(cursor, policy, word, at, |arch, nr| {
            if let Some(slot) = pending.get_mut(count) {
                *slot = Some((arch, nr));
                count += 1;
            }
            Ok(())
        })?;
        for (arch, nr) in pending.into_iter().flatten() {
            policy
                .push_rule_for(arch, nr, action, alt_start, alt_start)
                .map_err(|error| cursor.error_at(at, ParseErrorKind::Policy(error)))?;
        }
    }
    // A group may have no syscall on this arch (`@cpu-emulation` on aarch64): the line is then empty.
    if policy.len() == first_rule && !named_group {
        return Err(cursor.expected("a syscall name or number after the action"));
    }
    if cursor.eat("if") {
        loop {
            loop {
                let comparison = parse_comparison(cursor)?;
                let at = cursor.pos;
                policy
                    .push_comparison(comparison)
                    .map_err(|error| cursor.error_at(at, ParseErrorKind::Policy(error)))?;
                cursor.skip_ws();
                if !cursor.eat("&&") {
                    break;
                }
            }
            let at = cursor.pos;
            policy
                .end_alternative()
                .map_err(|error| cursor.error_at(at, ParseErrorKind::Policy(error)))?;
            cursor.skip_ws();
            if !cursor.eat("||") {
                break;
            }
        }
        // All the line's rules share the condition just stored.
        policy.set_alternatives_from(first_rule, alt_start, policy.alternatives_len());
    }
    if !cursor.at_end() {
        return Err(cursor.expected("`&&`, `||` or the end of the line"));
    }
    Ok(())
}

impl<const RULES: usize, const CMPS: usize> Policy<RULES, CMPS> {
    /// Parses a policy in the native text format (see `docs/policy.md`).
    ///
    /// `arch` is the target architecture unless the text has an `arch` line, which must then precede the
    /// rules. Syscall names are resolved for the target; an unknown name is an error. The text must have a
    /// `default` line. Nothing is allocated; capacity overflow is an error at the statement that overflowed.
    pub fn parse(text: &str, arch: Arch) -> Result<Self, ParseError> {
        let mut policy = Policy::new(arch, Action::KILL_PROCESS);
        let mut seen = Seen::default();
        let mut last_line = 1;
        for (index, line) in text.split('\n').enumerate() {
            let line = line.strip_suffix('\r').unwrap_or(line);
            let line_no = u32::try_from(index + 1).unwrap_or(u32::MAX);
            // The empty piece after a final newline is no line of the file: never point there.
            if !line.is_empty() {
                last_line = line_no;
            }
            let mut cursor = Cursor {
                line,
                pos: 0,
                line_no,
            };
            if cursor.at_end() {
                continue;
            }
            let (word, start) = cursor.word();
            match word {
                "arch" => {
                    once(&mut seen.arch, &cursor, start, "arch")?;
                    cursor.skip_ws();
                    let (name, at) = cursor.word();
                    if name.is_empty() {
                        return Err(cursor.expected_at(at, "an architecture name"));
                    }
                    let Some(target) = Arch::from_name(name) else {
                        return Err(cursor.error_at(at, ParseErrorKind::UnknownArch(Snippet::new(name))));
                    };
                    if !policy.set_arch(target) {
                        return Err(cursor.error_at(start, ParseErrorKind::ArchAfterRules));
                    }
                    // More ABIs of the same machine: its compat ABI, and x32 beside x86_64.
                    loop {
                        cursor.skip_ws();
                        let (name, at) = cursor.word();
                        if name.is_empty() {
                            break;
                        }
                        let Some(more) = Arch::from_name(name) else {
                            return Err(cursor.error_at(at, ParseErrorKind::UnknownArch(Snippet::new(name))));
                        };
                        let result = if more == Arch::X32 && target == Arch::X86_64 {
                            once(&mut seen.x32, &cursor, at, "x32")?;
                            policy.set_x32(X32::Rules)
                        } else if policy.compat() == Some(more) {
                            return Err(cursor.error_at(at, ParseErrorKind::Duplicate("arch")));
                        } else {
                            policy.set_compat(Some(more))
                        };
                        result.map_err(|error| cursor.error_at(at, ParseErrorKind::Policy(error)))?;
                    }
                }
                "default" => {
                    once(&mut seen.default, &cursor, start, "default")?;
                    policy.set_default_action(parse_setting_action(&mut cursor)?);
                }
                "bad-arch" => {
                    once(&mut seen.bad_arch, &cursor, start, "bad-arch")?;
                    policy.set_bad_arch_action(parse_setting_action(&mut cursor)?);
                }
                "x32" => {
                    once(&mut seen.x32, &cursor, start, "x32")?;
                    cursor.skip_ws();
                    let (mode, at) = cursor.word();
                    let mode = match mode {
                        "bad-arch" => X32::BadArch,
                        "by-name" => X32::ByName,
                        "bad-arch-except-minus-one" => X32::BadArchExceptMinusOne,
                        _ => {
                            return Err(cursor
                                .expected_at(at, "`bad-arch`, `by-name` or `bad-arch-except-minus-one`"));
                        }
                    };
                    policy
                        .set_x32(mode)
                        .map_err(|error| cursor.error_at(start, ParseErrorKind::Policy(error)))?;
                }
                "enosys-above" => parse_enosys(&mut cursor, &mut policy)?,
                "" => {
                    return Err(cursor.expected_at(
                        start,
                        "a statement: arch, default, bad-arch, x32, enosys-above, or an action and syscalls",
                    ));
                }
                _ => parse_rule(&mut cursor, &mut policy, start)?,
            }
            if !cursor.at_end() {
                return Err(cursor.expected("the end of the line"));
            }
        }
        if !seen.default {
            return Err(ParseError {
                line: last_line,
                column: 1,
                kind: ParseErrorKind::MissingDefault,
            });
        }
        Ok(policy)
    }
}

/// Lines of unconditional rules are wrapped after this many characters.
const WRAP: usize = 96;

impl<const RULES: usize, const CMPS: usize> fmt::Display for Policy<RULES, CMPS> {
    /// Writes the policy in the native text format: `arch`, `default`, `bad-arch`, `x32` (when not the
    /// default), `enosys-above` (when a ceiling is set) and the rules in order. Consecutive rules with one action and one condition share a line;
    /// syscalls the arch's table knows are written by name, others by number. Parsing the output gives an
    /// equal policy.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "arch {}", self.arch())?;
        if self.x32() == X32::Rules {
            f.write_str(" x32")?;
        }
        if let Some(compat) = self.compat() {
            write!(f, " {compat}")?;
        }
        writeln!(f)?;
        writeln!(f, "default {}", self.default_action())?;
        writeln!(f, "bad-arch {}", self.bad_arch_action())?;
        match self.x32() {
            X32::ByName => writeln!(f, "x32 by-name")?,
            X32::BadArchExceptMinusOne => writeln!(f, "x32 bad-arch-except-minus-one")?,
            X32::BadArch | X32::Rules => {}
        }
        let mut ceilings = self.enosys_ceilings().peekable();
        if ceilings.peek().is_some() {
            f.write_str("enosys-above")?;
            for (abi, ceiling) in ceilings {
                f.write_str(" ")?;
                if abi != self.arch() {
                    write!(f, "{abi}:")?;
                }
                if ceiling < 4096 {
                    write!(f, "{ceiling}")?;
                } else {
                    write!(f, "{ceiling:#x}")?;
                }
            }
            writeln!(f)?;
        }
        let mut rules = self.rules().peekable();
        while let Some(first) = rules.next() {
            let mut column = write_counted(f, format_args!("{}", first.action()))?;
            column += self.write_syscall(f, &first, &mut rules)?;
            while let Some(next) = rules.peek() {
                let same = next.action() == first.action()
                    && if first.is_conditional() {
                        next.shares_condition(&first)
                    } else {
                        !next.is_conditional()
                    };
                if !same {
                    break;
                }
                if !first.is_conditional() && column >= WRAP {
                    writeln!(f)?;
                    column = write_counted(f, format_args!("{}", first.action()))?;
                }
                let next = *next;
                rules.next();
                column += self.write_syscall(f, &next, &mut rules)?;
            }
            if first.is_conditional() {
                f.write_str(" if ")?;
                for (i, conjunction) in first.alternatives().enumerate() {
                    if i > 0 {
                        f.write_str(" || ")?;
                    }
                    for (j, comparison) in conjunction.iter().enumerate() {
                        if j > 0 {
                            f.write_str(" && ")?;
                        }
                        write!(f, "{comparison}")?;
                    }
                }
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

impl<const RULES: usize, const CMPS: usize> Policy<RULES, CMPS> {
    /// Writes ` name` (or ` number`) for `rule` and returns the characters written. A name that stands for
    /// the rules of every covered ABI that has it takes the compat ABI's rule for it with it (the next
    /// rule, consumed from `rest`); a rule that a plain word would not give back alone is qualified
    /// (` i386:read`, ` i386:20`).
    fn write_syscall<'r>(
        &self,
        f: &mut fmt::Formatter<'_>,
        rule: &Rule<'r>,
        rest: &mut core::iter::Peekable<impl Iterator<Item = Rule<'r>> + Clone>,
    ) -> Result<usize, fmt::Error> {
        let arch = rule.arch();
        let Some(name) = arch.syscall_name(rule.nr()) else {
            return if arch == self.arch() {
                write_counted(f, format_args!(" {}", rule.nr()))
            } else {
                write_counted(f, format_args!(" {arch}:{}", rule.nr()))
            };
        };
        // The ABIs a plain `name` gives rules for, in order; the word is plain when this rule is the first
        // of them and the others follow with the same action and condition.
        let mut expands = self.rule_abis().filter(|abi| abi.syscall_nr(name).is_some());
        let plain = if expands.next() != Some(arch) {
            false
        } else {
            let others = expands.clone().count();
            let mut partners = rest.clone();
            let all = expands.all(|abi| {
                partners.next().is_some_and(|next| {
                    next.arch() == abi
                        && Some(next.nr()) == abi.syscall_nr(name)
                        && next.action() == rule.action()
                        && if rule.is_conditional() {
                            next.shares_condition(rule)
                        } else {
                            !next.is_conditional()
                        }
                })
            });
            if all {
                for _ in 0..others {
                    rest.next();
                }
            }
            all
        };
        if plain {
            write_counted(f, format_args!(" {name}"))
        } else {
            write_counted(f, format_args!(" {arch}:{name}"))
        }
    }
}

/// Writes `args` and returns how many characters that was.
fn write_counted(f: &mut fmt::Formatter<'_>, args: fmt::Arguments<'_>) -> Result<usize, fmt::Error> {
    struct Counter<'a, 'b> {
        inner: &'a mut fmt::Formatter<'b>,
        count: usize,
    }
    impl fmt::Write for Counter<'_, '_> {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            self.count += s.chars().count();
            self.inner.write_str(s)
        }
    }
    let mut counter = Counter { inner: f, count: 0 };
    fmt::write(&mut counter, args)?;
    Ok(counter.count)
}
