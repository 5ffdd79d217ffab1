//! Arbitrary bytes through the module-name reader (`seccomp_core::elf_module`), which reads the name a
//! container's `init_module`/`finit_module` image claims before the supervisor decides to load the host's
//! copy of that module.
//!
//! Properties checked (any violation panics, which libFuzzer reports as a crash):
//! - `module_name` never panics, whatever the length or content of the image;
//! - a name it returns is 1 to 55 bytes of ASCII letters, digits, `_` and `-`, and occurs in the image
//!   (the reader never invents a name);
//! - its error displays as a non-empty line;
//! - the answer is a function of the bytes: reading the same image twice gives the same result.
#![no_main]

use libfuzzer_sys::fuzz_target;
use seccomp_core::elf_module::{MODULE_NAME_LEN, module_name};

fuzz_target!(|image: &[u8]| {
    let first = module_name(image);
    match first {
        Ok(name) => {
            assert!(!name.is_empty() && name.len() < MODULE_NAME_LEN, "bad length");
            assert!(
                name.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'),
                "bad byte"
            );
            assert!(
                image.windows(name.len()).any(|window| window == name.as_bytes()),
                "name not in the image"
            );
        }
        Err(error) => {
            let text = error.to_string();
            assert!(!text.is_empty() && !text.contains('\n'), "bad error text");
        }
    }
    assert_eq!(module_name(image), first, "not deterministic");
});
