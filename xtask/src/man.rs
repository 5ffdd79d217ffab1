//! `cargo xtask man [--out DIR]`: writes the seccompctl man pages into `target/man` (or `--out DIR`):
//! `seccompctl.1` and one `seccompctl-<subcommand>.1` per subcommand, generated from the clap definitions
//! so that they can never disagree with `--help`, and `seccompctl-policy.5`, the policy language, converted
//! from `docs/policy.md`.
//!
//! A subcommand's page is named `seccompctl-run(1)` (as git's and cargo's are), but its SYNOPSIS says
//! `seccompctl run`, the command a user types.

use clap::CommandFactory;
use std::path::{Path, PathBuf};

/// The sections of `docs/policy.md` that describe the language (the rest is about the Rust API and the
/// compiler's internals).
const POLICY_SECTIONS: &[&str] = &[
    "## The text format",
    "### Comparisons",
    "### Deciding a syscall",
    "## Syscall groups",
];

/// Generates every page into `--out DIR` (default `target/man`).
pub fn run(args: &[String]) -> Result<(), String> {
    let root = crate::util::workspace_root();
    let out = match args {
        [] => root.join("target/man"),
        [flag, dir] if flag == "--out" => PathBuf::from(dir),
        _ => return Err("usage: cargo xtask man [--out DIR]".to_owned()),
    };
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let command = seccompctl::args::Cli::command();
    let mut pages = vec![("seccompctl".to_owned(), command.clone())];
    for sub in command.get_subcommands() {
        let name = format!("seccompctl-{}", sub.get_name());
        let page = sub
            .clone()
            .display_name(name.clone())
            .bin_name(format!("seccompctl {}", sub.get_name()));
        pages.push((name, page));
    }
    for (name, page) in pages {
        let mut text = Vec::new();
        clap_mangen::Man::new(page)
            .render(&mut text)
            .map_err(|e| format!("rendering {name}: {e}"))?;
        write(&out.join(format!("{name}.1")), &text)?;
    }
    let policy_md = root.join("docs/policy.md");
    let markdown =
        std::fs::read_to_string(&policy_md).map_err(|e| format!("{}: {e}", policy_md.display()))?;
    write(
        &out.join("seccompctl-policy.5"),
        policy_page(&markdown).as_bytes(),
    )?;
    Ok(())
}

/// Writes one page and says so.
fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    std::fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    println!("wrote {}", path.display());
    Ok(())
}

/// The `seccompctl-policy(5)` page: a header, then [`POLICY_SECTIONS`] of the document in roff.
pub fn policy_page(markdown: &str) -> String {
    let mut page = String::from(
        ".TH SECCOMPCTL-POLICY 5 \"\" \"seccompctl\"\n.SH NAME\nseccompctl-policy \\- the seccompctl policy \
         language\n.SH SYNOPSIS\n.nf\narch x86_64\ndefault errno(EPERM)\nallow @system-service\nallow openat if \
         (args[2] & 3) == 0\n.fi\n.SH DESCRIPTION\nA policy says what a seccomp filter decides for every syscall \
         of one architecture. \\fBseccompctl compile\\fR, \\fBrun\\fR, \\fBsim\\fR and \\fBlearn\\fR read and \
         write this format.\n",
    );
    let mut include = false;
    let mut level = 0;
    let mut verbatim = false;
    for line in markdown.lines() {
        if !verbatim && line.starts_with('#') {
            let depth = line.bytes().take_while(|&b| b == b'#').count();
            if let Some(section) = POLICY_SECTIONS.iter().find(|s| line.starts_with(**s)) {
                include = true;
                level = section.bytes().take_while(|&b| b == b'#').count();
            } else if depth <= level {
                include = false;
            }
            if include {
                let title = line.trim_start_matches('#').trim();
                let macro_name = if depth <= 2 { ".SH" } else { ".SS" };
                let title = if depth <= 2 {
                    title.to_uppercase()
                } else {
                    title.to_owned()
                };
                page.push_str(&format!("{macro_name} {}\n", escape(&title)));
            }
            continue;
        }
        if !include {
            continue;
        }
        if line.starts_with("```") {
            page.push_str(if verbatim { ".fi\n.RE\n" } else { ".RS 4\n.nf\n" });
            verbatim = !verbatim;
        } else if verbatim {
            page.push_str(&escape(line));
            page.push('\n');
        } else if line.trim().is_empty() {
            page.push_str(".PP\n");
        } else if line.starts_with('|') {
            if !line.contains("---") {
                let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
                page.push_str(&format!(".br\n{}\n", escape(&cells.join("  \u{2014}  "))));
            }
        } else if let Some(item) = line.trim_start().strip_prefix("- ") {
            page.push_str(&format!(".IP \\(bu 2\n{}\n", escape(item)));
        } else {
            page.push_str(&escape(line.trim_start()));
            page.push('\n');
        }
    }
    page
}

/// Text made safe for roff: backslashes escaped, a leading `.` or `'` neutralised, emphasis markers dropped.
fn escape(text: &str) -> String {
    let text = text.replace('\\', "\\e").replace("**", "");
    if text.starts_with('.') || text.starts_with('\'') {
        format!("\\&{text}")
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subcommand_pages_name_the_command_a_user_types() {
        let dir = std::env::temp_dir().join(format!("xtask-man-{}", std::process::id()));
        run(&["--out".to_owned(), dir.display().to_string()]).expect("pages written");
        let run_page = std::fs::read_to_string(dir.join("seccompctl-run.1")).expect("run page");
        assert!(run_page.contains(".TH seccompctl-run 1"), "{run_page}");
        let synopsis = run_page.split(".SH SYNOPSIS").nth(1).expect("synopsis");
        assert!(
            synopsis.trim_start().starts_with("\\fBseccompctl run\\fR"),
            "{synopsis}"
        );
        let policy = std::fs::read_to_string(dir.join("seccompctl-policy.5")).expect("policy page");
        assert!(policy.starts_with(".TH SECCOMPCTL-POLICY 5"));
        assert!(
            policy.contains(".SH THE TEXT FORMAT") && policy.contains(".SS Grammar"),
            "{policy}"
        );
        assert!(!policy.contains("## "), "headings converted");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
