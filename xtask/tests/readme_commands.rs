//! README's command table (the ```` ``` ```` block after `## seccompctl`) stays true to the clap
//! definitions: each subcommand has a line, each line names every visible option of its subcommand (the
//! OCI import options may stand as `[OCI OPTIONS]`, which the paragraph below the table spells out), and
//! every option a line names exists. A line that starts with spaces continues the one above.

use clap::{Args, CommandFactory};
use std::path::Path;

/// The lines of README's command table.
fn command_table() -> Vec<String> {
    let readme = Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md");
    let text = std::fs::read_to_string(&readme).expect("README.md");
    let section = text
        .split("\n## seccompctl\n")
        .nth(1)
        .expect("a `## seccompctl` section");
    let block = section.split("```").nth(1).expect("a code block in it");
    // A line that starts with spaces continues the one above.
    let mut lines: Vec<String> = Vec::new();
    for line in block.lines() {
        match lines.last_mut() {
            Some(last) if line.starts_with(' ') => {
                last.push(' ');
                last.push_str(line.trim());
            }
            _ if line.starts_with("seccompctl ") => lines.push(line.to_owned()),
            _ => {}
        }
    }
    lines
}

/// Whether `line` has `option` as a whole word (`-t` in `[-t|-tt]`, not in `--strict`).
fn mentions(line: &str, option: &str) -> bool {
    let edge = |c: Option<char>| c.is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'));
    line.match_indices(option)
        .any(|(at, _)| edge(line[..at].chars().next_back()) && edge(line[at + option.len()..].chars().next()))
}

/// The `-x` and `--long` words of a line, `--` (the end of options) left out.
fn option_words(line: &str) -> Vec<&str> {
    line.split(|c: char| c.is_whitespace() || "[]()|,=".contains(c))
        .filter(|word| word.starts_with('-') && *word != "--" && word.len() > 1)
        .collect()
}

#[test]
fn the_readme_command_table_names_every_option_of_every_subcommand() {
    let table = command_table();
    let oci_options = seccompctl::args::OciOptions::augment_args(clap::Command::new("oci"));
    let mut command = seccompctl::args::Cli::command();
    command.build();
    let mut checked = 0;
    for sub in command.get_subcommands() {
        let name = sub.get_name();
        let line = table
            .iter()
            .find(|line| {
                let words = line.trim_start_matches("seccompctl ");
                let names = words.split(" [").next().unwrap_or(words);
                names.split(['|', ' ']).any(|word| word == name)
            })
            .unwrap_or_else(|| panic!("README's command table has no line for {name}"));
        for arg in sub.get_arguments() {
            if arg.is_hide_set() || arg.is_positional() {
                continue;
            }
            if ["help", "version"].contains(&arg.get_id().as_str()) {
                continue;
            }
            let is_oci = oci_options
                .get_arguments()
                .any(|oci| oci.get_id() == arg.get_id());
            if is_oci && line.contains("[OCI OPTIONS]") {
                continue;
            }
            let named = arg
                .get_long()
                .map(|long| format!("--{long}"))
                .into_iter()
                .chain(arg.get_short().map(|short| format!("-{short}")))
                .any(|option| mentions(line, &option));
            assert!(named, "README: `{line}` lacks {:?} of {name}", arg.get_id());
            checked += 1;
        }
        for word in option_words(line) {
            let exists = sub.get_arguments().any(|arg| {
                let long = word.strip_prefix("--");
                let short = word.strip_prefix('-').filter(|_| long.is_none());
                let long_ok = long.is_some_and(|long| {
                    arg.get_long() == Some(long)
                        || arg
                            .get_visible_aliases()
                            .is_some_and(|aliases| aliases.contains(&long))
                });
                // `-tt`, `-ttt`: a counted flag given several times.
                let short_ok = short.is_some_and(|short| {
                    arg.get_short().is_some_and(|s| {
                        short == s.to_string()
                            || matches!(arg.get_action(), clap::ArgAction::Count)
                                && short.chars().all(|c| c == s)
                    })
                });
                long_ok || short_ok
            });
            assert!(
                exists,
                "README: `{line}` names {word}, which {name} does not have"
            );
        }
    }
    assert!(checked > 40, "only {checked} options checked");
}

/// The `seccompctl ...` commands of a help text's examples: each line's commands (split at `;`, `&&` and
/// `|`), without redirections, as words.
fn example_commands(help: &str) -> Vec<Vec<String>> {
    help.lines()
        .flat_map(|line| line.split(['|', ';']).flat_map(|part| part.split("&&")))
        .map(str::trim)
        .filter(|command| command.starts_with("seccompctl "))
        .map(|command| {
            let command = command.split(" > ").next().unwrap_or(command);
            command.split_whitespace().map(str::to_owned).collect()
        })
        .collect()
}

#[test]
fn every_example_in_every_help_parses() {
    let mut command = seccompctl::args::Cli::command();
    command.build();
    let mut helps = vec![command.get_after_help().map(ToString::to_string)];
    helps.extend(
        command
            .get_subcommands()
            .map(|sub| sub.get_after_help().map(ToString::to_string)),
    );
    let mut parsed = 0;
    for help in helps.into_iter().flatten() {
        for example in example_commands(&help) {
            let result = <seccompctl::args::Cli as clap::Parser>::try_parse_from(&example);
            assert!(
                result.is_ok(),
                "the example `{}` does not parse: {:?}",
                example.join(" "),
                result.err()
            );
            parsed += 1;
        }
    }
    assert!(parsed >= 20, "only {parsed} examples found");
}
