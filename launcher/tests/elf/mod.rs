//! A minimal reader for the parts of a 64-bit little-endian ELF file the tests check: the file type and
//! machine, the program header types and the symbol table. Every read is bounds-checked and a malformed
//! file gives an error naming the offset, never a panic.

/// `e_type` of a non-PIE executable.
pub const ET_EXEC: u16 = 2;
/// `e_machine` for x86_64.
pub const EM_X86_64: u16 = 62;
/// `e_machine` for aarch64.
pub const EM_AARCH64: u16 = 183;
/// Program header: dynamic linking information.
pub const PT_DYNAMIC: u32 = 2;
/// Program header: the path of the dynamic loader.
pub const PT_INTERP: u32 = 3;

/// Section type of the full symbol table (`.symtab`).
const SHT_SYMTAB: u32 = 2;
/// Section type of the dynamic symbol table (`.dynsym`).
const SHT_DYNSYM: u32 = 11;
/// Symbol binding of a weak symbol.
const STB_WEAK: u8 = 2;

/// What the tests need from an ELF file.
#[derive(Debug)]
pub struct Elf {
    /// `e_type`.
    pub file_type: u16,
    /// `e_machine`.
    pub machine: u16,
    /// `e_entry`.
    pub entry: u64,
    /// The `p_type` of every program header.
    pub segment_types: Vec<u32>,
    /// The symbols of `.symtab`, or `None` when the file is stripped.
    pub symbols: Option<Vec<Symbol>>,
    /// Whether the file has a `.dynsym` section.
    pub has_dynamic_symbols: bool,
}

/// One entry of the symbol table.
#[derive(Debug)]
pub struct Symbol {
    /// The symbol's name.
    pub name: String,
    /// `st_value`.
    pub value: u64,
    /// Whether the symbol is undefined (`st_shndx == SHN_UNDEF`).
    pub undefined: bool,
    /// Whether the symbol is weak.
    pub weak: bool,
}

/// Bounds-checked little-endian reads from the file.
struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn bytes(&self, offset: u64, len: u64) -> Result<&[u8], String> {
        let start = usize::try_from(offset).map_err(|_| format!("offset {offset:#x} out of range"))?;
        let len = usize::try_from(len).map_err(|_| format!("length {len:#x} out of range"))?;
        start
            .checked_add(len)
            .and_then(|end| self.0.get(start..end))
            .ok_or_else(|| format!("{len} bytes at offset {offset:#x} are past the end of the file"))
    }

    fn uint<const N: usize>(&self, offset: u64) -> Result<u64, String> {
        let mut value = [0u8; 8];
        value[..N].copy_from_slice(self.bytes(offset, N as u64)?);
        Ok(u64::from_le_bytes(value))
    }

    fn u8(&self, offset: u64) -> Result<u8, String> {
        Ok(self.uint::<1>(offset)? as u8)
    }

    fn u16(&self, offset: u64) -> Result<u16, String> {
        Ok(self.uint::<2>(offset)? as u16)
    }

    fn u32(&self, offset: u64) -> Result<u32, String> {
        Ok(self.uint::<4>(offset)? as u32)
    }

    fn u64(&self, offset: u64) -> Result<u64, String> {
        self.uint::<8>(offset)
    }

    /// The NUL-terminated string at `offset` inside the string table at `table` of `size` bytes.
    fn string(&self, table: u64, size: u64, offset: u64) -> Result<String, String> {
        let strings = self.bytes(table, size)?;
        let start = usize::try_from(offset)
            .ok()
            .filter(|&start| start < strings.len())
            .ok_or_else(|| format!("string offset {offset} outside its {size}-byte table"))?;
        let tail = &strings[start..];
        let end = tail
            .iter()
            .position(|&byte| byte == 0)
            .ok_or_else(|| format!("unterminated string at offset {offset}"))?;
        Ok(String::from_utf8_lossy(&tail[..end]).into_owned())
    }
}

/// The offset of entry `index` of a table at `base` with entries of `size` bytes.
fn element(base: u64, index: u64, size: u64) -> Result<u64, String> {
    index
        .checked_mul(size)
        .and_then(|delta| delta.checked_add(base))
        .and_then(|at| at.checked_add(64))
        .map(|end| end - 64)
        .ok_or_else(|| format!("table entry {index} at {base:#x} overflows"))
}

/// Reads the header, the program headers and the symbol table of an ELF64 little-endian file.
pub fn parse(file: &[u8]) -> Result<Elf, String> {
    let r = Reader(file);
    if r.bytes(0, 4)? != b"\x7fELF" {
        return Err("no ELF magic".into());
    }
    if r.u8(4)? != 2 || r.u8(5)? != 1 {
        return Err("not a 64-bit little-endian ELF file".into());
    }
    let file_type = r.u16(0x10)?;
    let machine = r.u16(0x12)?;
    let entry = r.u64(0x18)?;
    let phoff = r.u64(0x20)?;
    let shoff = r.u64(0x28)?;
    let phentsize = u64::from(r.u16(0x36)?);
    let phnum = u64::from(r.u16(0x38)?);
    let shentsize = u64::from(r.u16(0x3a)?);
    let shnum = u64::from(r.u16(0x3c)?);

    let segment_types = (0..phnum)
        .map(|index| r.u32(element(phoff, index, phentsize)?))
        .collect::<Result<Vec<_>, _>>()?;

    let mut symbols = None;
    let mut has_dynamic_symbols = false;
    for index in 0..shnum {
        let header = element(shoff, index, shentsize)?;
        match r.u32(header + 4)? {
            SHT_DYNSYM => has_dynamic_symbols = true,
            SHT_SYMTAB => {
                let offset = r.u64(header + 24)?;
                let size = r.u64(header + 32)?;
                let link = u64::from(r.u32(header + 40)?);
                let entsize = r.u64(header + 56)?;
                if entsize < 24 {
                    return Err(format!("symbol table entries of {entsize} bytes"));
                }
                let strtab = element(shoff, link, shentsize)?;
                let (str_offset, str_size) = (r.u64(strtab + 24)?, r.u64(strtab + 32)?);
                let mut list = Vec::new();
                for index in 0..size / entsize {
                    let at = element(offset, index, entsize)?;
                    let info = r.u8(at + 4)?;
                    list.push(Symbol {
                        name: r.string(str_offset, str_size, u64::from(r.u32(at)?))?,
                        value: r.u64(at + 8)?,
                        undefined: r.u16(at + 6)? == 0,
                        weak: info >> 4 == STB_WEAK,
                    });
                }
                symbols = Some(list);
            }
            _ => {}
        }
    }
    Ok(Elf {
        file_type,
        machine,
        entry,
        segment_types,
        symbols,
        has_dynamic_symbols,
    })
}
