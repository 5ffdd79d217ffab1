//! Docker's seccomp profile files: the runtime-spec object extended with `archMap` and conditional rules.
//!
//! A Docker profile (moby `profiles/seccomp`, also read by Podman and containerd's CRI) is resolved into a
//! runtime-spec [`LinuxSeccomp`] for one target: an architecture, a capability set and a kernel version.
//! [`DockerProfile::resolve`] mirrors moby's `setupSeccomp`:
//!
//! - `architectures` and `archMap` exclude each other. With `archMap`, the entry whose `architecture` is the
//!   target's gives the architectures: itself followed by its `subArchitectures`; no entry gives none.
//! - A rule is dropped when its `excludes` matches: the target's libseccomp arch name
//!   ([`ScmpArch::native_name`], e.g. `amd64`) is in `excludes.arches`, or ANY of `excludes.caps` is in the
//!   capability set, or the kernel is at least `excludes.minKernel`.
//! - A rule is dropped unless its `includes` matches: the arch name is in `includes.arches` (when given),
//!   ALL of `includes.caps` are in the capability set (when given), and the kernel is at least
//!   `includes.minKernel` (when given).
//! - Kernel versions compare only `<kernel>.<major>` (`5.10.2-foo` counts as `5.10`).
//! - The deprecated single `name` is accepted in place of `names` (both at once is an error).
//!
//! Docker takes the capability set from the container's bounding set; the caller passes it in.

use std::collections::BTreeSet;

use serde::{Serialize, Serializer};
use serde_json::{Map, Value};

use crate::error::{Error, ErrorKind};
use crate::names::{FilterFlag, ScmpAction, ScmpArch};
use crate::path::At;
use crate::spec::{self, ArgRule, LinuxSeccomp, SyscallRule};
use crate::walk::{self, Result};

/// The capabilities Docker grants a container by default (its bounding set unless `--cap-add`/`--cap-drop`).
pub const DOCKER_DEFAULT_CAPS: [&str; 14] = [
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FSETID",
    "CAP_FOWNER",
    "CAP_MKNOD",
    "CAP_NET_RAW",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETFCAP",
    "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT",
    "CAP_KILL",
    "CAP_AUDIT_WRITE",
];

/// The capabilities Podman grants a container by default (containers.conf `default_capabilities`).
pub const PODMAN_DEFAULT_CAPS: [&str; 11] = [
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_NET_BIND_SERVICE",
    "CAP_SETFCAP",
    "CAP_SETGID",
    "CAP_SETPCAP",
    "CAP_SETUID",
    "CAP_SYS_CHROOT",
];

/// The capability a user wrote, as Docker's `--cap-add` accepts it: case-insensitive, with or without the
/// `CAP_` prefix (`sys_admin`, `CAP_SYS_ADMIN`). `None` for a name [`CAPABILITIES`] lacks.
pub fn capability(name: &str) -> Option<&'static str> {
    let upper = name.to_ascii_uppercase();
    let full = if upper.starts_with("CAP_") {
        upper
    } else {
        format!("CAP_{upper}")
    };
    CAPABILITIES.into_iter().find(|cap| *cap == full)
}

/// The Linux capability names by number (`CAP_CHOWN` is 0, `CAP_CHECKPOINT_RESTORE` is 40), as
/// `linux/capability.h` defines them and as masks such as `/proc/PID/status`'s `CapBnd` number them.
pub const CAPABILITIES: [&str; 41] = [
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
];

#[cfg(test)]
mod capability_tests {
    #[test]
    fn capability_names_are_read_as_docker_reads_them() {
        assert_eq!(super::capability("sys_admin"), Some("CAP_SYS_ADMIN"));
        assert_eq!(super::capability("CAP_NET_RAW"), Some("CAP_NET_RAW"));
        assert_eq!(super::capability("Cap_Bpf"), Some("CAP_BPF"));
        assert_eq!(super::capability("CAP_NOPE"), None);
    }
}

/// The names of the capabilities set in `mask` (bit N is capability N); bits without a known name
/// (41 and up) are ignored, since no profile can name them.
pub fn capability_names(mask: u64) -> impl Iterator<Item = &'static str> {
    CAPABILITIES
        .iter()
        .enumerate()
        .filter(move |(bit, _)| mask & (1u64 << bit) != 0)
        .map(|(_, name)| *name)
}

