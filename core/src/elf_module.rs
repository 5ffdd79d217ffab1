//! The name of a Linux kernel module, read from its ELF image (a `.ko` file) without trusting the image.
//!
//! A supervisor that answers `init_module(2)` or `finit_module(2)` for a container never loads the
//! container's bytes: it finds out which module the image claims to be and loads the host's own copy of
//! that module instead, if a rule allows it. This module does the finding out. The image is hostile input:
//! every offset and size is checked against the image before use, arithmetic cannot overflow, and any
//! inconsistency is an [`Error`] naming what was wrong; nothing here panics, allocates or uses `unsafe`.
//!
//! The kernel knows a module by two records, and so does this reader:
//! - the `.modinfo` section: NUL-separated `key=value` strings, among them `name=NAME` (written by modpost
//!   into every module built since Linux 2.6);
//! - the `.gnu.linkonce.this_module` section: the module's `struct module`, whose `name` field (a
//!   NUL-terminated `char[MODULE_NAME_LEN]` after `state` and the `list` head: byte 24 on 64-bit kernels)
//!   is the name the kernel registers the module under.
//!
//! [`module_name`] reads both, requires at least one, and refuses an image whose two records disagree
//! (the kernel would register one name while tools display the other). Only 64-bit little-endian images
//! are read: the two architectures seccompctl supports (x86_64, aarch64) load nothing else. Compressed
//! images (`.ko.xz`, `.ko.zst`, `.ko.gz`, which `finit_module` accepts with
//! `MODULE_INIT_COMPRESSED_FILE`) are recognized by their magic and refused with their own error.
//!
//! A returned name is 1 to 55 bytes of ASCII letters, digits, `_` and `-`: a name with any other byte is
//! refused, so it is safe to put in a path or a log line. Compare names with [`same_module`], which treats
//! `-` and `_` alike, as the kernel and modprobe do.

use core::fmt;

/// `MODULE_NAME_LEN` on 64-bit kernels (`64 - sizeof(unsigned long)`): the size of `struct module`'s
/// `name` field, NUL included.
pub const MODULE_NAME_LEN: usize = 56;

/// The offset of `name` in `struct module` on 64-bit kernels: after `enum module_state state` (4 bytes,
/// padded to 8) and `struct list_head list` (two pointers).
const THIS_MODULE_NAME_OFFSET: usize = 24;

/// The size of the ELF64 file header.
const EHDR_SIZE: usize = 64;
/// The size of one ELF64 section header.
const SHDR_SIZE: usize = 64;
/// `ET_REL`: a relocatable object, which is what a `.ko` is.
const ET_REL: u16 = 1;
/// `SHT_NOBITS`: a section that occupies no bytes in the file.
const SHT_NOBITS: u32 = 8;
/// `SHN_XINDEX`: the string table index lives in section 0's `sh_link`.
const SHN_XINDEX: u16 = 0xffff;
/// More sections than this is not a module: the kernel's own limit is `e_shnum` plus the file size, but
/// no real module has more than a few thousand, and the bound keeps a hostile header from making the
/// reader walk a huge table.
const MAX_SECTIONS: u64 = 65_536;

/// A compression format recognized by its magic bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// `1f 8b`.
    Gzip,
    /// `fd 37 7a 58 5a 00`.
    Xz,
    /// `28 b5 2f fd`.
    Zstd,
}

impl fmt::Display for Compression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Compression::Gzip => "gzip",
            Compression::Xz => "xz",
            Compression::Zstd => "zstd",
        })
    }
}

/// The two records of a module's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Record {
    /// `name=` in `.modinfo`.
    Modinfo,
    /// `struct module`'s `name` in `.gnu.linkonce.this_module`.
    ThisModule,
}

impl fmt::Display for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Record::Modinfo => "`name=` in .modinfo",
            Record::ThisModule => "the name in .gnu.linkonce.this_module",
        })
    }
}

