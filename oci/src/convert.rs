//! Conversion between OCI profiles and the policy model of `seccomp_core::policy`.
//!
//! # Import (profile to policy)
//!
//! A [`Policy`] is for one architecture, so a profile is imported for a target [`Arch`], as runc builds its
//! filter on the machine it runs on. The import gives the decisions runc's filter makes (runc and crun call
//! libseccomp the same way); `docs/oci.md` lists each rule with its source:
//!
//! - Actions follow runc: `SCMP_ACT_KILL` is `kill-thread`; ERRNO and TRACE without `errnoRet` use EPERM;
//!   an ERRNO above 4095 is an error (the kernel would cap it). The bad-arch action is `kill-thread`,
//!   libseccomp's default, which runc keeps.
//! - runc's calls are replayed in profile order (entry by entry, name by name) into a per-syscall rule
//!   database that resolves them as libseccomp does (the private `runc` module): a rule with the default
//!   action is skipped; the first unconditional rule of a syscall wins; a later unconditional rule replaces
//!   conditional ones; a conditional rule after an unconditional one is dropped; conditional rules are
//!   tested in libseccomp's tree order (narrower first) and the first that holds decides; the same
//!   conditions with two actions are refused as libseccomp refuses them (EEXIST). Where the profile
//!   contradicts itself, a [`WarningKind::Contradiction`] names both entries.
//! - A rule's `args` are ANDed, unless some index appears twice, in which case runc adds every comparison
//!   as a separate rule (ORed). Comparisons are 64-bit ([`Width::Full`]); `SCMP_CMP_MASKED_EQ` is
//!   `(arg & value) == (valueTwo & value)`.
//! - The first-match order is translated into the model's precedence rule by subtracting, from each
//!   conditional rule, the earlier more permissive rules it overlaps (their negation, ANDed).
//! - `architectures` (or Docker's `archMap`): the target is always covered; its compat ABI
//!   (`SCMP_ARCH_X86` beside x86_64, `SCMP_ARCH_ARM` beside aarch64) and, on x86_64, `SCMP_ARCH_X32` are
//!   covered with rules of their own, built from one rule database per ABI as libseccomp keeps one per
//!   architecture. On the 32-bit ABIs (x32, i386, arm) comparisons are of the low words, the mask and datum
//!   cut to 32 bits, as libseccomp's `_db_rule_gen_32` makes them. An x86_64 filter without x32 numbers
//!   syscalls as libseccomp's does ([`X32::BadArchExceptMinusOne`]: from 0x40000000 up the bad-arch action,
//!   but -1 follows the rules); with x32 every number is decided by rules ([`X32::Rules`]). Any other
//!   listed architecture gets the bad-arch action, and a [`WarningKind::UnsupportedArch`] says so.
//! - Names that no covered ABI has are collected in [`Imported::unknown_names`]; a name only some ABIs lack
//!   (`socketcall` on x86_64) is normal in a multi-arch profile and not reported.
//! - runc's -ENOSYS stub becomes an ENOSYS ceiling per covered ABI ([`Policy::enosys_above`]): numbers
//!   above the largest the profile names get `errno(ENOSYS)`; [`Imported::without_enosys_stub`] gives
//!   crun's filter, which has no stub.
//! - `flags`, `listenerPath` and `listenerMetadata` are not part of the policy model; read them from the
//!   profile ([`LinuxSeccomp::flag_bits`]).
//!
//! # Export (policy to profile)
//!
//! `architectures` lists the target, x32 and the compat ABI as the policy covers them. The target's rules
//! are exported (a name stands for every covered ABI that has it); another ABI's rules only where the
//! target lacks the name (`socketcall` of i386). Each policy rule becomes one OCI rule per alternative (consecutive rules with the same action and
//! arguments share one OCI rule with several names). A low-word comparison ([`Width::Low`]) is exported
//! when OCI can say it exactly (`==` and masked `==`, as `SCMP_CMP_MASKED_EQ` with a 32-bit mask); an
//! alternative that compares one argument twice cannot be exported, because runc would OR the two
//! comparisons. Trap data, unknown actions and syscall numbers without a name are errors. A bad-arch action
//! other than `kill-thread` or `kill-process` is dropped with a [`WarningKind::BadArchActionDropped`] (OCI has no such
//! setting). ENOSYS ceilings are not exported ([`Exported::enosys_dropped`]): runc computes its own stub
//! from the exported names. Export errors name the policy rule as `rules[i]`.

