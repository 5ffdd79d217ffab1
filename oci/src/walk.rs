//! A small path-carrying walker over `serde_json::Value`: typed accessors that report errors with the path
//! of the value they looked at. Unknown members are never looked at, so they are ignored; `null` counts as
//! absent, as Go's `encoding/json` (which runc, containerd and Docker use) treats it.

use serde_json::{Map, Value};

use crate::error::{Error, ErrorKind};
use crate::path::At;

pub(crate) type Result<T> = core::result::Result<T, Error>;

/// Parses a document into a value tree; syntax errors (including nesting deeper than serde_json's recursion
/// limit) become [`ErrorKind::Syntax`].
pub(crate) fn parse_document(input: &[u8]) -> Result<Value> {
    serde_json::from_slice(input).map_err(|err| Error::syntax(&err))
}

/// An error at `at`.
pub(crate) fn error(at: &At<'_>, kind: ErrorKind) -> Error {
    Error::new(at.to_path(), kind)
}

/// The JSON type of a value, as an error message names it.
pub(crate) fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn wrong_type(value: &Value, at: &At<'_>, expected: &'static str) -> Error {
    error(
        at,
        ErrorKind::WrongType {
            expected,
            found: type_name(value),
        },
    )
}

/// The members of an object.
pub(crate) fn object<'v>(value: &'v Value, at: &At<'_>) -> Result<&'v Map<String, Value>> {
    value
        .as_object()
        .ok_or_else(|| wrong_type(value, at, "an object"))
}

/// A string.
pub(crate) fn string<'v>(value: &'v Value, at: &At<'_>) -> Result<&'v str> {
    value.as_str().ok_or_else(|| wrong_type(value, at, "a string"))
}

/// An owned string.
pub(crate) fn owned_string(value: &Value, at: &At<'_>) -> Result<String> {
    string(value, at).map(str::to_owned)
}

/// An unsigned integer no greater than `max`; `expected` describes the range for the error message.
pub(crate) fn unsigned(value: &Value, at: &At<'_>, max: u64, expected: &'static str) -> Result<u64> {
    let Value::Number(number) = value else {
        return Err(wrong_type(value, at, "a number"));
    };
    match number.as_u64() {
        Some(n) if n <= max => Ok(n),
        _ => Err(error(
            at,
            ErrorKind::OutOfRange {
                found: number.to_string(),
                expected,
            },
        )),
    }
}

/// A signed integer in `min..=max`; `expected` describes the range for the error message.
pub(crate) fn signed(value: &Value, at: &At<'_>, min: i64, max: i64, expected: &'static str) -> Result<i64> {
    let Value::Number(number) = value else {
        return Err(wrong_type(value, at, "a number"));
    };
    match number.as_i64() {
        Some(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(error(
            at,
            ErrorKind::OutOfRange {
                found: number.to_string(),
                expected,
            },
        )),
    }
}

/// Each element of an array, converted by `convert` with its own path.
pub(crate) fn array<T>(
    value: &Value,
    at: &At<'_>,
    mut convert: impl FnMut(&Value, &At<'_>) -> Result<T>,
) -> Result<Vec<T>> {
    let Value::Array(items) = value else {
        return Err(wrong_type(value, at, "an array"));
    };
    items
        .iter()
        .enumerate()
        .map(|(index, item)| convert(item, &at.index(index)))
        .collect()
}

/// An array of strings.
pub(crate) fn strings(value: &Value, at: &At<'_>) -> Result<Vec<String>> {
    array(value, at, owned_string)
}

/// An object's member, `None` when it is absent or `null`.
pub(crate) fn member<'v>(map: &'v Map<String, Value>, key: &str) -> Option<&'v Value> {
    map.get(key).filter(|value| !value.is_null())
}

/// An optional member converted by `convert` with its path.
pub(crate) fn optional<T>(
    map: &Map<String, Value>,
    at: &At<'_>,
    key: &str,
    convert: impl FnOnce(&Value, &At<'_>) -> Result<T>,
) -> Result<Option<T>> {
    match member(map, key) {
        Some(value) => convert(value, &at.key(key)).map(Some),
        None => Ok(None),
    }
}

/// A required member converted by `convert` with its path; [`ErrorKind::Missing`] at the member's path when
/// it is absent or `null`.
pub(crate) fn required<T>(
    map: &Map<String, Value>,
    at: &At<'_>,
    key: &str,
    convert: impl FnOnce(&Value, &At<'_>) -> Result<T>,
) -> Result<T> {
    let child = at.key(key);
    match member(map, key) {
        Some(value) => convert(value, &child),
        None => Err(error(&child, ErrorKind::Missing)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn message(result: Result<impl core::fmt::Debug>) -> String {
        match result {
            Ok(value) => panic!("expected an error, got {value:?}"),
            Err(err) => err.to_string(),
        }
    }

    #[test]
    fn numbers_outside_the_range_name_the_number_as_written() {
        let root = At::ROOT;
        let huge = parse_document(b"123456789012345678901234567890").unwrap();
        assert_eq!(
            message(unsigned(&huge, &root, u64::MAX, "an unsigned 64-bit integer")),
            "(root): expected an unsigned 64-bit integer, found 1.2345678901234568e+29"
        );
        assert_eq!(
            message(unsigned(
                &json!(-1),
                &root,
                u64::MAX,
                "an unsigned 64-bit integer"
            )),
            "(root): expected an unsigned 64-bit integer, found -1"
        );
        assert_eq!(
            message(unsigned(&json!(1.5), &root, 10, "an integer in 0..=10")),
            "(root): expected an integer in 0..=10, found 1.5"
        );
        assert_eq!(unsigned(&json!(u64::MAX), &root, u64::MAX, "x"), Ok(u64::MAX));
        assert_eq!(signed(&json!(-3), &root, -5, 5, "x"), Ok(-3));
        assert_eq!(
            message(signed(&json!(6), &root, -5, 5, "an integer in -5..=5")),
            "(root): expected an integer in -5..=5, found 6"
        );
    }

    #[test]
    fn wrong_types_and_missing_members_name_their_path() {
        let doc = json!({"a": {"b": [1, "x"]}, "n": null});
        let root = At::ROOT;
        let map = object(&doc, &root).unwrap();
        let err = required(map, &root, "a", |a, at| {
            let inner = object(a, at)?;
            required(inner, at, "b", strings)
        });
        assert_eq!(message(err), "a.b[0]: expected a string, found a number");
        assert_eq!(
            message(required(map, &root, "n", owned_string)),
            "n: required member is missing"
        );
        assert_eq!(optional(map, &root, "n", owned_string), Ok(None));
        assert_eq!(
            message(object(&json!([]), &root)),
            "(root): expected an object, found an array"
        );
    }

    #[test]
    fn deep_nesting_is_a_syntax_error_not_a_crash() {
        let deep = "[".repeat(100_000);
        let err = parse_document(deep.as_bytes()).unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::Syntax { message, .. } if message.contains("recursion limit")),
            "{err}"
        );
        let err = parse_document(b"{\"a\": 1,}").unwrap_err();
        assert!(
            err.to_string().starts_with("invalid JSON at line 1 column 9:"),
            "{err}"
        );
    }
}