/// Why no module name could be read from an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The image is shorter than the ELF header.
    Truncated {
        /// Its length in bytes.
        len: usize,
    },
    /// The image is compressed; decompress it first (this reader does not).
    Compressed(Compression),
    /// The image does not start with `\x7fELF`.
    NotElf,
    /// `EI_CLASS` is not `ELFCLASS64` (2).
    NotElf64 {
        /// The class byte found.
        class: u8,
    },
    /// `EI_DATA` is not `ELFDATA2LSB` (1).
    NotLittleEndian {
        /// The data-encoding byte found.
        data: u8,
    },
    /// `e_type` is not `ET_REL`: a module is a relocatable object.
    NotRelocatable {
        /// The type found.
        e_type: u16,
    },
    /// `e_shentsize` is not 64.
    SectionHeaderSize {
        /// The size found.
        size: u16,
    },
    /// The section header table (`e_shoff`, the section count) does not lie inside the image, or claims
    /// more sections than any module has.
    SectionTable {
        /// `e_shoff`.
        offset: u64,
        /// The number of sections.
        count: u64,
    },
    /// The section-name string table index is not a section.
    StringTableIndex {
        /// The index found.
        index: u64,
    },
    /// A section's bytes (`sh_offset`, `sh_size`) do not lie inside the image.
    SectionOutOfBounds {
        /// The section's index.
        index: u64,
    },
    /// A section's name offset lies outside the section-name string table, or the name has no NUL.
    SectionName {
        /// The section's index.
        index: u64,
    },
    /// A record was found more than once (two `.modinfo` `name=` entries, or two sections of one name).
    Duplicate(Record),
    /// A record holds no usable name: empty, not NUL-terminated within its field, or too long.
    BadName {
        /// The record.
        record: Record,
        /// The name's length in bytes (as far as it was read).
        len: usize,
    },
    /// A name holds a byte other than an ASCII letter, digit, `_` or `-`.
    BadNameByte {
        /// The record.
        record: Record,
        /// The offending byte.
        byte: u8,
    },
    /// The two records name different modules.
    Conflict,
    /// Neither record is present.
    NoName,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Truncated { len } => {
                write!(
                    f,
                    "module image is {len} bytes, shorter than an ELF64 header ({EHDR_SIZE})"
                )
            }
            Error::Compressed(kind) => write!(f, "module image is {kind}-compressed"),
            Error::NotElf => f.write_str("module image is not ELF (no \\x7fELF magic)"),
            Error::NotElf64 { class } => write!(f, "module image is not ELF64 (EI_CLASS {class})"),
            Error::NotLittleEndian { data } => {
                write!(f, "module image is not little-endian (EI_DATA {data})")
            }
            Error::NotRelocatable { e_type } => {
                write!(
                    f,
                    "module image is not a relocatable object (e_type {e_type}, want 1)"
                )
            }
            Error::SectionHeaderSize { size } => {
                write!(
                    f,
                    "module image has section headers of {size} bytes (want {SHDR_SIZE})"
                )
            }
            Error::SectionTable { offset, count } => write!(
                f,
                "module image's section table ({count} sections at offset {offset:#x}) is outside the image or too large"
            ),
            Error::StringTableIndex { index } => {
                write!(
                    f,
                    "module image's section-name table index {index} is not a section"
                )
            }
            Error::SectionOutOfBounds { index } => {
                write!(f, "module image's section {index} lies outside the image")
            }
            Error::SectionName { index } => {
                write!(
                    f,
                    "module image's section {index} has a name outside the section-name table"
                )
            }
            Error::Duplicate(record) => write!(f, "module image holds {record} twice"),
            Error::BadName { record, len } => {
                write!(
                    f,
                    "module image's {record} is not a name (empty, unterminated or too long: {len} bytes)"
                )
            }
            Error::BadNameByte { record, byte } => {
                write!(
                    f,
                    "module image's {record} holds the byte {byte:#04x}, not a module-name character"
                )
            }
            Error::Conflict => {
                f.write_str("module image's .modinfo and .gnu.linkonce.this_module name different modules")
            }
            Error::NoName => {
                f.write_str("module image has neither .modinfo `name=` nor .gnu.linkonce.this_module")
            }
        }
    }
}

impl core::error::Error for Error {}

