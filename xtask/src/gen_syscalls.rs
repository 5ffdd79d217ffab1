//! `cargo xtask gen-syscalls [--check]`: turns the kernel's syscall tables in `data/kernel/` into the static
//! lookup tables of `core/src/syscalls/<arch>.rs`.
//!
//! Each output file holds `NAMES`, every name concatenated in number order, `STARTS`, where each name
//! starts in it, `BY_NR`, the numbers sorted, and `BY_NAME`, entry indices sorted by name, so that
//! `seccomp-core` can look up either way by binary search without allocating. Offsets and indices are `u16`, numbers `u32`
//! (eight bytes an entry instead of a 24-byte `(&str, u32)`: the tables are a large part of the static binary; numbers are `u32` for arm's private calls at 0x0f0000 + n). The output is written already formatted the way `rustfmt` (with the repository's
//! `rustfmt.toml`) would format it, and generation is deterministic, so `--check` (and the
//! `generated_tables_are_current` test) can compare bytes.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use crate::util::workspace_root;

/// Where the generated files go, relative to the workspace root.
const OUT_DIR: &str = "core/src/syscalls";
/// Where the kernel tables are read from, relative to the workspace root.
const DATA_DIR: &str = "data/kernel";
/// The `max_width` of the repository's `rustfmt.toml`; the mixed-layout index arrays are filled up to it.
const MAX_WIDTH: usize = 110;
/// Every table number must be below this (`__X32_SYSCALL_BIT`): the x32 table adds the bit itself.
const NR_LIMIT: u32 = 0x4000_0000;

/// Where the ABI list of one architecture comes from.
enum Abis {
    /// A fixed list of ABI names.
    Fixed(&'static [&'static str]),
    /// `common` and `64` plus the words of the `syscall_abis_64 +=` line of an arch's `Makefile.syscalls`
    /// (how `scripts/Makefile.asm-headers` builds the list for the generic table).
    Makefile(&'static str),
}

/// One generated table.
struct Spec {
    /// Output file name in [`OUT_DIR`].
    out: &'static str,
    /// Human-readable architecture name for the file's doc comment.
    arch: &'static str,
    /// Kernel tables in [`DATA_DIR`], read in order (32-bit arm adds its private numbers from a second file).
    tables: &'static [&'static str],
    /// Which ABIs of the table the architecture uses.
    abis: Abis,
}

/// The architectures whose tables are generated.
const SPECS: &[Spec] = &[
    Spec {
        out: "x86_64.rs",
        arch: "x86_64",
        tables: &["syscall_64.tbl"],
        abis: Abis::Fixed(&["common", "64"]),
    },
    Spec {
        out: "x32.rs",
        arch: "x32",
        tables: &["syscall_64.tbl"],
        abis: Abis::Fixed(&["common", "x32"]),
    },
    Spec {
        out: "i386.rs",
        arch: "i386",
        tables: &["syscall_32.tbl"],
        abis: Abis::Fixed(&["i386"]),
    },
    Spec {
        out: "aarch64.rs",
        arch: "aarch64",
        tables: &["syscall_generic.tbl"],
        abis: Abis::Makefile("arm64.Makefile.syscalls"),
    },
    Spec {
        out: "arm.rs",
        arch: "arm (EABI)",
        tables: &["syscall_arm.tbl", "syscall_arm_private.tbl"],
        abis: Abis::Fixed(&["common", "eabi", "private"]),
    },
];

/// Runs the task: writes the tables, or with `--check` fails when a committed table differs.
pub fn run(args: &[String]) -> Result<(), String> {
    let mut check = false;
    for arg in args {
        match arg.as_str() {
            "--check" => check = true,
            other => {
                return Err(format!(
                    "gen-syscalls: unknown option `{other}` (expected `--check`)"
                ));
            }
        }
    }
    let root = workspace_root();
    let files = generate(&root)?;
    let mut stale = Vec::new();
    for (name, text) in &files {
        let path = root.join(OUT_DIR).join(name);
        let current = fs::read(&path).ok();
        if current.as_deref() == Some(text.as_bytes()) {
            continue;
        }
        if check {
            stale.push(format!("{OUT_DIR}/{name}"));
        } else {
            fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            eprintln!("wrote {OUT_DIR}/{name}");
        }
    }
    if stale.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "stale generated files (run `cargo xtask gen-syscalls`): {}",
            stale.join(", ")
        ))
    }
}