/// A Linux kernel version as Docker compares it: `<kernel>.<major>` (`4.8` for any 4.8.x release).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KernelVersion {
    /// The first number (`4` in `4.8.3`).
    pub kernel: u32,
    /// The second number (`8` in `4.8.3`).
    pub major: u32,
}

impl KernelVersion {
    /// A version from its two numbers.
    pub const fn new(kernel: u32, major: u32) -> KernelVersion {
        KernelVersion { kernel, major }
    }

    /// The version of a kernel release string as `uname -r` prints it (`6.8.0-45-generic`, `3.12-1-amd64`):
    /// the two leading numbers, as Docker's `fmt.Sscanf(release, "%d.%d")` reads them. `None` when the
    /// string does not start with `<number>.<number>`.
    pub fn from_release(release: &str) -> Option<KernelVersion> {
        let (kernel, rest) = leading_number(release)?;
        let rest = rest.strip_prefix('.')?;
        let (major, _) = leading_number(rest)?;
        Some(KernelVersion { kernel, major })
    }

    /// Parses a profile's `minKernel` exactly as Docker does: `"<kernel>.<major>"`, two decimal numbers up to
    /// 255 and not both zero. `None` otherwise.
    pub fn from_profile(text: &str) -> Option<KernelVersion> {
        let (kernel, major) = text.split_once('.')?;
        let kernel = parse_u8_decimal(kernel)?;
        let major = parse_u8_decimal(major)?;
        if kernel == 0 && major == 0 {
            return None;
        }
        Some(KernelVersion::new(kernel, major))
    }
}

fn leading_number(text: &str) -> Option<(u32, &str)> {
    let end = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let number = text.get(..end)?.parse().ok()?;
    Some((number, text.get(end..)?))
}

/// Go's `strconv.ParseUint(s, 10, 8)`: decimal digits only (leading zeros allowed), value up to 255.
fn parse_u8_decimal(text: &str) -> Option<u32> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse::<u8>().ok().map(u32::from)
}

impl core::fmt::Display for KernelVersion {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}.{}", self.kernel, self.major)
    }
}

impl Serialize for KernelVersion {
    fn serialize<S: Serializer>(&self, serializer: S) -> core::result::Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// A Docker seccomp profile file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DockerProfile {
    /// `defaultAction`.
    pub default_action: ScmpAction,
    /// `defaultErrnoRet`; `None` means EPERM.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_errno_ret: Option<u32>,
    /// `architectures`: used as is (excludes `arch_map`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub architectures: Vec<ScmpArch>,
    /// `archMap`: architectures chosen by the target (excludes `architectures`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub arch_map: Vec<ArchMapEntry>,
    /// `flags`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<FilterFlag>,
    /// `listenerPath`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listener_path: Option<String>,
    /// `listenerMetadata`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listener_metadata: Option<String>,
    /// `syscalls`: the conditional rules, in order.
    pub syscalls: Vec<DockerRule>,
}

/// One entry of `archMap`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ArchMapEntry {
    /// `architecture`: the native architecture this entry is for.
    pub architecture: ScmpArch,
    /// `subArchitectures`: the other ABIs a process on it may use.
    pub sub_architectures: Vec<ScmpArch>,
}

/// One entry of a Docker profile's `syscalls`: a runtime-spec rule with conditions and a comment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DockerRule {
    /// `names` (or the deprecated single `name`).
    pub names: Vec<String>,
    /// `action`.
    pub action: ScmpAction,
    /// `errnoRet`; `None` means EPERM.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errno_ret: Option<u32>,
    /// `args`, with runc's semantics (see [`SyscallRule::arg_groups`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<ArgRule>,
    /// `comment`: free text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// `includes`: the rule applies only when all these conditions hold.
    #[serde(skip_serializing_if = "Condition::is_empty")]
    pub includes: Condition,
    /// `excludes`: the rule is dropped when any of these conditions holds.
    #[serde(skip_serializing_if = "Condition::is_empty")]
    pub excludes: Condition,
}

/// The `includes` or `excludes` of a [`DockerRule`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Condition {
    /// `caps`: capability names (`CAP_SYS_ADMIN`), compared case-sensitively.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub caps: Vec<String>,
    /// `arches`: libseccomp arch names (`amd64`, `arm64`, `x86`, `s390x`), compared case-sensitively.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub arches: Vec<String>,
    /// `minKernel`: `"<kernel>.<major>"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_kernel: Option<KernelVersion>,
}