/// `len` bytes of `image` at `offset`, if they are all inside it.
fn bytes(image: &[u8], offset: u64, len: u64) -> Option<&[u8]> {
    let start = usize::try_from(offset).ok()?;
    let len = usize::try_from(len).ok()?;
    image.get(start..start.checked_add(len)?)
}

fn u16_at(bytes: &[u8], at: usize) -> Option<u16> {
    let b = bytes.get(at..at.checked_add(2)?)?;
    Some(u16::from_le_bytes([b[0], b[1]]))
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    let b: [u8; 4] = bytes.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(u32::from_le_bytes(b))
}

fn u64_at(bytes: &[u8], at: usize) -> Option<u64> {
    let b: [u8; 8] = bytes.get(at..at.checked_add(8)?)?.try_into().ok()?;
    Some(u64::from_le_bytes(b))
}

/// The fields of one section header this reader uses.
#[derive(Debug, Clone, Copy)]
struct Section {
    name: u32,
    kind: u32,
    offset: u64,
    size: u64,
}

/// The validated section header table of an image.
struct Sections<'a> {
    table: &'a [u8],
    count: u64,
}

impl<'a> Sections<'a> {
    fn get(&self, index: u64) -> Option<Section> {
        if index >= self.count {
            return None;
        }
        let at = usize::try_from(index).ok()?.checked_mul(SHDR_SIZE)?;
        let header = self.table.get(at..at.checked_add(SHDR_SIZE)?)?;
        Some(Section {
            name: u32_at(header, 0)?,
            kind: u32_at(header, 4)?,
            offset: u64_at(header, 24)?,
            size: u64_at(header, 32)?,
        })
    }
}

/// The bytes of section `index` (empty for `SHT_NOBITS`).
fn section_bytes(image: &[u8], section: Section, index: u64) -> Result<&[u8], Error> {
    if section.kind == SHT_NOBITS {
        return Ok(&[]);
    }
    bytes(image, section.offset, section.size).ok_or(Error::SectionOutOfBounds { index })
}

/// Checks that `name` is a module name and returns it as text.
fn check_name(name: &[u8], record: Record) -> Result<&str, Error> {
    if name.is_empty() || name.len() >= MODULE_NAME_LEN {
        return Err(Error::BadName {
            record,
            len: name.len(),
        });
    }
    if let Some(&byte) = name
        .iter()
        .find(|&&b| !(b.is_ascii_alphanumeric() || b == b'_' || b == b'-'))
    {
        return Err(Error::BadNameByte { record, byte });
    }
    core::str::from_utf8(name).map_err(|_| Error::BadName {
        record,
        len: name.len(),
    })
}

/// The `name=` value of a `.modinfo` section, if it has one.
fn modinfo_name(modinfo: &[u8]) -> Result<Option<&str>, Error> {
    let mut found = None;
    // Entries are NUL-terminated; the last one may lack its NUL in a hostile image, which `split` also
    // yields (and which the kernel's own reader would not accept as a name: it is refused below if it is
    // the `name=` entry, because the name could run on past the section).
    let mut entries = modinfo.split(|&b| b == 0).peekable();
    while let Some(entry) = entries.next() {
        let Some(value) = entry.strip_prefix(b"name=") else {
            continue;
        };
        let terminated = entries.peek().is_some();
        if !terminated {
            return Err(Error::BadName {
                record: Record::Modinfo,
                len: value.len(),
            });
        }
        if found.is_some() {
            return Err(Error::Duplicate(Record::Modinfo));
        }
        found = Some(check_name(value, Record::Modinfo)?);
    }
    Ok(found)
}

/// The name in a `.gnu.linkonce.this_module` section (a `struct module`).
fn this_module_name(this_module: &[u8]) -> Result<&str, Error> {
    let end = THIS_MODULE_NAME_OFFSET + MODULE_NAME_LEN;
    let field = this_module
        .get(THIS_MODULE_NAME_OFFSET..end.min(this_module.len()))
        .unwrap_or(&[]);
    let Some(nul) = field.iter().position(|&b| b == 0) else {
        return Err(Error::BadName {
            record: Record::ThisModule,
            len: field.len(),
        });
    };
    check_name(&field[..nul], Record::ThisModule)
}

