//! JSON paths for error messages, and the cheap borrowed form the parsers carry while they walk a document.
//!
//! A parser walking a `serde_json::Value` tree keeps an `At` for the node it is looking at: a stack-allocated
//! linked list of path segments that costs nothing until an error is reported. Only then is it turned into an
//! owned [`JsonPath`], which prints as `syscalls[3].args[0].op`.

use core::fmt;

/// One step of a [`JsonPath`]: an object key or an array index.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PathSegment {
    /// A key of a JSON object.
    Key(String),
    /// An index into a JSON array.
    Index(usize),
}

/// Where a value sits in a JSON document, from the root: `syscalls[3].args[0].op`.
///
/// The empty path is the document root and prints as `(root)`. Keys that are not plain identifiers
/// (letters, digits, `_`, `-`; not starting with a digit) print in bracket form with JSON escaping, as in
/// `state.annotations["io.k8s/pod"]`, so every printed path is unambiguous.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct JsonPath(pub Vec<PathSegment>);

impl JsonPath {
    /// The path of the document root.
    pub const fn root() -> JsonPath {
        JsonPath(Vec::new())
    }

    /// Whether this is the root path.
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// The segments from the root down.
    pub fn segments(&self) -> &[PathSegment] {
        &self.0
    }
}

fn is_plain_key(key: &str) -> bool {
    let mut chars = key.chars();
    match chars.next() {
        Some(first) if first.is_ascii_alphabetic() || first == '_' => {}
        _ => return false,
    }
    chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

impl fmt::Display for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("(root)");
        }
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                PathSegment::Key(key) if is_plain_key(key) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    f.write_str(key)?;
                }
                PathSegment::Key(key) => {
                    // serde_json escapes a string infallibly; fall back to Debug formatting just in case.
                    match serde_json::to_string(key) {
                        Ok(quoted) => write!(f, "[{quoted}]")?,
                        Err(_) => write!(f, "[{key:?}]")?,
                    }
                }
                PathSegment::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

/// A borrowed path segment: a key borrowed from the document or the parser, or an index.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Seg<'a> {
    /// The document root (only ever the last link of the chain).
    Root,
    /// An object key.
    Key(&'a str),
    /// An array index.
    Index(usize),
}

/// The path of the node a parser is looking at: a linked list of segments through the parser's stack frames.
#[derive(Clone, Copy, Debug)]
pub(crate) struct At<'a> {
    seg: Seg<'a>,
    parent: Option<&'a At<'a>>,
}

impl<'a> At<'a> {
    /// The document root.
    pub(crate) const ROOT: At<'static> = At {
        seg: Seg::Root,
        parent: None,
    };

    /// The path of member `key` of the object at `self`.
    pub(crate) fn key(&'a self, key: &'a str) -> At<'a> {
        At {
            seg: Seg::Key(key),
            parent: Some(self),
        }
    }

    /// The path of element `index` of the array at `self`.
    pub(crate) fn index(&'a self, index: usize) -> At<'a> {
        At {
            seg: Seg::Index(index),
            parent: Some(self),
        }
    }

    /// The owned path, for an error or a warning.
    pub(crate) fn to_path(self) -> JsonPath {
        let mut segments = Vec::new();
        let mut link = Some(&self);
        while let Some(at) = link {
            match at.seg {
                Seg::Root => {}
                Seg::Key(key) => segments.push(PathSegment::Key(key.to_owned())),
                Seg::Index(index) => segments.push(PathSegment::Index(index)),
            }
            link = at.parent;
        }
        segments.reverse();
        JsonPath(segments)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_path_prints_with_dots_and_brackets() {
        let root = At::ROOT;
        let syscalls = root.key("syscalls");
        let third = syscalls.index(3);
        let args = third.key("args");
        let first = args.index(0);
        let op = first.key("op");
        assert_eq!(op.to_path().to_string(), "syscalls[3].args[0].op");
    }

    #[test]
    fn root_prints_as_root_and_odd_keys_are_quoted() {
        assert_eq!(At::ROOT.to_path().to_string(), "(root)");
        let root = At::ROOT;
        let state = root.key("state");
        let annotations = state.key("annotations");
        let odd = annotations.key("io.k8s/\"pod\"");
        assert_eq!(
            odd.to_path().to_string(),
            r#"state.annotations["io.k8s/\"pod\""]"#
        );
        let top_index = root.index(2);
        assert_eq!(top_index.to_path().to_string(), "[2]");
        let digit_key = root.key("0abc");
        assert_eq!(digit_key.to_path().to_string(), r#"["0abc"]"#);
    }
}