use seccomp_core::action::Action;
use seccomp_core::arch::Arch;
use seccomp_core::policy::{Comparison, Op, Policy, PolicyError, Width, X32};

use crate::docker::{DockerProfile, DockerTarget};
use crate::error::{Error, ErrorKind, Warning, WarningKind};
use crate::names::{ScmpAction, ScmpArch, ScmpCompare};
use crate::path::{JsonPath, PathSegment};
use crate::runc::{Chain, Cmp, ConflictKind, Database, Decision, Source, conjunctions_disjoint};
use crate::spec::{ArgRule, LinuxSeccomp, SyscallRule};

/// A policy imported from a profile, with what was skipped on the way.
#[derive(Clone, Debug)]
pub struct Imported<const RULES: usize = 1536, const CMPS: usize = 1024> {
    /// The policy.
    pub policy: Policy<RULES, CMPS>,
    /// What the user should know: contradictions in the profile (one per losing entry, naming the entry
    /// that decides and what runc does) and architectures a one-ABI policy cannot cover.
    pub warnings: Vec<Warning>,
    /// Names the target's table lacks, which runc skips too. Normal in multi-arch profiles (`chown32` on
    /// x86_64), so callers show a count, not a line per name; `--strict` refuses them.
    pub unknown_names: Vec<Warning>,
}

impl<const RULES: usize, const CMPS: usize> Imported<RULES, CMPS> {
    /// The policy crun loads for the profile: without runc's -ENOSYS stub (crun installs libseccomp's
    /// filter as it is), so syscalls newer than the profile get the default action.
    pub fn without_enosys_stub(mut self) -> Self {
        let abis: Vec<Arch> = self.policy.enosys_ceilings().map(|(abi, _)| abi).collect();
        for abi in abis {
            // Clearing the ceiling of a covered ABI cannot fail.
            let _ = self.policy.set_enosys_above(abi, None);
        }
        self
    }

    /// What `--strict` refuses: the first unknown syscall name, else the first contradiction or profile
    /// runc would refuse to load.
    pub fn check_strict(&self) -> Result<(), Error> {
        let refused = self.unknown_names.first().or_else(|| {
            self.warnings.iter().find(|warning| {
                matches!(
                    warning.kind(),
                    WarningKind::Contradiction { .. } | WarningKind::RuncRefuses { .. }
                )
            })
        });
        match refused {
            Some(warning) => Err(Error::new(
                warning.path().clone(),
                ErrorKind::Strict(warning.kind().to_string()),
            )),
            None => Ok(()),
        }
    }
}

/// A profile exported from a policy, with what could not be carried over.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exported {
    /// The runtime-spec object.
    pub seccomp: LinuxSeccomp,
    /// Settings the OCI format cannot hold.
    pub warnings: Vec<Warning>,
    /// The policy's ENOSYS ceilings, which the profile does not carry: runc adds its own -ENOSYS stub,
    /// computed from the names the profile lists (crun adds none). Callers say so under `-v`.
    pub enosys_dropped: Vec<(Arch, u32)>,
}

impl ScmpArch {
    /// The project's [`Arch`] for this architecture, `None` for those it has no syscall table for.
    pub fn to_arch(self) -> Option<Arch> {
        Arch::ALL.into_iter().find(|arch| arch.oci_name() == self.name())
    }

    /// The `SCMP_ARCH_*` name of one of the project's architectures.
    pub fn from_arch(arch: Arch) -> Option<ScmpArch> {
        ScmpArch::from_name(arch.oci_name())
    }
}