/// Recognizes a compressed image by its magic.
fn compression(image: &[u8]) -> Option<Compression> {
    if image.starts_with(&[0x1f, 0x8b]) {
        Some(Compression::Gzip)
    } else if image.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
        Some(Compression::Xz)
    } else if image.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Some(Compression::Zstd)
    } else {
        None
    }
}

/// The section header table of `image`, after checking the ELF header.
fn sections(image: &[u8]) -> Result<(Sections<'_>, u64), Error> {
    if let Some(kind) = compression(image) {
        return Err(Error::Compressed(kind));
    }
    let header = image
        .get(..EHDR_SIZE)
        .ok_or(Error::Truncated { len: image.len() })?;
    if !header.starts_with(b"\x7fELF") {
        return Err(Error::NotElf);
    }
    let truncated = Error::Truncated { len: image.len() };
    match header.get(4).copied() {
        Some(2) => {}
        class => {
            return Err(Error::NotElf64 {
                class: class.unwrap_or(0),
            });
        }
    }
    match header.get(5).copied() {
        Some(1) => {}
        data => {
            return Err(Error::NotLittleEndian {
                data: data.unwrap_or(0),
            });
        }
    }
    let e_type = u16_at(header, 16).ok_or(truncated)?;
    if e_type != ET_REL {
        return Err(Error::NotRelocatable { e_type });
    }
    let shoff = u64_at(header, 0x28).ok_or(truncated)?;
    let shentsize = u16_at(header, 0x3a).ok_or(truncated)?;
    let shnum = u16_at(header, 0x3c).ok_or(truncated)?;
    let shstrndx = u16_at(header, 0x3e).ok_or(truncated)?;
    if shentsize as usize != SHDR_SIZE {
        return Err(Error::SectionHeaderSize { size: shentsize });
    }
    // With 0xff00 or more sections, e_shnum is 0 and section 0's sh_size holds the count (and e_shstrndx
    // is SHN_XINDEX with the index in section 0's sh_link).
    let first = bytes(image, shoff, SHDR_SIZE as u64).ok_or(Error::SectionTable {
        offset: shoff,
        count: u64::from(shnum),
    })?;
    let count = if shnum == 0 {
        u64_at(first, 32).ok_or(truncated)?
    } else {
        u64::from(shnum)
    };
    let table_error = Error::SectionTable { offset: shoff, count };
    if count == 0 || count > MAX_SECTIONS {
        return Err(table_error);
    }
    let table = bytes(image, shoff, count * SHDR_SIZE as u64).ok_or(table_error)?;
    let names = if shstrndx == SHN_XINDEX {
        u64::from(u32_at(first, 40).ok_or(truncated)?)
    } else {
        u64::from(shstrndx)
    };
    if names >= count {
        return Err(Error::StringTableIndex { index: names });
    }
    Ok((Sections { table, count }, names))
}

/// Reads the name of the module in `image` (an uncompressed ELF64 little-endian `.ko`); see the module
/// docs for what is checked.
pub fn module_name(image: &[u8]) -> Result<&str, Error> {
    let (table, names_index) = sections(image)?;
    let names_section = table
        .get(names_index)
        .ok_or(Error::StringTableIndex { index: names_index })?;
    let names = section_bytes(image, names_section, names_index)?;

    let mut modinfo: Option<&[u8]> = None;
    let mut this_module: Option<&[u8]> = None;
    for index in 0..table.count {
        let section = table.get(index).ok_or(Error::SectionTable {
            offset: 0,
            count: table.count,
        })?;
        if index == 0 {
            // Section 0 is the null section (or holds the extended counts); it has no name.
            continue;
        }
        let name = usize::try_from(section.name)
            .ok()
            .and_then(|at| names.get(at..))
            .and_then(|rest| rest.iter().position(|&b| b == 0).map(|nul| &rest[..nul]))
            .ok_or(Error::SectionName { index })?;
        let slot = match name {
            b".modinfo" => (&mut modinfo, Record::Modinfo),
            b".gnu.linkonce.this_module" => (&mut this_module, Record::ThisModule),
            _ => continue,
        };
        if slot.0.is_some() {
            return Err(Error::Duplicate(slot.1));
        }
        *slot.0 = Some(section_bytes(image, section, index)?);
    }

    let from_modinfo = match modinfo {
        Some(section) => modinfo_name(section)?,
        None => None,
    };
    let from_this_module = match this_module {
        Some(section) => Some(this_module_name(section)?),
        None => None,
    };
    match (from_modinfo, from_this_module) {
        (Some(a), Some(b)) if !same_module(a, b) => Err(Error::Conflict),
        (Some(name), _) | (None, Some(name)) => Ok(name),
        (None, None) => Err(Error::NoName),
    }
}

