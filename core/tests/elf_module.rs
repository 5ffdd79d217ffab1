//! The module-name reader on a real module image (Debian's `dummy.ko`, see
//! `core/tests/data/modules/PROVENANCE.md`) and on every truncation and many corruptions of it.

use seccomp_core::elf_module::{self, Error};

const DUMMY: &[u8] = include_bytes!("data/modules/dummy.ko");

#[test]
fn debians_dummy_ko_is_named_dummy() {
    assert_eq!(elf_module::module_name(DUMMY), Ok("dummy"));
}

#[test]
fn every_truncation_of_a_real_module_is_an_error_or_the_same_name() {
    for len in 0..DUMMY.len() {
        match elf_module::module_name(&DUMMY[..len]) {
            Ok(name) => assert_eq!(name, "dummy", "truncated to {len}"),
            Err(error) => assert!(!error.to_string().is_empty()),
        }
    }
    // Shorter than the section table: the header points past the end.
    assert!(matches!(
        elf_module::module_name(&DUMMY[..1000]),
        Err(Error::SectionTable { .. })
    ));
}

#[test]
fn single_byte_corruptions_of_a_real_module_never_panic_or_invent_a_name() {
    let mut image = DUMMY.to_vec();
    // Every byte of the ELF header and the section table, and a stride through the rest.
    let shoff = u64::from_le_bytes(DUMMY[0x28..0x30].try_into().unwrap()) as usize;
    let positions = (0..64)
        .chain(shoff..DUMMY.len().min(shoff + 64 * 64))
        .chain((64..DUMMY.len()).step_by(7));
    for at in positions {
        let original = image[at];
        for value in [0x00, 0xff, original ^ 0x80, original.wrapping_add(1)] {
            image[at] = value;
            if let Ok(name) = elf_module::module_name(&image) {
                // A corruption may leave the name intact or change it into another valid name, which is
                // then a real module name the image claims; it is never anything but name characters.
                assert!(
                    name.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
                );
            }
        }
        image[at] = original;
    }
}