/// Builds paths as `key[i].key2[j]...`.
fn path(segments: &[Segment<'_>]) -> JsonPath {
    JsonPath(
        segments
            .iter()
            .map(|segment| match *segment {
                Segment::Key(key) => PathSegment::Key(key.to_owned()),
                Segment::Index(index) => PathSegment::Index(index),
            })
            .collect(),
    )
}

#[derive(Clone, Copy)]
enum Segment<'a> {
    Key(&'a str),
    Index(usize),
}
use Segment::{Index, Key};

/// Where an imported profile's parts sit in the document the user wrote.
struct Origin<'a> {
    /// The index in the source document's `syscalls` of each rule of the runtime-spec object.
    rules: &'a dyn Fn(usize) -> usize,
    /// The path of the architecture list (`architectures`, or `archMap` for a Docker profile), and whether
    /// each entry has its own index there.
    arches: &'a str,
    indexed_arches: bool,
}

fn unrepresentable(at: JsonPath, reason: String) -> Error {
    Error::new(at, ErrorKind::Unrepresentable(reason))
}

fn policy_error(at: JsonPath, err: PolicyError) -> Error {
    unrepresentable(at, err.to_string())
}

impl LinuxSeccomp {
    /// Imports the profile for `arch` into a policy with the default capacities (see the module docs).
    pub fn to_policy(&self, arch: Arch) -> Result<Imported, Error> {
        self.to_policy_with_capacity(arch)
    }

    /// Imports the profile for `arch` into a policy with room for `RULES` rules and `CMPS` comparisons.
    pub fn to_policy_with_capacity<const RULES: usize, const CMPS: usize>(
        &self,
        arch: Arch,
    ) -> Result<Imported<RULES, CMPS>, Error> {
        import(
            self,
            arch,
            &Origin {
                rules: &|index| index,
                arches: "architectures",
                indexed_arches: true,
            },
        )
    }

    /// Exports a policy as a runtime-spec object (see the module docs).
    pub fn from_policy<const RULES: usize, const CMPS: usize>(
        policy: &Policy<RULES, CMPS>,
    ) -> Result<Exported, Error> {
        export(policy)
    }

    /// The `flags` as the bits of the `flags` argument of `seccomp(2)`.
    pub fn flag_bits(&self) -> u32 {
        self.flags.iter().fold(0, |bits, flag| bits | flag.bit())
    }
}

impl DockerProfile {
    /// Resolves the profile for `target` ([`DockerProfile::resolve`]) and imports the result for the
    /// target's architecture; paths in errors and warnings point into the Docker profile.
    pub fn to_policy(&self, target: &DockerTarget) -> Result<Imported, Error> {
        self.to_policy_with_capacity(target)
    }

    /// Like [`DockerProfile::to_policy`], with room for `RULES` rules and `CMPS` comparisons.
    pub fn to_policy_with_capacity<const RULES: usize, const CMPS: usize>(
        &self,
        target: &DockerTarget,
    ) -> Result<Imported<RULES, CMPS>, Error> {
        let arch = target.arch.to_arch().ok_or_else(|| {
            unrepresentable(
                JsonPath::root(),
                format!("no syscall table for the target architecture {}", target.arch),
            )
        })?;
        let resolved = self.resolve(target);
        let origins = resolved.origins;
        let rules = move |index: usize| origins.get(index).copied().unwrap_or(index);
        let (arches, indexed_arches) = if self.arch_map.is_empty() {
            ("architectures", true)
        } else {
            ("archMap", false)
        };
        import(
            &resolved.seccomp,
            arch,
            &Origin {
                rules: &rules,
                arches,
                indexed_arches,
            },
        )
    }
}

/// The action of an OCI action name and `errnoRet`, as runc builds it.
fn action_of(action: ScmpAction, errno_ret: Option<u32>, at: JsonPath) -> Result<Action, Error> {
    Action::from_oci(action.name(), errno_ret).map_err(|err| unrepresentable(at, err.to_string()))
}