/// Whether two module names name the same module: the kernel and modprobe treat `-` and `_` alike.
pub fn same_module(a: &str, b: &str) -> bool {
    let norm = |b: u8| if b == b'-' { b'_' } else { b };
    a.len() == b.len() && a.bytes().zip(b.bytes()).all(|(x, y)| norm(x) == norm(y))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds a minimal ELF64 LE relocatable image with the given sections (name, bytes).
    fn image(sections: &[(&str, &[u8])]) -> ([u8; 4096], usize) {
        let mut out = [0u8; 4096];
        let mut len = EHDR_SIZE;
        // Section-name table: "\0" then each name, then ".shstrtab".
        let mut strtab = [0u8; 256];
        let mut strlen = 1;
        let mut name_offsets = [0usize; 8];
        for (i, (name, _)) in sections.iter().enumerate() {
            name_offsets[i] = strlen;
            strtab[strlen..strlen + name.len()].copy_from_slice(name.as_bytes());
            strlen += name.len() + 1;
        }
        let shstrtab_name = strlen;
        strtab[strlen..strlen + 9].copy_from_slice(b".shstrtab");
        strlen += 10;
        // Section contents.
        let mut offsets = [0usize; 8];
        for (i, (_, data)) in sections.iter().enumerate() {
            offsets[i] = len;
            out[len..len + data.len()].copy_from_slice(data);
            len += data.len();
        }
        let strtab_offset = len;
        out[len..len + strlen].copy_from_slice(&strtab[..strlen]);
        len += strlen;
        len = (len + 7) & !7;
        let shoff = len;
        let count = sections.len() + 2;
        // Null section, then the sections, then .shstrtab.
        len += SHDR_SIZE;
        for (i, (_, data)) in sections.iter().enumerate() {
            let h = &mut out[len..len + SHDR_SIZE];
            h[0..4].copy_from_slice(&(name_offsets[i] as u32).to_le_bytes());
            h[4..8].copy_from_slice(&1u32.to_le_bytes());
            h[24..32].copy_from_slice(&(offsets[i] as u64).to_le_bytes());
            h[32..40].copy_from_slice(&(data.len() as u64).to_le_bytes());
            len += SHDR_SIZE;
        }
        let h = &mut out[len..len + SHDR_SIZE];
        h[0..4].copy_from_slice(&(shstrtab_name as u32).to_le_bytes());
        h[4..8].copy_from_slice(&3u32.to_le_bytes());
        h[24..32].copy_from_slice(&(strtab_offset as u64).to_le_bytes());
        h[32..40].copy_from_slice(&(strlen as u64).to_le_bytes());
        len += SHDR_SIZE;
        out[..4].copy_from_slice(b"\x7fELF");
        out[4] = 2;
        out[5] = 1;
        out[6] = 1;
        out[16..18].copy_from_slice(&ET_REL.to_le_bytes());
        out[0x28..0x30].copy_from_slice(&(shoff as u64).to_le_bytes());
        out[0x3a..0x3c].copy_from_slice(&(SHDR_SIZE as u16).to_le_bytes());
        out[0x3c..0x3e].copy_from_slice(&(count as u16).to_le_bytes());
        out[0x3e..0x40].copy_from_slice(&((count - 1) as u16).to_le_bytes());
        (out, len)
    }

    fn this_module(name: &[u8]) -> [u8; 128] {
        let mut module = [0u8; 128];
        module[THIS_MODULE_NAME_OFFSET..THIS_MODULE_NAME_OFFSET + name.len()].copy_from_slice(name);
        module
    }

    fn check(sections: &[(&str, &[u8])], expected: Result<&str, Error>) {
        let (bytes, len) = image(sections);
        assert_eq!(module_name(&bytes[..len]), expected);
        // Every truncation is an error or the same answer, never a panic.
        for cut in 0..len {
            let _ = module_name(&bytes[..cut]);
        }
    }

    #[test]
    fn the_name_comes_from_modinfo_or_this_module() {
        check(
            &[(".modinfo", b"license=GPL\0name=dummy\0vermagic=6.1\0")],
            Ok("dummy"),
        );
        check(
            &[(".gnu.linkonce.this_module", &this_module(b"veth"))],
            Ok("veth"),
        );
        check(
            &[
                (".modinfo", b"name=nf-nat\0"),
                (".gnu.linkonce.this_module", &this_module(b"nf_nat")),
            ],
            Ok("nf-nat"),
        );
    }

    #[test]
    fn hostile_images_are_refused_with_what_was_wrong() {
        check(
            &[
                (".modinfo", b"name=dummy\0"),
                (".gnu.linkonce.this_module", &this_module(b"evil")),
            ],
            Err(Error::Conflict),
        );
        check(
            &[(".modinfo", b"name=a\0name=b\0")],
            Err(Error::Duplicate(Record::Modinfo)),
        );
        check(
            &[(".modinfo", b"name=a\0"), (".modinfo", b"name=a\0")],
            Err(Error::Duplicate(Record::Modinfo)),
        );
        check(
            &[(".modinfo", b"name=../x\0")],
            Err(Error::BadNameByte {
                record: Record::Modinfo,
                byte: b'.',
            }),
        );
        check(
            &[(".modinfo", b"name=dummy")],
            Err(Error::BadName {
                record: Record::Modinfo,
                len: 5,
            }),
        );
        check(&[(".modinfo", b"license=GPL\0")], Err(Error::NoName));
        check(&[(".text", b"\x90\x90")], Err(Error::NoName));
        let long = [b'a'; MODULE_NAME_LEN];
        check(
            &[(".gnu.linkonce.this_module", &this_module(&long))],
            Err(Error::BadName {
                record: Record::ThisModule,
                len: MODULE_NAME_LEN,
            }),
        );
    }

    #[test]
    fn headers_that_are_not_a_64_bit_little_endian_relocatable_object_are_refused() {
        let (bytes, len) = image(&[(".modinfo", b"name=dummy\0")]);
        let mut edit = bytes;
        edit[4] = 1;
        assert_eq!(module_name(&edit[..len]), Err(Error::NotElf64 { class: 1 }));
        let mut edit = bytes;
        edit[5] = 2;
        assert_eq!(module_name(&edit[..len]), Err(Error::NotLittleEndian { data: 2 }));
        let mut edit = bytes;
        edit[16] = 3;
        assert_eq!(
            module_name(&edit[..len]),
            Err(Error::NotRelocatable { e_type: 3 })
        );
        let mut edit = bytes;
        edit[0x28..0x30].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(matches!(
            module_name(&edit[..len]),
            Err(Error::SectionTable { .. })
        ));
        let mut edit = bytes;
        edit[0x3e] = 0x40;
        assert!(matches!(
            module_name(&edit[..len]),
            Err(Error::StringTableIndex { .. })
        ));
        assert_eq!(module_name(b"\x7fELF"), Err(Error::Truncated { len: 4 }));
        assert_eq!(module_name(&[0u8; 64]), Err(Error::NotElf));
        assert_eq!(
            module_name(b"\xfd7zXZ\0rest"),
            Err(Error::Compressed(Compression::Xz))
        );
        assert_eq!(
            module_name(b"\x28\xb5\x2f\xfd"),
            Err(Error::Compressed(Compression::Zstd))
        );
    }

    #[test]
    fn dashes_and_underscores_name_the_same_module() {
        assert!(same_module("nf-nat", "nf_nat"));
        assert!(!same_module("nf_nat", "nf_nat6"));
        assert!(!same_module("dummy", "dumm"));
    }
}