/// Generates every table from the data under `root`, returning `(file name, contents)` pairs.
pub fn generate(root: &Path) -> Result<Vec<(&'static str, String)>, String> {
    let data = root.join(DATA_DIR);
    let read = |name: &str| {
        let path = data.join(name);
        fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))
    };
    let mut out = Vec::new();
    for spec in SPECS {
        let abis: Vec<String> = match spec.abis {
            Abis::Fixed(list) => list.iter().map(|abi| (*abi).to_owned()).collect(),
            Abis::Makefile(file) => {
                let mut list = vec!["common".to_owned(), "64".to_owned()];
                list.extend(parse_makefile_abis(&read(file)?, &format!("{DATA_DIR}/{file}"))?);
                list
            }
        };
        let mut entries = Vec::new();
        for table in spec.tables {
            entries.extend(parse_table(&read(table)?, &format!("{DATA_DIR}/{table}"))?);
        }
        let source = spec
            .tables
            .iter()
            .map(|table| format!("{DATA_DIR}/{table}"))
            .collect::<Vec<_>>()
            .join("` and `");
        let selected = select(&entries, &abis, &source)?;
        out.push((spec.out, render(spec.arch, &source, &abis, &selected)?));
    }
    Ok(out)
}

/// One line of a syscall table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// 1-based line number in the table file, for error messages.
    pub line: usize,
    /// Syscall number.
    pub nr: u32,
    /// ABI column (`common`, `64`, `x32`, `i386`, ...).
    pub abi: String,
    /// Syscall name.
    pub name: String,
}

/// Parses a kernel `.tbl` file: `<number> <abi> <name> [<entry point> [<compat entry point>]]`, fields
/// separated by any whitespace; `#` starts a comment; blank lines are skipped. `source` names the file in
/// errors.
pub fn parse_table(text: &str, source: &str) -> Result<Vec<Entry>, String> {
    let mut entries = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let content = raw.split('#').next().unwrap_or("");
        let mut fields = content.split_whitespace();
        let Some(nr_field) = fields.next() else { continue };
        let (Some(abi), Some(name)) = (fields.next(), fields.next()) else {
            return Err(format!(
                "{source}:{line}: expected `<number> <abi> <name> [<entry point>]`"
            ));
        };
        let nr: u32 = nr_field
            .parse()
            .map_err(|_| format!("{source}:{line}: syscall number `{nr_field}` is not a decimal number"))?;
        // Numbers stay below the x32 bit (the largest are arm's private ones, 0x0f0000 + n).
        if nr >= NR_LIMIT {
            return Err(format!(
                "{source}:{line}: syscall number {nr} is not below {NR_LIMIT:#x}"
            ));
        }
        let valid_name = name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !valid_name || name.starts_with(|c: char| c.is_ascii_digit()) {
            return Err(format!("{source}:{line}: `{name}` is not a valid syscall name"));
        }
        entries.push(Entry {
            line,
            nr,
            abi: abi.to_owned(),
            name: name.to_owned(),
        });
    }
    Ok(entries)
}

/// Reads the extra 64-bit ABIs from an arch's `Makefile.syscalls` (`syscall_abis_64 += a b c`).
pub fn parse_makefile_abis(text: &str, source: &str) -> Result<Vec<String>, String> {
    let mut abis = Vec::new();
    let mut found = false;
    for raw in text.lines() {
        let content = raw.split('#').next().unwrap_or("");
        if let Some(rest) = content.trim_start().strip_prefix("syscall_abis_64")
            && let Some(words) = rest.trim_start().strip_prefix("+=")
        {
            found = true;
            abis.extend(words.split_whitespace().map(str::to_owned));
        }
    }
    if found {
        Ok(abis)
    } else {
        Err(format!("{source}: no `syscall_abis_64 +=` line"))
    }
}