fn import<const RULES: usize, const CMPS: usize>(
    seccomp: &LinuxSeccomp,
    arch: Arch,
    origin: &Origin<'_>,
) -> Result<Imported<RULES, CMPS>, Error> {
    let error_path = if seccomp.default_errno_ret.is_some() {
        "defaultErrnoRet"
    } else {
        "defaultAction"
    };
    let default = action_of(
        seccomp.default_action,
        seccomp.default_errno_ret,
        path(&[Key(error_path)]),
    )?;
    let mut policy = Policy::<RULES, CMPS>::new(arch, default);
    let mut warnings = Vec::new();
    // runc refuses a notifying default action and a notified `write` (`InitSeccomp`, docs/oci.md rule 16).
    if default == Action::NOTIFY {
        warnings.push(Warning::new(
            path(&[Key("defaultAction")]),
            WarningKind::RuncRefuses {
                reason: "SCMP_ACT_NOTIFY cannot be used as default action",
            },
        ));
    }
    // libseccomp's default bad-arch action (`db_col_reset`: SCMP_ACT_KILL, the thread); runc keeps it.
    policy.set_bad_arch_action(Action::KILL_THREAD);
    let mut unknown_names = Vec::new();

    // An x86_64 filter without x32 numbers syscalls as libseccomp's does: bad-arch from 0x40000000 up,
    // except -1 (`_gen_bpf_arch`); listing x32 makes it a covered ABI below.
    if arch == Arch::X86_64 {
        policy
            .set_x32(X32::BadArchExceptMinusOne)
            .map_err(|err| policy_error(JsonPath::root(), err))?;
    }
    let native = ScmpArch::from_arch(arch);
    for (index, scmp_arch) in seccomp.architectures.iter().enumerate() {
        let at = if origin.indexed_arches {
            path(&[Key(origin.arches), Index(index)])
        } else {
            path(&[Key(origin.arches)])
        };
        if Some(*scmp_arch) == native {
            continue;
        }
        let listed = scmp_arch.to_arch();
        if listed == Some(Arch::X32) && arch == Arch::X86_64 {
            policy.set_x32(X32::Rules).map_err(|err| policy_error(at, err))?;
            continue;
        }
        if listed.is_some() && listed == arch.compat() {
            policy.set_compat(listed).map_err(|err| policy_error(at, err))?;
            continue;
        }
        warnings.push(Warning::new(
            at,
            WarningKind::UnsupportedArch {
                arch: scmp_arch.name(),
            },
        ));
    }

    // Names no covered ABI has (runc skips them); a name only some ABIs lack is normal in a multi-arch
    // profile and said nowhere.
    let abis: Vec<Arch> = policy.rule_abis().collect();
    for (index, rule) in seccomp.syscalls.iter().enumerate() {
        let action_path = rule_action_path(origin, index, rule);
        let action = action_of(rule.action, rule.errno_ret, action_path)?;
        for (name_index, name) in rule.names.iter().enumerate() {
            if action == Action::NOTIFY && name == "write" {
                warnings.push(Warning::new(
                    name_path(origin, index, name_index),
                    WarningKind::RuncRefuses {
                        reason: "SCMP_ACT_NOTIFY cannot be used for the write syscall",
                    },
                ));
            }
            if action != default && abis.iter().all(|abi| abi.syscall_nr(name).is_none()) {
                unknown_names.push(Warning::new(
                    name_path(origin, index, name_index),
                    WarningKind::UnknownSyscall {
                        name: name.clone(),
                        arch: arch.name(),
                    },
                ));
            }
        }
    }
    // libseccomp keeps one rule database per ABI (`db_filter`), fed the same calls with that ABI's numbers.
    let mut reported = std::collections::HashSet::new();
    for &abi in &abis {
        import_abi(
            seccomp,
            &mut policy,
            abi,
            default,
            origin,
            &mut warnings,
            &mut reported,
        )?;
    }
    enosys_stub(seccomp, &mut policy)?;
    Ok(Imported {
        policy,
        warnings,
        unknown_names,
    })
}

/// The path of a profile entry's action (its `errnoRet` when it has one).
fn rule_action_path(origin: &Origin<'_>, index: usize, rule: &SyscallRule) -> JsonPath {
    let key = if rule.errno_ret.is_some() {
        "errnoRet"
    } else {
        "action"
    };
    path(&[Key("syscalls"), Index((origin.rules)(index)), Key(key)])
}

/// The path of one name of a profile entry: `syscalls[i].names[j]`.
fn name_path(origin: &Origin<'_>, index: usize, name_index: usize) -> JsonPath {
    path(&[
        Key("syscalls"),
        Index((origin.rules)(index)),
        Key("names"),
        Index(name_index),
    ])
}