impl Condition {
    /// Whether no condition is set.
    pub fn is_empty(&self) -> bool {
        self.caps.is_empty() && self.arches.is_empty() && self.min_kernel.is_none()
    }
}

/// What a Docker profile is resolved for: the container's architecture, bounding capability set and the
/// host's kernel version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DockerTarget {
    /// The native architecture.
    pub arch: ScmpArch,
    /// The kernel version (only `<kernel>.<major>` counts).
    pub kernel: KernelVersion,
    /// The capability names in the container's bounding set (`CAP_SYS_ADMIN`, ...).
    pub caps: BTreeSet<String>,
}

impl DockerTarget {
    /// A target with an empty capability set.
    pub fn new(arch: ScmpArch, kernel: KernelVersion) -> DockerTarget {
        DockerTarget {
            arch,
            kernel,
            caps: BTreeSet::new(),
        }
    }

    /// The same target with these capabilities added.
    pub fn with_caps<I, S>(mut self, caps: I) -> DockerTarget
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.caps.extend(caps.into_iter().map(Into::into));
        self
    }

    /// The same target with the capabilities of a mask added (bit N is capability N, as in the `CapBnd`
    /// line of `/proc/PID/status`).
    pub fn with_cap_mask(self, mask: u64) -> DockerTarget {
        self.with_caps(capability_names(mask))
    }

    /// A target with Docker's default capability set ([`DOCKER_DEFAULT_CAPS`]).
    pub fn docker_default(arch: ScmpArch, kernel: KernelVersion) -> DockerTarget {
        DockerTarget::new(arch, kernel).with_caps(DOCKER_DEFAULT_CAPS)
    }
}

/// A Docker profile resolved for one target: the runtime-spec object and, for each of its rules, the index
/// of the Docker rule it came from (so diagnostics can point into the original file).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolved {
    /// The runtime-spec object Docker would hand to the runtime.
    pub seccomp: LinuxSeccomp,
    /// `origins[i]` is the index in the profile's `syscalls` of `seccomp.syscalls[i]`.
    pub origins: Vec<usize>,
}

impl DockerRule {
    /// Whether the rule survives Docker's `includes`/`excludes` filtering for `target`.
    pub fn applies_to(&self, target: &DockerTarget) -> bool {
        let arch = target.arch.native_name();
        let has_cap = |cap: &String| target.caps.contains(cap);
        let kernel_at_least = |min: KernelVersion| target.kernel >= min;

        let excludes = &self.excludes;
        if excludes.arches.iter().any(|a| a == arch)
            || excludes.caps.iter().any(has_cap)
            || excludes.min_kernel.is_some_and(kernel_at_least)
        {
            return false;
        }
        let includes = &self.includes;
        if !includes.arches.is_empty() && !includes.arches.iter().any(|a| a == arch) {
            return false;
        }
        if !includes.caps.iter().all(has_cap) {
            return false;
        }
        if includes.min_kernel.is_some_and(|min| !kernel_at_least(min)) {
            return false;
        }
        true
    }

    /// The runtime-spec rule (conditions and comment dropped).
    pub fn to_syscall_rule(&self) -> SyscallRule {
        SyscallRule {
            names: self.names.clone(),
            action: self.action,
            errno_ret: self.errno_ret,
            args: self.args.clone(),
        }
    }
}

impl DockerProfile {
    /// Parses a Docker profile file.
    pub fn from_json(input: impl AsRef<[u8]>) -> core::result::Result<DockerProfile, Error> {
        let document = walk::parse_document(input.as_ref())?;
        DockerProfile::from_value(&document)
    }

    /// Parses any of the seccomp documents a user may hand over: a Docker profile, a runtime-spec
    /// `linux.seccomp` object (a Docker profile without conditions means the same), or a whole runtime
    /// configuration (`config.json`), recognised by a `linux` member and no `defaultAction`, whose
    /// `linux.seccomp` is read (error paths then start at the configuration's root).
    pub fn from_any_json(input: impl AsRef<[u8]>) -> core::result::Result<DockerProfile, Error> {
        let document = walk::parse_document(input.as_ref())?;
        let root = At::ROOT;
        let map = walk::object(&document, &root)?;
        if map.contains_key("defaultAction") || !map.contains_key("linux") {
            return parse_profile(&document, &root);
        }
        walk::required(map, &root, "linux", |linux, at| {
            let linux = walk::object(linux, at)?;
            walk::required(linux, at, "seccomp", parse_profile)
        })
    }

