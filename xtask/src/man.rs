//! `cargo xtask man [--out DIR]`: writes the seccompctl man pages (one for the tool, one per subcommand)
//! generated from the clap definitions, so they can never disagree with `--help`.

use clap::CommandFactory;
use std::path::PathBuf;

/// Generates `seccompctl.1` and `seccompctl-<subcommand>.1` into `--out DIR` (default `target/man`).
pub fn run(args: &[String]) -> Result<(), String> {
    let out = match args {
        [] => crate::util::workspace_root().join("target/man"),
        [flag, dir] if flag == "--out" => PathBuf::from(dir),
        _ => return Err("usage: cargo xtask man [--out DIR]".to_owned()),
    };
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let command = seccompctl::args::Cli::command();
    let mut pages = vec![("seccompctl".to_owned(), command.clone())];
    for sub in command.get_subcommands() {
        let name = format!("seccompctl-{}", sub.get_name());
        let static_name: &'static str = name.clone().leak();
        pages.push((name, sub.clone().name(static_name)));
    }
    for (name, page) in pages {
        let mut text = Vec::new();
        clap_mangen::Man::new(page)
            .render(&mut text)
            .map_err(|e| format!("rendering {name}: {e}"))?;
        let path = out.join(format!("{name}.1"));
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
        println!("wrote {}", path.display());
    }
    Ok(())
}
