//! Decoded values and calls as text, the way strace writes them: `openat(AT_FDCWD, "/etc/hostname",
//! O_RDONLY|O_CLOEXEC)`. Numbers in decimal, pointers and opaque words in hex (`0` for zero, `NULL` for a
//! null pointer), modes in octal (`0644`, `000`), strings quoted by [`quote`]. [`value_json`] gives the
//! same value typed for JSON lines.

use super::quote::quote;
use super::{Call, Value};
use serde_json::{Value as Json, json};

/// One argument as text.
pub fn value_text(value: &Value) -> String {
    match value {
        Value::Int(n) | Value::Fd(n) => n.to_string(),
        Value::UInt(n) => n.to_string(),
        Value::Hex(n) => super::hex(*n),
        Value::Null => "NULL".to_owned(),
        // strace's `%#03o`: `000`, `007`, `022`, `0644`.
        Value::Mode(0) => "000".to_owned(),
        Value::Mode(mode) => format!("{:0>3}", format!("0{mode:o}")),
        Value::Symbol(text) => text.clone(),
        Value::Bytes { bytes, truncated } => quote(bytes, *truncated),
        Value::List { items, truncated } => {
            let mut out = String::from("[");
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&value_text(item));
            }
            if *truncated {
                out.push_str(if items.is_empty() { "..." } else { ", ..." });
            }
            out.push(']');
            out
        }
        Value::Unreadable(addr) => format!("<unreadable {addr:#x}>"),
        Value::Field { name, value } => format!("{name}={}", value_text(value)),
    }
}

/// The call as strace writes it: `name(arg, arg, ...)`.
pub fn call_text(call: &Call) -> String {
    let mut line = call.display_name();
    line.push('(');
    for (i, arg) in call.args.iter().enumerate() {
        if i > 0 {
            line.push_str(", ");
        }
        line.push_str(&value_text(arg));
    }
    line.push(')');
    line
}

/// One argument as JSON.
pub fn value_json(value: &Value) -> Json {
    match value {
        Value::Int(n) | Value::Fd(n) => json!(n),
        Value::UInt(n) => json!(n),
        Value::Hex(_) | Value::Mode(_) => Json::String(value_text(value)),
        Value::Null => Json::Null,
        Value::Symbol(text) => Json::String(text.clone()),
        Value::Bytes { bytes, truncated } => {
            let text = String::from_utf8_lossy(bytes).into_owned();
            if *truncated {
                json!({ "str": text, "truncated": true })
            } else {
                Json::String(text)
            }
        }
        Value::List { items, truncated } => {
            let list: Vec<Json> = items.iter().map(value_json).collect();
            if *truncated {
                json!({ "list": list, "truncated": true })
            } else {
                Json::Array(list)
            }
        }
        Value::Unreadable(addr) => json!({ "unreadable": format!("{addr:#x}") }),
        Value::Field { name, value } => json!({ *name: value_json(value) }),
    }
}