    /// Parses a Docker profile from a JSON value; error paths start at this value.
    pub fn from_value(value: &Value) -> core::result::Result<DockerProfile, Error> {
        parse_profile(value, &At::ROOT)
    }

    /// The profile as pretty-printed JSON (the deprecated `name` is written as `names`).
    pub fn to_json_pretty(&self) -> String {
        spec::to_json_pretty(self)
    }

    /// Resolves the profile for `target` as Docker's `setupSeccomp` does (see the module docs).
    pub fn resolve(&self, target: &DockerTarget) -> Resolved {
        let architectures = if self.arch_map.is_empty() {
            self.architectures.clone()
        } else {
            self.arch_map
                .iter()
                .find(|entry| entry.architecture == target.arch)
                .map(|entry| {
                    let mut arches = vec![entry.architecture];
                    arches.extend(entry.sub_architectures.iter().copied());
                    arches
                })
                .unwrap_or_default()
        };
        let mut syscalls = Vec::new();
        let mut origins = Vec::new();
        for (index, rule) in self.syscalls.iter().enumerate() {
            if rule.applies_to(target) {
                syscalls.push(rule.to_syscall_rule());
                origins.push(index);
            }
        }
        Resolved {
            seccomp: LinuxSeccomp {
                default_action: self.default_action,
                default_errno_ret: self.default_errno_ret,
                architectures,
                flags: self.flags.clone(),
                listener_path: self.listener_path.clone(),
                listener_metadata: self.listener_metadata.clone(),
                syscalls,
            },
            origins,
        }
    }

    /// A Docker profile with no conditions that says what `seccomp` says (for writing a runtime-spec
    /// object in Docker's file format).
    pub fn from_linux_seccomp(seccomp: &LinuxSeccomp) -> DockerProfile {
        DockerProfile {
            default_action: seccomp.default_action,
            default_errno_ret: seccomp.default_errno_ret,
            architectures: seccomp.architectures.clone(),
            arch_map: Vec::new(),
            flags: seccomp.flags.clone(),
            listener_path: seccomp.listener_path.clone(),
            listener_metadata: seccomp.listener_metadata.clone(),
            syscalls: seccomp
                .syscalls
                .iter()
                .map(|rule| DockerRule {
                    names: rule.names.clone(),
                    action: rule.action,
                    errno_ret: rule.errno_ret,
                    args: rule.args.clone(),
                    comment: None,
                    includes: Condition::default(),
                    excludes: Condition::default(),
                })
                .collect(),
        }
    }
}

fn parse_profile(value: &Value, at: &At<'_>) -> Result<DockerProfile> {
    let map = walk::object(value, at)?;
    let common = spec::parse_common(map, at)?;
    let arch_map = walk::optional(map, at, "archMap", |value, at| {
        walk::array(value, at, parse_arch_map_entry)
    })?
    .unwrap_or_default();
    if !arch_map.is_empty() && !common.architectures.is_empty() {
        return Err(walk::error(
            &at.key("archMap"),
            ErrorKind::Conflict {
                with: "architectures",
            },
        ));
    }
    let syscalls = walk::optional(map, at, "syscalls", |value, at| {
        walk::array(value, at, parse_docker_rule)
    })?
    .unwrap_or_default();
    Ok(DockerProfile {
        default_action: common.default_action,
        default_errno_ret: common.default_errno_ret,
        architectures: common.architectures,
        arch_map,
        flags: common.flags,
        listener_path: common.listener_path,
        listener_metadata: common.listener_metadata,
        syscalls,
    })
}

fn parse_arch_map_entry(value: &Value, at: &At<'_>) -> Result<ArchMapEntry> {
    let map = walk::object(value, at)?;
    let architecture = walk::required(map, at, "architecture", spec::parse_arch)?;
    let sub_architectures = walk::optional(map, at, "subArchitectures", |value, at| {
        walk::array(value, at, spec::parse_arch)
    })?
    .unwrap_or_default();
    Ok(ArchMapEntry {
        architecture,
        sub_architectures,
    })
}

