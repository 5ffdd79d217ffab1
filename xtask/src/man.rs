//! `cargo xtask man [--out DIR]`: writes the seccompctl man pages into `target/man` (or `--out DIR`):
//! `seccompctl.1` and one `seccompctl-<subcommand>.1` per subcommand, generated from the clap definitions
//! so that they can never disagree with `--help`, and `seccompctl-policy.5`, the policy language, converted
//! from `docs/policy.md`.
//!
//! A subcommand's page is named `seccompctl-run(1)` (as git's and cargo's are), but its SYNOPSIS says
//! `seccompctl run`, the command a user types. The SYNOPSIS is written here rather than by clap_mangen,
//! whose synopsis drops option values (`[-s|--string-limit]`) and repetition (`<CMD>`): each option is shown
//! with its value names as `--help` shows them (`[-s|--string-limit N]`, `<CMD>...`).

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
    let mut command = seccompctl::args::Cli::command();
    // Built first so that the subcommands carry what the parent propagates to them (`--version`).
    command.build();
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
        let text = render_page(page).map_err(|e| format!("rendering {name}: {e}"))?;
        write(&out.join(format!("{name}.1")), text.as_bytes())?;
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

/// One command's page: clap_mangen's, with the SYNOPSIS section replaced by [`synopsis`].
fn render_page(mut page: clap::Command) -> Result<String, String> {
    page.build();
    let mut text = Vec::new();
    clap_mangen::Man::new(page.clone())
        .render(&mut text)
        .map_err(|e| e.to_string())?;
    let text = String::from_utf8(text).map_err(|e| e.to_string())?;
    let heading = ".SH SYNOPSIS\n";
    let start = text.find(heading).ok_or("no SYNOPSIS section")? + heading.len();
    let end = text[start..]
        .find("\n.SH ")
        .map_or(text.len(), |offset| start + offset + 1);
    // Not adjusted to both margins (`.na`, undone by `.ad`): the synopsis reads as typed.
    Ok(format!(
        "{}.na\n{}\n.ad\n{}",
        &text[..start],
        synopsis(&page),
        &text[end..]
    ))
}