/// Whether libseccomp compares only the low 32 bits of arguments on `abi` (`_db_rule_gen_32`, for the
/// 32-bit ABIs x32, i386 and arm: the mask and the datum are cut to 32 bits).
fn narrow(abi: Arch) -> bool {
    matches!(abi, Arch::X32 | Arch::I386 | Arch::Arm)
}

/// A comparison as libseccomp makes it on a 32-bit ABI: mask and datum cut to their low words.
fn low_word(cmp: &Cmp) -> Cmp {
    Cmp {
        mask: cmp.mask & 0xffff_ffff,
        datum: cmp.datum & 0xffff_ffff,
        ..*cmp
    }
}

/// Replays runc's calls (`SetupSeccomp` + `matchCall`, entry by entry, name by name) into the rule
/// database of `abi` and adds what it decides to `policy` as rules of that ABI.
fn import_abi<const RULES: usize, const CMPS: usize>(
    seccomp: &LinuxSeccomp,
    policy: &mut Policy<RULES, CMPS>,
    abi: Arch,
    default: Action,
    origin: &Origin<'_>,
    warnings: &mut Vec<Warning>,
    reported: &mut std::collections::HashSet<(Source, Source)>,
) -> Result<(), Error> {
    let narrow = narrow(abi);
    let name_path = |source: Source| name_path(origin, source.entry, source.name);
    let mut database = Database::default();
    for (index, rule) in seccomp.syscalls.iter().enumerate() {
        let action = action_of(rule.action, rule.errno_ret, rule_action_path(origin, index, rule))?;
        let calls: Vec<Vec<Cmp>> = chains_of(rule)
            .into_iter()
            .map(|chain| {
                if narrow {
                    // A masked test whose mask has no low bits holds always once cut to the low word, and
                    // libseccomp generates no test for it (`_db_rule_gen_32` skips what
                    // `_db_arg_cmp_need_lo` calls a tautology): the rule may become unconditional.
                    chain
                        .iter()
                        .map(low_word)
                        .filter(|cmp| !(cmp.op == ScmpCompare::MaskedEq && cmp.mask == 0))
                        .collect()
                } else {
                    chain
                }
            })
            .collect();
        for (name_index, name) in rule.names.iter().enumerate() {
            let source = Source {
                entry: index,
                name: name_index,
            };
            let Some(nr) = abi.syscall_nr(name) else {
                continue;
            };
            for cmps in &calls {
                let added = database.add(nr, action, default, cmps.clone(), source);
                // On a 32-bit ABI two rules can become the same only once cut to their low words;
                // libseccomp keeps the full values in its tree (`datum_full`), accepts both, and the
                // one added first is tested first: the later one never decides.
                if narrow && added.is_err() {
                    continue;
                }
                added.map_err(|refusal| {
                    unrepresentable(
                        name_path(refusal.rule),
                        format!(
                            "{name}: the same conditions as {} with another action: libseccomp refuses \
                                 the rule (EEXIST), so runc and crun refuse the profile",
                            name_path(refusal.existing)
                        ),
                    )
                })?;
            }
        }
    }

    let (decisions, conflicts) = database.finish();
    for conflict in conflicts {
        if !reported.insert((conflict.loser, conflict.winner)) {
            continue; // the same contradiction on another ABI
        }
        let name = seccomp
            .syscalls
            .get(conflict.loser.entry)
            .and_then(|rule| rule.names.get(conflict.loser.name))
            .cloned()
            .unwrap_or_default();
        warnings.push(Warning::new(
            name_path(conflict.loser),
            WarningKind::Contradiction {
                syscall: name,
                action: conflict.loser_action,
                winner: name_path(conflict.winner),
                winner_action: conflict.winner_action,
                resolution: resolution(conflict.why),
            },
        ));
    }

    for (nr, decision) in decisions {
        match decision {
            Decision::Always { action, source } => policy
                .add_rule_for(abi, nr, action, &[])
                .map_err(|err| policy_error(name_path(source), err))?,
            Decision::FirstMatch(chains) => {
                for (index, chain) in chains.iter().enumerate() {
                    let alternatives = first_match_alternatives(&chains, index).ok_or_else(|| {
                        unrepresentable(
                            name_path(chain.source),
                            format!(
                                "the rule overlaps earlier, more permissive rules in more than \
                                 {MAX_ALTERNATIVES} ways; split the profile's rules"
                            ),
                        )
                    })?;
                    if alternatives.is_empty() {
                        continue; // earlier rules decide every argument this one matches
                    }
                    let mut converted = Vec::with_capacity(alternatives.len());
                    for alternative in &alternatives {
                        let mut conjunction = Vec::with_capacity(alternative.len());
                        for cmp in alternative {
                            conjunction.push(comparison_of(cmp, narrow, name_path(chain.source))?);
                        }
                        converted.push(conjunction);
                    }
                    let slices: Vec<&[Comparison]> = converted.iter().map(Vec::as_slice).collect();
                    policy
                        .add_rule_for(abi, nr, chain.action, &slices)
                        .map_err(|err| policy_error(name_path(chain.source), err))?;
                }
            }
        }
    }
    Ok(())
}