fn parse_docker_rule(value: &Value, at: &At<'_>) -> Result<DockerRule> {
    let map = walk::object(value, at)?;
    let name = walk::optional(map, at, "name", walk::owned_string)?.filter(|name| !name.is_empty());
    let names = walk::optional(map, at, "names", |value, at| {
        walk::array(value, at, spec::parse_name)
    })?
    .filter(|names| !names.is_empty());
    let names = match (name, names) {
        (Some(_), Some(_)) => {
            return Err(walk::error(
                &at.key("name"),
                ErrorKind::Conflict { with: "names" },
            ));
        }
        (Some(name), None) => vec![name],
        (None, Some(names)) => names,
        (None, None) => {
            // Report the missing or empty `names`, the member profiles are meant to use.
            return Err(match walk::member(map, "names") {
                Some(_) => walk::error(&at.key("names"), ErrorKind::Empty),
                None => walk::error(&at.key("names"), ErrorKind::Missing),
            });
        }
    };
    let rule = spec::parse_rule_body(map, at, names)?;
    let comment = walk::optional(map, at, "comment", walk::owned_string)?;
    let includes = walk::optional(map, at, "includes", parse_condition)?.unwrap_or_default();
    let excludes = walk::optional(map, at, "excludes", parse_condition)?.unwrap_or_default();
    Ok(DockerRule {
        names: rule.names,
        action: rule.action,
        errno_ret: rule.errno_ret,
        args: rule.args,
        comment: comment.filter(|comment| !comment.is_empty()),
        includes,
        excludes,
    })
}