/// The SYNOPSIS line of a built command in roff: its name, then every visible option with its value names
/// (`[-s|--string-limit N]`, repeatable flags followed by `...`), each required group as
/// `<--policy FILE|--oci FILE>`, the positionals (`<CMD>...`, `[SUBCOMMAND]`) and `<COMMAND>` when the
/// command has subcommands: the `Usage:` line of `--help` with `[OPTIONS]` spelled out.
pub fn synopsis(cmd: &clap::Command) -> String {
    let name = cmd.get_bin_name().unwrap_or_else(|| cmd.get_name());
    let mut words = vec![format!("\\fB{}\\fR", roff_text(name))];
    let required_groups: Vec<Vec<&clap::Arg>> = cmd
        .get_groups()
        .filter(|group| group.is_required_set())
        .map(|group| {
            group
                .get_args()
                .filter_map(|id| cmd.get_arguments().find(|arg| arg.get_id() == id))
                .collect()
        })
        .collect();
    let in_required_group = |arg: &clap::Arg| {
        required_groups
            .iter()
            .flatten()
            .any(|member| member.get_id() == arg.get_id())
    };
    let options = cmd
        .get_arguments()
        .filter(|arg| !arg.is_hide_set() && !arg.is_positional() && !in_required_group(arg));
    for option in options {
        let (open, close) = if option.is_required_set() {
            ("", "")
        } else {
            ("[", "]")
        };
        words.push(format!(
            "{open}{}{close}{}",
            synopsis_option(option),
            repeat_mark(option)
        ));
    }
    for group in &required_groups {
        let members: Vec<String> = group.iter().map(|arg| synopsis_option(arg)).collect();
        words.push(format!("<{}>", members.join("|")));
    }
    for positional in cmd.get_positionals().filter(|arg| !arg.is_hide_set()) {
        let (open, close) = if positional.is_required_set() {
            ("<", ">")
        } else {
            ("[", "]")
        };
        words.push(format!(
            "{open}\\fI{}\\fR{close}{}",
            roff_text(&value_names(positional).join(" ")),
            repeat_mark(positional)
        ));
    }
    if cmd.has_subcommands() {
        let value = cmd.get_subcommand_value_name().unwrap_or("COMMAND");
        words.push(format!("<\\fI{}\\fR>", roff_text(value)));
    }
    // Each word is kept whole on one line: `\\%` forbids hyphenating it, `\\ ` is a space that does not
    // break (`--string-limit N` never splits from its value).
    words
        .iter()
        .map(|word| format!("\\%{}", word.replace(' ', "\\ ")))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `-s|--string-limit N` (bold names, italic values), the option part of a synopsis word.
fn synopsis_option(option: &clap::Arg) -> String {
    let names: Vec<String> = option
        .get_short()
        .map(|short| format!("-{short}"))
        .into_iter()
        .chain(option.get_long().map(|long| format!("--{long}")))
        .map(|name| format!("\\fB{}\\fR", roff_text(&name)))
        .collect();
    let mut word = names.join("|");
    let takes_values = option.get_num_args().is_some_and(|range| range.takes_values());
    if takes_values {
        let values = format!("\\fI{}\\fR", roff_text(&value_names(option).join(" ")));
        let optional = option.get_num_args().is_some_and(|range| range.min_values() == 0);
        word.push_str(&match (optional, option.is_require_equals_set()) {
            (false, false) => format!(" {values}"),
            (false, true) => format!("={values}"),
            (true, _) => format!("[={values}]"),
        });
    }
    word
}

/// The value names `--help` shows for an argument: its `value_name`s, or its id in capitals.
fn value_names(arg: &clap::Arg) -> Vec<String> {
    match arg.get_value_names() {
        Some(names) => names.iter().map(ToString::to_string).collect(),
        None => vec![arg.get_id().as_str().to_uppercase()],
    }
}

/// `...` after an argument given several times (a counted flag as `-tt`) or taking several values
/// (`<CMD>...`), as `--help` marks them.
fn repeat_mark(arg: &clap::Arg) -> &'static str {
    let counted = matches!(arg.get_action(), clap::ArgAction::Count);
    let many_values = arg.is_positional() && arg.get_num_args().is_some_and(|range| range.max_values() > 1);
    if counted || many_values { "..." } else { "" }
}

