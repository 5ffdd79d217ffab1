//! ARCHITECTURE.md stays true about the tree: every path it names in backquotes exists.
//!
//! A backquoted word counts as a path when it contains a `/` or ends in `.rs`, `.md` or `.toml`, and has no
//! space, `::`, `*`, `<` or leading `/` (those are commands, Rust paths, patterns and guest paths). It
//! resolves against the repository root; inside a `### \`CRATE/\`` section of the codemap, also against that
//! crate's directory or its `src/`; inside a list item that starts with a directory (`- \`bpf/\`: ...`),
//! also below that directory; and against the directory of the previous path on the same item (so
//! `core/src/policy/compile.rs`, `emit.rs` names two files of one directory).

use std::path::{Path, PathBuf};

fn repository_root() -> PathBuf {
    let xtask = Path::new(env!("CARGO_MANIFEST_DIR"));
    xtask.parent().unwrap_or(xtask).to_path_buf()
}

/// The backquoted words of `line`.
fn backquoted(line: &str) -> impl Iterator<Item = &str> {
    line.split('`').skip(1).step_by(2)
}

fn looks_like_a_path(word: &str) -> bool {
    let named = word.contains('/') || [".rs", ".md", ".toml"].iter().any(|ext| word.ends_with(ext));
    let excluded = word.is_empty()
        || word.starts_with('/')
        || word.starts_with('.') && !word.starts_with(".ci")
        || [" ", "::", "*", "<", "(", "#", "="]
            .iter()
            .any(|bad| word.contains(bad));
    named && !excluded
}

#[test]
fn every_path_architecture_md_names_exists() {
    let root = repository_root();
    let text = std::fs::read_to_string(root.join("ARCHITECTURE.md")).expect("read ARCHITECTURE.md");
    let mut section_crate: Option<String> = None;
    let mut item_dir: Option<String> = None;
    let mut last_dir: Option<PathBuf> = None;
    let mut missing = Vec::new();
    let mut checked = 0;
    for (number, line) in text.lines().enumerate() {
        if let Some(heading) = line.strip_prefix("### ") {
            section_crate = backquoted(heading)
                .next()
                .filter(|word| word.ends_with('/'))
                .map(str::to_owned);
            continue;
        }
        if line.starts_with("## ") {
            section_crate = None;
        }
        if line.trim().is_empty() || line.starts_with('#') {
            item_dir = None;
            last_dir = None;
        }
        if line.starts_with("- ") {
            item_dir = line
                .strip_prefix("- `")
                .and_then(|rest| rest.split('`').next())
                .filter(|word| word.ends_with('/'))
                .map(str::to_owned);
            last_dir = None;
        }
        for word in backquoted(line).filter(|w| looks_like_a_path(w)) {
            let mut bases = vec![root.clone()];
            if let Some(krate) = &section_crate {
                bases.push(root.join(krate));
                bases.push(root.join(krate).join("src"));
            }
            if let Some(dir) = &item_dir {
                let below: Vec<PathBuf> = bases.iter().map(|base| base.join(dir)).collect();
                bases.extend(below);
            }
            bases.extend(last_dir.clone());
            checked += 1;
            match bases
                .iter()
                .map(|base| base.join(word))
                .find(|path| path.exists())
            {
                Some(found) => last_dir = found.parent().map(Path::to_path_buf),
                None => missing.push(format!("line {}: `{word}`", number + 1)),
            }
        }
    }
    assert!(
        checked > 40,
        "only {checked} paths found: is the parser still reading ARCHITECTURE.md?"
    );
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md names paths that do not exist:\n{}",
        missing.join("\n")
    );
}

#[test]
fn the_path_rule_tells_paths_from_commands() {
    assert!(looks_like_a_path("core/src/policy/text.rs"));
    assert!(looks_like_a_path("abi.rs"));
    assert!(looks_like_a_path("docs/embedding.md"));
    assert!(looks_like_a_path("launcher/"));
    assert!(!looks_like_a_path("cargo xtask ci"));
    assert!(!looks_like_a_path("seccomp_sys::install"));
    assert!(!looks_like_a_path("data/kernel/*.tbl"));
    assert!(!looks_like_a_path("/init"));
}