/// What runc does about a [`ConflictKind`], as the warning says it.
fn resolution(why: ConflictKind) -> &'static str {
    match why {
        ConflictKind::SkippedDefault => {
            "runc skips rules whose action is the default action, so the other rule decides"
        }
        ConflictKind::FirstUnconditionalKept => "libseccomp keeps the first unconditional rule added",
        ConflictKind::ConditionalAfterUnconditional => {
            "libseccomp drops a conditional rule added after an unconditional one"
        }
        ConflictKind::UnconditionalReplaces => {
            "libseccomp replaces earlier conditional rules by a later unconditional one"
        }
        ConflictKind::ShorterKept => {
            "libseccomp keeps the earlier rule whose conditions are a prefix of this one's"
        }
    }
}

/// The libseccomp calls runc makes for one entry: one chain (comparisons sorted by argument, as libseccomp
/// chains them) when no index repeats, else one single-comparison chain per arg; no args, one empty chain.
fn chains_of(rule: &SyscallRule) -> Vec<Vec<Cmp>> {
    rule.arg_groups()
        .iter()
        .map(|group| {
            let mut cmps: Vec<Cmp> = group.iter().filter_map(Cmp::of).collect();
            cmps.sort_by_key(|cmp| cmp.arg);
            cmps
        })
        .collect()
}

/// The most alternatives one imported rule may get from [`first_match_alternatives`].
const MAX_ALTERNATIVES: usize = 128;

/// The condition under which rule `index` of a first-match list decides, expressed for the policy model
/// (where the least permissive matching rule decides and ties go to the rule added first): the rule's own
/// comparisons, ANDed with the negation of every earlier rule that is more permissive and may overlap.
/// Earlier rules that are at most as permissive already win in the model. `None` when the expansion
/// exceeds [`MAX_ALTERNATIVES`]; an empty list when no argument can reach the rule.
fn first_match_alternatives(chains: &[Chain], index: usize) -> Option<Vec<Vec<Cmp>>> {
    let chain = chains.get(index)?;
    let mut alternatives = vec![chain.cmps.clone()];
    for earlier in &chains[..index] {
        if earlier.action.precedence_key() <= chain.action.precedence_key() {
            continue;
        }
        let mut next = Vec::new();
        for alternative in alternatives {
            if conjunctions_disjoint(&alternative, &earlier.cmps) {
                next.push(alternative);
                continue;
            }
            for cmp in &earlier.cmps {
                for negated in cmp.negation() {
                    if alternative.iter().any(|other| other.disjoint(&negated)) {
                        continue;
                    }
                    let mut extended = alternative.clone();
                    if !extended.contains(&negated) {
                        extended.push(negated);
                    }
                    if !next.contains(&extended) {
                        next.push(extended);
                    }
                }
            }
        }
        if next.len() > MAX_ALTERNATIVES {
            return None;
        }
        alternatives = next;
    }
    Some(alternatives)
}

