//! Arbitrary bytes through every kernel ABI decoder and through the action syntax.
//!
//! Properties checked (any violation panics, which libFuzzer reports as a crash):
//! - no decoder panics, whatever the length or content of its input;
//! - a decoder accepts exactly `size_of::<T>()` bytes, and what it decodes re-encodes (`as_bytes`) to the
//!   very same bytes;
//! - `Action::from_str` never panics on the input read as UTF-8, and whatever it accepts displays to text
//!   that parses back to the same action;
//! - for an `Action(u32)` built from the input, `Display` then `FromStr` gives back exactly that value, and
//!   `to_oci` then `from_oci` does too wherever `to_oci` succeeds.
#![no_main]

use libfuzzer_sys::fuzz_target;
use seccomp_core::abi::{
    DecodeError, SeccompData, SeccompNotif, SeccompNotifAddfd, SeccompNotifResp, SeccompNotifSizes,
    SockFilter,
};
use seccomp_core::action::Action;
use zerocopy::{Immutable, IntoBytes};

/// Decodes `bytes` whole and, separately, the struct-sized prefix of `bytes` (so the success path is
/// exercised on every input long enough), checking the length contract and the byte round trip.
fn check<T: IntoBytes + Immutable>(bytes: &[u8], decode: fn(&[u8]) -> Result<T, DecodeError>) {
    let size = size_of::<T>();
    match decode(bytes) {
        Ok(value) => {
            assert_eq!(bytes.len(), size, "decoder accepted a wrong length");
            assert_eq!(value.as_bytes(), bytes, "decode/as_bytes round trip differs");
        }
        Err(DecodeError::Short { expected, got, .. }) => {
            assert!(
                got < size && expected == size && got == bytes.len(),
                "bad Short error"
            );
        }
        Err(DecodeError::Long { expected, got, .. }) => {
            assert!(
                got > size && expected == size && got == bytes.len(),
                "bad Long error"
            );
        }
        Err(other) => panic!("unexpected decode error {other:?}"),
    }
    if let Some(prefix) = bytes.get(..size) {
        let value = decode(prefix).expect("a struct-sized slice must decode");
        assert_eq!(value.as_bytes(), prefix, "decode/as_bytes round trip differs");
    }
}

/// Display then FromStr must give back exactly `action`; so must to_oci then from_oci where it applies.
fn round_trip(action: Action) {
    let text = action.to_string();
    let parsed: Action = text
        .parse()
        .unwrap_or_else(|e| panic!("{action:?} displays as {text:?}, which does not parse: {e}"));
    assert_eq!(
        parsed, action,
        "{action:?} displays as {text:?}, which parses to {parsed:?}"
    );
    if let Ok(oci) = action.to_oci() {
        let back = Action::from_oci(oci.name, oci.errno_ret.map(u32::from))
            .unwrap_or_else(|e| panic!("{action:?} -> {oci:?} does not convert back: {e}"));
        assert_eq!(back, action, "{action:?} -> {oci:?} -> {back:?}");
    }
}

fuzz_target!(|data: &[u8]| {
    check(data, SockFilter::decode);
    check(data, SeccompData::decode);
    check(data, SeccompNotif::decode);
    check(data, SeccompNotifResp::decode);
    check(data, SeccompNotifSizes::decode);
    check(data, SeccompNotifAddfd::decode);

    if let Ok(text) = core::str::from_utf8(data)
        && let Ok(action) = text.parse::<Action>()
    {
        round_trip(action);
    }
    if let Some(word) = data.first_chunk::<4>() {
        round_trip(Action(u32::from_le_bytes(*word)));
    }
});
