//! Conversion between OCI profiles and the policy model of `seccomp_core::policy`.
//!
//! # Import (profile to policy)
//!
//! A [`Policy`] is for one architecture, so a profile is imported for a target [`Arch`], as runc builds its
//! filter on the machine it runs on:
//!
//! - Actions follow runc: `SCMP_ACT_KILL` is `kill-thread`; ERRNO and TRACE without `errnoRet` use EPERM;
//!   an ERRNO above 4095 is an error (the kernel would cap it).
//! - A rule whose action equals the default action is skipped, as runc skips it (libseccomp refuses such
//!   rules); a [`WarningKind::RedundantRule`] says so.
//! - Each name becomes one policy rule per argument alternative, in profile order. A rule's `args` are
//!   ANDed, unless some index appears twice, in which case runc adds every comparison as a separate rule,
//!   so each comparison is an alternative of its own ([`SyscallRule::arg_groups`]). Comparisons are 64-bit
//!   ([`Width::Full`]), as libseccomp compares; `SCMP_CMP_MASKED_EQ` is `(arg & value) == valueTwo`.
//! - A name the target's syscall table lacks is skipped with a [`WarningKind::UnknownSyscall`], as runc
//!   ignores names libseccomp cannot resolve.
//! - `architectures`: the target is always covered (libseccomp always includes the native arch). On an
//!   x86_64 target `SCMP_ARCH_X32` makes x32 syscalls follow the same rules by name ([`X32::ByName`]).
//!   Any other listed architecture cannot be part of a one-arch policy: its syscalls get the policy's
//!   bad-arch action (`kill-process`), and a [`WarningKind::UnsupportedArch`] says so.
//! - `flags`, `listenerPath` and `listenerMetadata` are not part of the policy model; read them from the
//!   profile ([`LinuxSeccomp::flag_bits`]).
//!
//! # Export (policy to profile)
//!
//! Each policy rule becomes one OCI rule per alternative (consecutive rules with the same action and
//! arguments share one OCI rule with several names). A low-word comparison ([`Width::Low`]) is exported
//! when OCI can say it exactly (`==` and masked `==`, as `SCMP_CMP_MASKED_EQ` with a 32-bit mask); an
//! alternative that compares one argument twice cannot be exported, because runc would OR the two
//! comparisons. Trap data, unknown actions and syscall numbers without a name are errors. A bad-arch action
//! other than `kill-process` is dropped with a [`WarningKind::BadArchActionDropped`] (OCI has no such
//! setting). Export errors name the policy rule as `rules[i]`.

use seccomp_core::action::Action;
use seccomp_core::arch::Arch;
use seccomp_core::policy::{Comparison, Op, Policy, PolicyError, Width, X32};

use crate::docker::{DockerProfile, DockerTarget};
use crate::error::{Error, ErrorKind, Warning, WarningKind};
use crate::names::{ScmpAction, ScmpArch, ScmpCompare};
use crate::path::{JsonPath, PathSegment};
use crate::spec::{ArgRule, LinuxSeccomp, SyscallRule};

/// A policy imported from a profile, with what was skipped on the way.
#[derive(Clone, Debug)]
pub struct Imported<const RULES: usize = 512, const CMPS: usize = 512> {
    /// The policy.
    pub policy: Policy<RULES, CMPS>,
    /// What was skipped, in profile order.
    pub warnings: Vec<Warning>,
}

/// A profile exported from a policy, with what could not be carried over.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exported {
    /// The runtime-spec object.
    pub seccomp: LinuxSeccomp,
    /// Settings the OCI format cannot hold.
    pub warnings: Vec<Warning>,
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

fn comparison_of(arg: &ArgRule, at: JsonPath) -> Result<Comparison, Error> {
    let (op, value) = match arg.op {
        ScmpCompare::Eq => (Op::Eq, arg.value),
        ScmpCompare::Ne => (Op::Ne, arg.value),
        ScmpCompare::Lt => (Op::Lt, arg.value),
        ScmpCompare::Le => (Op::Le, arg.value),
        ScmpCompare::Gt => (Op::Gt, arg.value),
        ScmpCompare::Ge => (Op::Ge, arg.value),
        ScmpCompare::MaskedEq => (Op::MaskedEq(arg.value), arg.value_two),
    };
    Comparison::new(arg.index, Width::Full, op, value).map_err(|err| policy_error(at, err))
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
        if *scmp_arch == ScmpArch::X32 && arch == Arch::X86_64 {
            policy.set_x32(X32::ByName).map_err(|err| policy_error(at, err))?;
            continue;
        }
        warnings.push(Warning::new(
            at,
            WarningKind::UnsupportedArch {
                arch: scmp_arch.name(),
            },
        ));
    }

    for (index, rule) in seccomp.syscalls.iter().enumerate() {
        let source = (origin.rules)(index);
        let rule_path = |rest: &[Segment<'_>]| {
            let mut segments = vec![Key("syscalls"), Index(source)];
            segments.extend_from_slice(rest);
            path(&segments)
        };
        let action_path = if rule.errno_ret.is_some() {
            rule_path(&[Key("errnoRet")])
        } else {
            rule_path(&[Key("action")])
        };
        let action = action_of(rule.action, rule.errno_ret, action_path)?;
        if action == default {
            warnings.push(Warning::new(rule_path(&[]), WarningKind::RedundantRule));
            continue;
        }
        let alternatives = conjunctions(rule, &rule_path)?;
        for (name_index, name) in rule.names.iter().enumerate() {
            let Some(nr) = arch.syscall_nr(name) else {
                warnings.push(Warning::new(
                    rule_path(&[Key("names"), Index(name_index)]),
                    WarningKind::UnknownSyscall {
                        name: name.clone(),
                        arch: arch.name(),
                    },
                ));
                continue;
            };
            for alternative in &alternatives {
                let condition: &[&[Comparison]] = if alternative.is_empty() {
                    &[]
                } else {
                    &[alternative.as_slice()]
                };
                policy
                    .add_rule(nr, action, condition)
                    .map_err(|err| policy_error(rule_path(&[]), err))?;
            }
        }
    }
    Ok(Imported { policy, warnings })
}

/// The rule's argument alternatives as policy comparisons (one empty alternative when unconditional).
fn conjunctions(
    rule: &SyscallRule,
    rule_path: &dyn Fn(&[Segment<'_>]) -> JsonPath,
) -> Result<Vec<Vec<Comparison>>, Error> {
    let groups = rule.arg_groups();
    // `arg_groups` keeps the args in order: all of them in one group, or one group per arg.
    let single_group = groups.len() == 1;
    let mut result = Vec::with_capacity(groups.len());
    for (group_index, group) in groups.iter().enumerate() {
        let mut conjunction = Vec::with_capacity(group.len());
        for (offset, arg) in group.iter().enumerate() {
            let arg_index = if single_group { offset } else { group_index };
            conjunction.push(comparison_of(arg, rule_path(&[Key("args"), Index(arg_index)]))?);
        }
        result.push(conjunction);
    }
    Ok(result)
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
    if policy.x32() == X32::ByName {
        architectures.push(ScmpArch::X32);
    }
    if policy.bad_arch_action() != Action::KILL_PROCESS {
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
        let name = arch.syscall_name(rule.nr()).ok_or_else(|| {
            unrepresentable(
                at(&[]),
                format!("syscall number {} has no name on {arch}", rule.nr()),
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