/// Keeps the entries whose ABI is in `abis`, sorted by number, and rejects duplicate numbers or names.
pub fn select(entries: &[Entry], abis: &[String], source: &str) -> Result<Vec<Entry>, String> {
    let mut by_nr: BTreeMap<u32, &Entry> = BTreeMap::new();
    let mut by_name: BTreeMap<&str, &Entry> = BTreeMap::new();
    for entry in entries.iter().filter(|e| abis.contains(&e.abi)) {
        if let Some(first) = by_nr.insert(entry.nr, entry) {
            return Err(format!(
                "{source}:{}: number {} is already used by `{}` on line {}",
                entry.line, entry.nr, first.name, first.line
            ));
        }
        if let Some(first) = by_name.insert(&entry.name, entry) {
            return Err(format!(
                "{source}:{}: name `{}` is already used on line {}",
                entry.line, entry.name, first.line
            ));
        }
    }
    if by_nr.is_empty() {
        return Err(format!(
            "{source}: no entry has one of the ABIs {}",
            abis.join(", ")
        ));
    }
    Ok(by_nr.into_values().cloned().collect())
}

/// Renders one generated file from entries sorted by number.
pub fn render(arch: &str, source: &str, abis: &[String], entries: &[Entry]) -> Result<String, String> {
    let count = entries.len();
    if count > usize::from(u16::MAX) {
        return Err(format!("{source}: {count} entries do not fit the u16 name index"));
    }
    let abi_list = abis
        .iter()
        .map(|abi| format!("`{abi}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let mut text = String::new();
    // `write!` into a String cannot fail; the results are ignored with `let _`.
    let _ = writeln!(
        text,
        "//! The {arch} syscall table: the entries of `{source}` whose ABI is one of"
    );
    let _ = writeln!(text, "//! {abi_list}.");
    let _ = writeln!(text, "//!");
    let _ = writeln!(
        text,
        "//! @generated by `cargo xtask gen-syscalls`. Do not edit by hand."
    );
    let _ = writeln!(text);
    let mut starts = Vec::with_capacity(count + 1);
    let mut offset = 0usize;
    for entry in entries {
        starts.push(offset);
        offset += entry.name.len();
    }
    starts.push(offset);
    if offset > usize::from(u16::MAX) {
        return Err(format!(
            "{source}: {offset} bytes of names do not fit the u16 name offsets"
        ));
    }
    let _ = writeln!(
        text,
        "/// Every entry's name, concatenated in number order (entry `i` is `NAMES[STARTS[i]..STARTS[i + 1]]`)."
    );
    let items: Vec<String> = entries.iter().map(|e| format!("\"{}\"", e.name)).collect();
    push_call(&mut text, "pub(super) static NAMES: &str = concat!(", &items);
    let _ = writeln!(text);
    let _ = writeln!(
        text,
        "/// Where each entry's name starts in [`NAMES`], and after the last entry the end of `NAMES`."
    );
    let head = format!("pub(super) static STARTS: [u16; {}] = [", count + 1);
    let items: Vec<String> = starts.iter().map(usize::to_string).collect();
    push_array(&mut text, &head, &items, true);
    let _ = writeln!(text);
    let _ = writeln!(text, "/// Every entry's number, sorted.");
    let head = format!("pub(super) static BY_NR: [u32; {count}] = [");
    let items: Vec<String> = entries.iter().map(|e| e.nr.to_string()).collect();
    push_array(&mut text, &head, &items, true);
    let _ = writeln!(text);
    let _ = writeln!(
        text,
        "/// Entry indices (into [`BY_NR`] and [`STARTS`]), sorted by name."
    );
    let mut order: Vec<usize> = (0..count).collect();
    order.sort_by(|&a, &b| entries[a].name.cmp(&entries[b].name));
    let head = format!("pub(super) static BY_NAME: [u16; {count}] = [");
    let items: Vec<String> = order.iter().map(usize::to_string).collect();
    push_array(&mut text, &head, &items, true);
    Ok(text)
}

/// Appends `head items );` the way rustfmt lays out a macro call's arguments: on one line when short,
/// otherwise one argument per line with a trailing comma.
fn push_call(text: &mut String, head: &str, items: &[String]) {
    let literal = items.join(", ");
    let one_line = format!("{head}{literal});");
    if one_line.len() <= MAX_WIDTH && literal.len() <= MAX_WIDTH * 6 / 10 {
        text.push_str(&one_line);
        text.push('\n');
        return;
    }
    text.push_str(head);
    text.push('\n');
    for item in items {
        text.push_str("    ");
        text.push_str(item);
        text.push_str(",\n");
    }
    text.push_str(");\n");
}

/// Appends `head items ];` the way rustfmt lays out an array literal: on one line when it is short, otherwise
/// one item per line (`mixed == false`, rustfmt's layout for non-simple items such as tuples) or as many
/// items per line as fit (`mixed == true`, rustfmt's layout for short literals).
fn push_array(text: &mut String, head: &str, items: &[String], mixed: bool) {
    // rustfmt's `array_width` heuristic: the items of an array literal stay on one line only when they
    // take at most 60% of `max_width` (checked against rustfmt).
    let literal = items.join(", ");
    let one_line = format!("{head}{literal}];");
    if literal.len() <= MAX_WIDTH * 6 / 10 && one_line.len() <= MAX_WIDTH {
        text.push_str(&one_line);
        text.push('\n');
        return;
    }
    text.push_str(head);
    text.push('\n');
    if mixed {
        let mut line = String::from("   ");
        for item in items {
            // Each item is followed by a comma. rustfmt fills a mixed line to at most `MAX_WIDTH - 1`
            // columns (checked against rustfmt on random arrays).
            if line.len() + 1 + item.len() + 1 >= MAX_WIDTH && line.len() > 3 {
                text.push_str(&line);
                text.push('\n');
                line = String::from("   ");
            }
            line.push(' ');
            line.push_str(item);
            line.push(',');
        }
        text.push_str(&line);
        text.push('\n');
    } else {
        for item in items {
            text.push_str("    ");
            text.push_str(item);
            text.push_str(",\n");
        }
    }
    text.push_str("];\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(entries: &[Entry]) -> Vec<(u32, &str, &str)> {
        entries
            .iter()
            .map(|e| (e.nr, e.abi.as_str(), e.name.as_str()))
            .collect()
    }

    #[test]
    fn generated_tables_are_current() {
        let root = workspace_root();
        let files = match generate(&root) {
            Ok(files) => files,
            Err(e) => panic!("generation failed: {e}"),
        };
        assert_eq!(files.len(), SPECS.len());
        for (name, text) in files {
            let path = root.join(OUT_DIR).join(name);
            let committed = fs::read_to_string(&path).unwrap_or_default();
            assert!(
                committed == text,
                "{OUT_DIR}/{name} is stale; run `cargo xtask gen-syscalls`"
            );
        }
    }

    #[test]
    fn table_parser_skips_comments_and_blank_lines_and_accepts_missing_entry_points() {
        let text = "# comment\n\n  \t\n0\tcommon\tread\t\t\tsys_read\n1 64 write sys_write compat_sys_write\n\
                    134\t64\tuselib\n2 common open # trailing comment\n";
        let entries = parse_table(text, "t.tbl").unwrap_or_default();
        assert_eq!(
            names(&entries),
            [
                (0, "common", "read"),
                (1, "64", "write"),
                (134, "64", "uselib"),
                (2, "common", "open")
            ]
        );
        assert_eq!(entries.iter().map(|e| e.line).collect::<Vec<_>>(), [4, 5, 6, 7]);
    }

    #[test]
    fn table_parser_reports_file_and_line_of_bad_input() {
        assert_eq!(
            parse_table("0 common read\nx common write\n", "t.tbl"),
            Err("t.tbl:2: syscall number `x` is not a decimal number".to_owned())
        );
        assert_eq!(
            parse_table("\n\n7 common\n", "t.tbl"),
            Err("t.tbl:3: expected `<number> <abi> <name> [<entry point>]`".to_owned())
        );
        assert_eq!(
            parse_table("7 common Bad\n", "t.tbl"),
            Err("t.tbl:1: `Bad` is not a valid syscall name".to_owned())
        );
        assert!(parse_table("983042 private cacheflush\n", "t.tbl").is_ok());
        assert!(parse_table("1073741824 common big\n", "t.tbl").is_err());
    }

    #[test]
    fn select_filters_by_abi_sorts_and_rejects_duplicates() {
        let abis = ["common".to_owned(), "64".to_owned()];
        let entries = parse_table("5 common b\n4 time32 x\n4 64 a\n", "t.tbl").unwrap_or_default();
        let selected = select(&entries, &abis, "t.tbl").unwrap_or_default();
        assert_eq!(names(&selected), [(4, "64", "a"), (5, "common", "b")]);

        let dup_nr = parse_table("4 common a\n4 64 b\n", "t.tbl").unwrap_or_default();
        assert_eq!(
            select(&dup_nr, &abis, "t.tbl"),
            Err("t.tbl:2: number 4 is already used by `a` on line 1".to_owned())
        );
        let dup_name = parse_table("4 common a\n5 64 a\n", "t.tbl").unwrap_or_default();
        assert_eq!(
            select(&dup_name, &abis, "t.tbl"),
            Err("t.tbl:2: name `a` is already used on line 1".to_owned())
        );
        assert!(select(&dup_name, &["x32".to_owned()], "t.tbl").is_err());
    }

    #[test]
    fn makefile_abis_are_read_from_the_plus_equals_line() {
        let text = "# SPDX\n\nsyscall_abis_32 +=\nsyscall_abis_64 += renameat rlimit memfd_secret\n";
        assert_eq!(
            parse_makefile_abis(text, "m"),
            Ok(vec![
                "renameat".to_owned(),
                "rlimit".to_owned(),
                "memfd_secret".to_owned()
            ])
        );
        assert!(parse_makefile_abis("syscall_abis_32 += foo\n", "m").is_err());
    }

    #[test]
    fn render_sorts_the_name_index_and_lays_out_short_arrays_on_one_line() {
        let entries = parse_table("0 c write\n1 c read\n2 c close\n", "t").unwrap_or_default();
        let text = render("test", "t", &["c".to_owned()], &entries).unwrap_or_default();
        assert!(text.contains("pub(super) static NAMES: &str = concat!(\"write\", \"read\", \"close\");\n"));
        assert!(text.contains("pub(super) static STARTS: [u16; 4] = [0, 5, 9, 14];\n"));
        assert!(text.contains("pub(super) static BY_NR: [u32; 3] = [0, 1, 2];\n"));
        assert!(text.contains("pub(super) static BY_NAME: [u16; 3] = [2, 1, 0];\n"));
    }

    #[test]
    fn mixed_arrays_fill_lines_up_to_max_width() {
        let items: Vec<String> = (0..200).map(|i| i.to_string()).collect();
        let mut text = String::new();
        push_array(&mut text, "static A: [u16; 200] = [", &items, true);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines.len() > 3);
        for line in &lines[1..lines.len() - 1] {
            assert!(
                line.len() < MAX_WIDTH && line.starts_with("    ") && line.ends_with(','),
                "{line:?}"
            );
        }
        // Greedy: the next item would not have fit on any full line.
        for pair in lines[1..lines.len() - 1].windows(2) {
            let next = pair[1].trim_start().split(',').next().unwrap_or("");
            assert!(pair[0].len() + 1 + next.len() + 1 >= MAX_WIDTH);
        }
    }
}