fn parse_condition(value: &Value, at: &At<'_>) -> Result<Condition> {
    let map: &Map<String, Value> = walk::object(value, at)?;
    let caps = walk::optional(map, at, "caps", walk::strings)?.unwrap_or_default();
    let arches = walk::optional(map, at, "arches", walk::strings)?.unwrap_or_default();
    let min_kernel = walk::optional(map, at, "minKernel", |value, at| {
        let text = walk::string(value, at)?;
        if text.is_empty() {
            // Docker treats an empty version as "no minimum".
            return Ok(None);
        }
        KernelVersion::from_profile(text)
            .map(Some)
            .ok_or_else(|| walk::error(at, ErrorKind::InvalidKernelVersion(text.to_owned())))
    })?
    .flatten();
    Ok(Condition {
        caps,
        arches,
        min_kernel,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capability_numbers_match_the_kernel_headers() {
        use linux_raw_sys::general;
        macro_rules! check {
            ($($cap:ident),* $(,)?) => {
                $( assert_eq!(CAPABILITIES[general::$cap as usize], stringify!($cap)); )*
            };
        }
        check!(
            CAP_CHOWN,
            CAP_DAC_OVERRIDE,
            CAP_DAC_READ_SEARCH,
            CAP_FOWNER,
            CAP_FSETID,
            CAP_KILL,
            CAP_SETGID,
            CAP_SETUID,
            CAP_SETPCAP,
            CAP_LINUX_IMMUTABLE,
            CAP_NET_BIND_SERVICE,
            CAP_NET_BROADCAST,
            CAP_NET_ADMIN,
            CAP_NET_RAW,
            CAP_IPC_LOCK,
            CAP_IPC_OWNER,
            CAP_SYS_MODULE,
            CAP_SYS_RAWIO,
            CAP_SYS_CHROOT,
            CAP_SYS_PTRACE,
            CAP_SYS_PACCT,
            CAP_SYS_ADMIN,
            CAP_SYS_BOOT,
            CAP_SYS_NICE,
            CAP_SYS_RESOURCE,
            CAP_SYS_TIME,
            CAP_SYS_TTY_CONFIG,
            CAP_MKNOD,
            CAP_LEASE,
            CAP_AUDIT_WRITE,
            CAP_AUDIT_CONTROL,
            CAP_SETFCAP,
            CAP_MAC_OVERRIDE,
            CAP_MAC_ADMIN,
            CAP_SYSLOG,
            CAP_WAKE_ALARM,
            CAP_BLOCK_SUSPEND,
            CAP_AUDIT_READ,
            CAP_PERFMON,
            CAP_BPF,
            CAP_CHECKPOINT_RESTORE,
        );
        assert_eq!(CAPABILITIES.len(), general::CAP_LAST_CAP as usize + 1);
    }

    #[test]
    fn kernel_release_strings_count_only_the_first_two_numbers() {
        let v = |s| KernelVersion::from_release(s);
        assert_eq!(v("6.8.0-45-generic"), Some(KernelVersion::new(6, 8)));
        assert_eq!(v("3.12-1-amd64"), Some(KernelVersion::new(3, 12)));
        assert_eq!(v("4.8"), Some(KernelVersion::new(4, 8)));
        assert_eq!(v("5.10-rc5"), Some(KernelVersion::new(5, 10)));
        assert_eq!(v("6"), None);
        assert_eq!(v("x.1"), None);
        assert_eq!(v("99999999999.1"), None);
        assert!(KernelVersion::new(4, 10) > KernelVersion::new(4, 8));
        assert!(KernelVersion::new(5, 0) > KernelVersion::new(4, 19));
    }

    #[test]
    fn profile_kernel_versions_follow_dockers_parser() {
        let v = |s| KernelVersion::from_profile(s);
        assert_eq!(v("4.8"), Some(KernelVersion::new(4, 8)));
        assert_eq!(v("04.08"), Some(KernelVersion::new(4, 8)));
        assert_eq!(v("0.1"), Some(KernelVersion::new(0, 1)));
        assert_eq!(v("0.0"), None);
        assert_eq!(v("4.8.1"), None);
        assert_eq!(v("4"), None);
        assert_eq!(v("256.1"), None);
        assert_eq!(v("+4.8"), None);
        assert_eq!(v("4.-8"), None);
        assert_eq!(KernelVersion::new(4, 8).to_string(), "4.8");
    }

    fn rule(includes: Condition, excludes: Condition) -> DockerRule {
        DockerRule {
            names: vec!["x".into()],
            action: ScmpAction::Allow,
            errno_ret: None,
            args: Vec::new(),
            comment: None,
            includes,
            excludes,
        }
    }

    fn caps(list: &[&str]) -> Condition {
        Condition {
            caps: list.iter().map(|c| c.to_string()).collect(),
            ..Condition::default()
        }
    }

    #[test]
    fn includes_caps_need_all_listed_caps_and_excludes_caps_any() {
        let target =
            DockerTarget::new(ScmpArch::X86_64, KernelVersion::new(6, 1)).with_caps(["CAP_A", "CAP_B"]);
        assert!(rule(caps(&["CAP_A"]), Condition::default()).applies_to(&target));
        assert!(rule(caps(&["CAP_A", "CAP_B"]), Condition::default()).applies_to(&target));
        assert!(!rule(caps(&["CAP_A", "CAP_C"]), Condition::default()).applies_to(&target));
        assert!(!rule(Condition::default(), caps(&["CAP_C", "CAP_B"])).applies_to(&target));
        assert!(rule(Condition::default(), caps(&["CAP_C"])).applies_to(&target));
        // Names are compared case-sensitively, as Docker does.
        assert!(!rule(caps(&["cap_a"]), Condition::default()).applies_to(&target));
    }

    #[test]
    fn arches_match_libseccomp_names_and_min_kernel_is_inclusive() {
        let amd64 = DockerTarget::new(ScmpArch::X86_64, KernelVersion::new(4, 8));
        let arm64 = DockerTarget::new(ScmpArch::Aarch64, KernelVersion::new(4, 7));
        let arches = |list: &[&str]| Condition {
            arches: list.iter().map(|c| c.to_string()).collect(),
            ..Condition::default()
        };
        let kernel = |k, m| Condition {
            min_kernel: Some(KernelVersion::new(k, m)),
            ..Condition::default()
        };
        let only_x86 = rule(arches(&["amd64", "x32"]), Condition::default());
        assert!(only_x86.applies_to(&amd64));
        assert!(!only_x86.applies_to(&arm64));
        let not_arm = rule(Condition::default(), arches(&["arm", "arm64"]));
        assert!(not_arm.applies_to(&amd64));
        assert!(!not_arm.applies_to(&arm64));
        let new_kernels = rule(kernel(4, 8), Condition::default());
        assert!(new_kernels.applies_to(&amd64));
        assert!(!new_kernels.applies_to(&arm64));
        let old_kernels = rule(Condition::default(), kernel(4, 8));
        assert!(!old_kernels.applies_to(&amd64));
        assert!(old_kernels.applies_to(&arm64));
    }
}