/// Plain text made safe inside a roff line: backslashes as `\e`, hyphens as `\-` (a minus sign, so that
/// options can be searched and copied).
fn roff_text(text: &str) -> String {
    text.replace('\\', "\\e").replace('-', "\\-")
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
        let synopsis = synopsis_of(&run_page);
        assert!(synopsis.starts_with("seccompctl run "), "{synopsis}");
        let policy = std::fs::read_to_string(dir.join("seccompctl-policy.5")).expect("policy page");
        assert!(policy.starts_with(".TH SECCOMPCTL-POLICY 5"));
        assert!(
            policy.contains(".SH THE TEXT FORMAT") && policy.contains(".SS Grammar"),
            "{policy}"
        );
        assert!(!policy.contains("## "), "headings converted");
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A page's text with roff's font changes removed and its escapes undone.
    fn plain(roff: &str) -> String {
        roff.replace("\\%", "")
            .replace("\\ ", " ")
            .replace("\\fB", "")
            .replace("\\fI", "")
            .replace("\\fR", "")
            .replace("\\-", "-")
            .replace("\\e", "\\")
    }

    /// The SYNOPSIS section of a page, as plain text.
    fn synopsis_of(page: &str) -> String {
        let section = page.split(".SH SYNOPSIS\n").nth(1).expect("SYNOPSIS section");
        let section = section.split("\n.SH ").next().unwrap_or(section);
        let text: Vec<&str> = section.lines().filter(|line| !line.starts_with('.')).collect();
        plain(&text.join("\n"))
    }

    #[test]
    fn synopses_show_option_values_and_repeated_arguments_as_help_does() {
        let dir = std::env::temp_dir().join(format!("xtask-man-synopsis-{}", std::process::id()));
        run(&["--out".to_owned(), dir.display().to_string()]).expect("pages written");
        let page = |name: &str| std::fs::read_to_string(dir.join(format!("{name}.1"))).expect("page written");
        let trace = synopsis_of(&page("seccompctl-trace"));
        for word in [
            "seccompctl trace ",
            "[-e EXPR]",
            "[-s|--string-limit N]",
            "[--syscalls LIST]",
            "[-o|--output FILE]",
            "[-t]...",
            "[-c|--summary-only]",
            " <CMD>...",
        ] {
            assert!(trace.contains(word), "trace synopsis lacks {word:?}: {trace}");
        }
        assert!(!trace.contains("[-e ]") && !trace.contains("<CMD> "), "{trace}");
        let run_synopsis = synopsis_of(&page("seccompctl-run"));
        assert!(
            run_synopsis.contains("<--policy FILE|--oci FILE>")
                && run_synopsis.contains("[--workers N]")
                && run_synopsis.trim_end().ends_with("<CMD>..."),
            "{run_synopsis}"
        );
        let top = synopsis_of(&page("seccompctl"));
        assert!(top.contains("seccompctl ") && top.contains("<COMMAND>"), "{top}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn every_option_of_every_subcommand_is_in_its_page_with_its_values() {
        let dir = std::env::temp_dir().join(format!("xtask-man-options-{}", std::process::id()));
        run(&["--out".to_owned(), dir.display().to_string()]).expect("pages written");
        let mut command = seccompctl::args::Cli::command();
        command.build();
        let mut checked = 0;
        for sub in command.get_subcommands() {
            let path = dir.join(format!("seccompctl-{}.1", sub.get_name()));
            let page = std::fs::read_to_string(&path).expect("a page per subcommand");
            let synopsis = synopsis_of(&page);
            let whole = plain(&page);
            for arg in sub.get_arguments().filter(|arg| !arg.is_hide_set()) {
                let values = value_names(arg).join(" ");
                let takes_values = arg.get_num_args().is_some_and(|range| range.takes_values());
                let spellings: Vec<String> = if arg.is_positional() {
                    vec![values.clone()]
                } else {
                    let names: Vec<String> = arg
                        .get_short()
                        .map(|short| format!("-{short}"))
                        .into_iter()
                        .chain(arg.get_long().map(|long| format!("--{long}")))
                        .collect();
                    let last = names.join("|");
                    vec![if takes_values {
                        format!("{last} {values}")
                    } else {
                        last
                    }]
                };
                for spelling in spellings {
                    assert!(
                        synopsis.contains(&spelling),
                        "{}: synopsis lacks {spelling:?}: {synopsis}",
                        sub.get_name()
                    );
                }
                if let Some(long) = arg.get_long() {
                    // The OPTIONS section describes it too.
                    let described = whole
                        .split(".SH OPTIONS")
                        .nth(1)
                        .is_some_and(|options| options.contains(&format!("--{long}")));
                    assert!(described, "{}: --{long} not under OPTIONS", sub.get_name());
                }
                checked += 1;
            }
        }
        assert!(checked > 100, "only {checked} arguments checked");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn every_page_renders_without_man_warnings() {
        let dir = std::env::temp_dir().join(format!("xtask-man-render-{}", std::process::id()));
        run(&["--out".to_owned(), dir.display().to_string()]).expect("pages written");
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .expect("pages written")
            .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
            .collect();
        names.sort();
        assert!(names.len() > 10 && names.iter().any(|name| name == "seccompctl-trace.1"));
        for name in &names {
            let rendered = std::process::Command::new("man")
                .args(["--warnings", "-l"])
                .arg(dir.join(name))
                .env("MANWIDTH", "80")
                .env("MANPAGER", "cat")
                .env("PAGER", "cat")
                .output();
            let Ok(rendered) = rendered else {
                eprintln!("SKIP: man (man-db) is not installed, {name} not rendered");
                continue;
            };
            let warnings = String::from_utf8_lossy(&rendered.stderr);
            assert!(
                rendered.status.success() && warnings.trim().is_empty(),
                "{name}: {warnings}"
            );
            let text = String::from_utf8_lossy(&rendered.stdout);
            assert!(text.contains("SYNOPSIS"), "{name}: {text}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
