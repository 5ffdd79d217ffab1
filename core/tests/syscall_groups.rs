//! Our syscall groups against systemd's: the committed `systemd-analyze syscall-filter` listing of
//! systemd 252 (always), and the live `systemd-analyze` when it is installed and is version 252. Contents
//! are compared as names and as numbers resolved per architecture, through `Group::for_each_nr` and through
//! `allow @group` in the policy text.

use seccomp_core::arch::Arch;
use seccomp_core::groups::{self, GROUPS, SYSTEMD_VERSION};
use seccomp_core::policy::Policy;
use std::collections::{BTreeMap, BTreeSet};

/// `@name` to its members, in order, from `systemd-analyze syscall-filter` output.
fn parse_listing(text: &str) -> Vec<(String, Vec<String>)> {
    text.split("\n\n")
        .filter_map(|block| {
            let mut lines = block.lines().map(str::trim).filter(|line| !line.is_empty());
            let name = lines.next().filter(|line| line.starts_with('@'))?;
            let members = lines
                .filter(|line| !line.starts_with('#'))
                .map(str::to_owned)
                .collect();
            Some((name.to_owned(), members))
        })
        .collect()
}

fn ours() -> Vec<(String, Vec<String>)> {
    GROUPS
        .iter()
        .map(|group| {
            (
                group.name.to_owned(),
                group.members().map(str::to_owned).collect(),
            )
        })
        .collect()
}

const COMMITTED: &str = include_str!("data/systemd-252-syscall-filter.txt");

#[test]
fn groups_equal_the_committed_systemd_252_listing() {
    assert_eq!(SYSTEMD_VERSION, 252);
    let reference = parse_listing(COMMITTED);
    assert_eq!(
        reference.len(),
        29,
        "systemd 252 prints 29 groups, @known included"
    );
    let names: Vec<&str> = reference.iter().map(|(name, _)| name.as_str()).collect();
    let our_names: Vec<&str> = GROUPS.iter().map(|group| group.name).collect();
    assert_eq!(our_names, names);
    assert_eq!(ours(), reference);
}

#[test]
fn groups_equal_the_live_systemd_analyze_when_it_is_252() {
    let version = match std::process::Command::new("systemd-analyze")
        .arg("--version")
        .output()
    {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).into_owned(),
        _ => {
            eprintln!("SKIP: systemd-analyze is not installed; compared with the committed listing only");
            return;
        }
    };
    let major = version
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse::<u32>().ok());
    if major != Some(SYSTEMD_VERSION) {
        eprintln!("SKIP: systemd-analyze is version {major:?}, the groups mirror {SYSTEMD_VERSION}");
        return;
    }
    let out = std::process::Command::new("systemd-analyze")
        .arg("syscall-filter")
        .output()
        .expect("systemd-analyze syscall-filter runs");
    assert!(out.status.success());
    assert_eq!(ours(), parse_listing(&String::from_utf8_lossy(&out.stdout)));
}

/// The listing's group expanded for `arch` by an independent walk of the text.
fn expand(listing: &BTreeMap<String, Vec<String>>, name: &str, arch: Arch, out: &mut BTreeSet<u32>) {
    for member in &listing[name] {
        if member.starts_with('@') {
            expand(listing, member, arch, out);
        } else if let Some(nr) = arch.syscall_nr(member) {
            out.insert(nr);
        }
    }
}

#[test]
fn groups_resolve_per_arch_to_the_listings_numbers_also_in_policies() {
    let listing: BTreeMap<String, Vec<String>> = parse_listing(COMMITTED).into_iter().collect();
    for arch in Arch::ALL {
        for group in GROUPS {
            let mut expected = BTreeSet::new();
            expand(&listing, group.name, arch, &mut expected);
            let mut got = BTreeSet::new();
            group.for_each_nr(arch, |nr| {
                got.insert(nr);
            });
            assert_eq!(got, expected, "{} on {arch}", group.name);
            let text = format!("default errno(EPERM)\nallow {}\n", group.name);
            let policy = Policy::<1024, 16>::parse(&text, arch).expect(&text);
            let rules: Vec<u32> = policy.rules().map(|rule| rule.nr()).collect();
            let unique: BTreeSet<u32> = rules.iter().copied().collect();
            assert_eq!(
                rules.len(),
                unique.len(),
                "{} on {arch}: no duplicate rules",
                group.name
            );
            assert_eq!(
                unique, expected,
                "{} on {arch}: the policy allows the group",
                group.name
            );
        }
    }
    // A spot check against systemd's documented contents.
    let mut privileged = BTreeSet::new();
    groups::find("@privileged")
        .expect("@privileged")
        .for_each_nr(Arch::X86_64, |nr| {
            privileged.insert(nr);
        });
    for name in ["setuid", "init_module", "reboot", "chroot", "bpf"] {
        assert!(
            privileged.contains(&Arch::X86_64.syscall_nr(name).expect(name)),
            "{name}"
        );
    }
}

#[test]
fn unknown_groups_are_errors_naming_the_group() {
    let error =
        Policy::<64, 16>::parse("default allow\nallow read @bogus\n", Arch::X86_64).expect_err("bogus");
    assert_eq!((error.line, error.column), (2, 12));
    assert!(
        error.to_string().contains("unknown syscall group `@bogus`"),
        "{error}"
    );
    // Groups mix with names and conditions on one line.
    let policy = Policy::<512, 16>::parse(
        "default allow\nerrno(EPERM) @swap reboot if args[0] == 1\n",
        Arch::X86_64,
    )
    .expect("parses");
    assert_eq!(policy.rules().count(), 3);
    assert!(policy.rules().all(|rule| rule.is_conditional()));
}