/// runc's -ENOSYS stub (`libcontainer/seccomp/patchbpf/enosys_linux.go`) as ENOSYS ceilings of the
/// policy, one per covered ABI (docs/oci.md, rule 15). `generatePatch`: none when the default action is
/// allow, log or trace (`isAllowAction`). `findLastSyscalls`: per ABI, the largest number any entry names
/// (whatever its action, also the entries runc then skips as redundant), names the ABI lacks ignored; an
/// ABI whose largest number is 0 (or that has none) gets no section. `generateEnosysStub`: numbers above
/// the ceiling, unsigned, get `errno(ENOSYS)` before libseccomp's filter runs; on the x86_64 arch value
/// bit 30 chooses the x86_64 or the x32 ceiling.
fn enosys_stub<const RULES: usize, const CMPS: usize>(
    seccomp: &LinuxSeccomp,
    policy: &mut Policy<RULES, CMPS>,
) -> Result<(), Error> {
    if matches!(
        seccomp.default_action,
        ScmpAction::Allow | ScmpAction::Log | ScmpAction::Trace
    ) {
        return Ok(());
    }
    let abis: Vec<Arch> = policy.rule_abis().collect();
    for abi in abis {
        let largest = seccomp
            .syscalls
            .iter()
            .flat_map(|rule| rule.names.iter())
            .filter_map(|name| abi.syscall_nr(name))
            .max()
            .filter(|&nr| nr != 0);
        if let Some(ceiling) = largest {
            policy
                .set_enosys_above(abi, Some(ceiling))
                .map_err(|err| policy_error(JsonPath::root(), err))?;
        }
    }
    Ok(())
}

/// The comparison of the policy model that says what a libseccomp comparison says (64-bit).
fn comparison_of(cmp: &Cmp, narrow: bool, at: JsonPath) -> Result<Comparison, Error> {
    let op = match cmp.op {
        ScmpCompare::Eq => Op::Eq,
        ScmpCompare::Ne => Op::Ne,
        ScmpCompare::Lt => Op::Lt,
        ScmpCompare::Le => Op::Le,
        ScmpCompare::Gt => Op::Gt,
        ScmpCompare::Ge => Op::Ge,
        ScmpCompare::MaskedEq => Op::MaskedEq(cmp.mask),
    };
    let width = if narrow { Width::Low } else { Width::Full };
    Comparison::new(cmp.arg, width, op, cmp.datum).map_err(|err| policy_error(at, err))
}

fn export<const RULES: usize, const CMPS: usize>(policy: &Policy<RULES, CMPS>) -> Result<Exported, Error> {
    let arch = policy.arch();
    let oci_action = |action: Action, at: JsonPath| -> Result<(ScmpAction, Option<u32>), Error> {
        let oci = action
            .to_oci()
            .map_err(|err| unrepresentable(at.clone(), err.to_string()))?;
        let name = ScmpAction::from_name(oci.name)
            .ok_or_else(|| unrepresentable(at, format!("action {action} has no OCI equivalent")))?;
        Ok((name, oci.errno_ret.map(u32::from)))
    };
    let (default_action, default_errno_ret) =
        oci_action(policy.default_action(), path(&[Key("defaultAction")]))?;

    let mut warnings = Vec::new();
    let native = ScmpArch::from_arch(arch).ok_or_else(|| {
        unrepresentable(
            JsonPath::root(),
            format!("architecture {arch} has no SCMP_ARCH_* name"),
        )
    })?;
    let mut architectures = vec![native];
    if matches!(policy.x32(), X32::ByName | X32::Rules) {
        architectures.push(ScmpArch::X32);
    }
    if let Some(compat) = policy.compat().and_then(ScmpArch::from_arch) {
        architectures.push(compat);
    }
    // Runtimes give foreign architectures libseccomp's kill-thread; a policy's kill-process is close enough
    // to say nothing (both kill), any other action is lost and said so.
    if !matches!(
        policy.bad_arch_action(),
        Action::KILL_THREAD | Action::KILL_PROCESS
    ) {
        warnings.push(Warning::new(
            JsonPath::root(),
            WarningKind::BadArchActionDropped {
                action: policy.bad_arch_action(),
            },
        ));
    }

    let mut syscalls: Vec<SyscallRule> = Vec::new();
    for (index, rule) in policy.rules().enumerate() {
        let at = |rest: &[Segment<'_>]| {
            let mut segments = vec![Key("rules"), Index(index)];
            segments.extend_from_slice(rest);
            path(&segments)
        };
        let abi = rule.arch();
        // A name stands for every covered ABI that has it: the target's rule of a name is exported for
        // all of them, another ABI's rule only when the target lacks the name (`socketcall` on i386).
        if abi != arch
            && abi
                .syscall_name(rule.nr())
                .is_some_and(|name| arch.syscall_nr(name).is_some())
        {
            continue;
        }
        let name = abi.syscall_name(rule.nr()).ok_or_else(|| {
            unrepresentable(
                at(&[]),
                format!("syscall number {} has no name on {abi}", rule.nr()),
            )
        })?;
        let (action, errno_ret) = oci_action(rule.action(), at(&[Key("action")]))?;
        let mut alternatives: Vec<Vec<ArgRule>> = Vec::new();
        for (alt_index, conjunction) in rule.alternatives().enumerate() {
            let mut args: Vec<ArgRule> = Vec::with_capacity(conjunction.len());
            for (cmp_index, comparison) in conjunction.iter().enumerate() {
                let cmp_path = at(&[Key("alternatives"), Index(alt_index), Index(cmp_index)]);
                let arg = arg_rule_of(comparison, cmp_path.clone())?;
                if args.iter().any(|other| other.index == arg.index) {
                    return Err(unrepresentable(
                        cmp_path,
                        format!(
                            "a second comparison of args[{}] in one alternative cannot be exported: runc ORs \
                             comparisons that share an argument",
                            arg.index
                        ),
                    ));
                }
                args.push(arg);
            }
            alternatives.push(args);
        }
        if alternatives.is_empty() {
            alternatives.push(Vec::new());
        }
        for args in alternatives {
            match syscalls.last_mut() {
                Some(last) if last.action == action && last.errno_ret == errno_ret && last.args == args => {
                    last.names.push(name.to_owned());
                }
                _ => syscalls.push(SyscallRule {
                    names: vec![name.to_owned()],
                    action,
                    errno_ret,
                    args,
                }),
            }
        }
    }
    Ok(Exported {
        seccomp: LinuxSeccomp {
            default_action,
            default_errno_ret,
            architectures,
            flags: Vec::new(),
            listener_path: None,
            listener_metadata: None,
            syscalls,
        },
        warnings,
        enosys_dropped: policy.enosys_ceilings().collect(),
    })
}

/// The OCI comparison saying exactly what `comparison` says.
fn arg_rule_of(comparison: &Comparison, at: JsonPath) -> Result<ArgRule, Error> {
    let index = comparison.arg();
    let value = comparison.value();
    let (op, value, value_two) = match (comparison.width(), comparison.op()) {
        (Width::Full, Op::Eq) => (ScmpCompare::Eq, value, 0),
        (Width::Full, Op::Ne) => (ScmpCompare::Ne, value, 0),
        (Width::Full, Op::Lt) => (ScmpCompare::Lt, value, 0),
        (Width::Full, Op::Le) => (ScmpCompare::Le, value, 0),
        (Width::Full, Op::Gt) => (ScmpCompare::Gt, value, 0),
        (Width::Full, Op::Ge) => (ScmpCompare::Ge, value, 0),
        (Width::Full, Op::MaskedEq(mask)) => (ScmpCompare::MaskedEq, mask, value),
        // The low word equals `value` exactly when the 64-bit argument masked to 32 bits does.
        (Width::Low, Op::Eq) => (ScmpCompare::MaskedEq, u64::from(u32::MAX), value),
        (Width::Low, Op::MaskedEq(mask)) => (ScmpCompare::MaskedEq, mask & u64::from(u32::MAX), value),
        (Width::Full, Op::MaskedNe(_)) => {
            return Err(unrepresentable(
                at,
                format!("a masked `!=` ({comparison}) has no OCI equivalent (OCI has only a masked `==`)"),
            ));
        }
        (Width::Low, op) => {
            return Err(unrepresentable(
                at,
                format!(
                    "a 32-bit `{}` comparison ({comparison}) has no OCI equivalent (OCI compares 64 bits)",
                    op.symbol()
                ),
            ));
        }
    };
    Ok(ArgRule {
        index,
        value,
        value_two,
        op,
    })
}
