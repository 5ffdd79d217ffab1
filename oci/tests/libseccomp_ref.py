#!/usr/bin/python3
"""Reference filter for the differential test: build a profile's filter with libseccomp the way runc does.

Usage: libseccomp_ref.py ARCH < linux-seccomp.json > filter.bpf
       libseccomp_ref.py --unknown ARCH < linux-seccomp.json   (the names libseccomp cannot resolve on ARCH,
                                                                  one per line)
       libseccomp_ref.py --pfc ARCH < linux-seccomp.json > filter.pfc   (libseccomp's pseudo filter code of
                                                                          the same filter, `export_pfc`)
       libseccomp_ref.py --tree ARCH < linux-seccomp.json > filter.bpf   (always optimize level 2, the binary
                                                                          tree, however few the rules)

ARCH is a libseccomp architecture name (x86_64, aarch64, ...). The input is a runtime-spec `linux.seccomp`
object (Docker's includes/excludes already resolved by the caller). The output is libseccomp's
`seccomp_export_bpf` of the filter, without runc's -ENOSYS stub (patchbpf), which is not libseccomp's.

The calls mirror runc's libcontainer/seccomp/seccomp_linux.go (`InitSeccomp`, `matchCall`) and
libcontainer/specconv/spec_linux.go (`SetupSeccomp`), in the same order, because libseccomp's answers depend
on the order rules are added:
- NewFilter(defaultAction); AddArch for each of `architectures` (the target arch replaces the host's native
  one, so a filter for another arch can be built on this machine);
- optimize level 2 (binary tree) when the profile expands to more than 32 (name, rule) entries;
- for each entry, for each name: skip the rule when its action equals the default action; skip the name
  when libseccomp cannot resolve it; unconditional rules with AddRule; conditional ones with
  AddRuleConditional, all args in one rule unless an index repeats, then one rule per arg.

A rule libseccomp refuses (EEXIST, EINVAL, ...) makes runc refuse the profile: this script then exits with
status 3 and names the rule on stderr.

Exit statuses: 0 filter written, 2 usage, 3 libseccomp refused the profile.
"""

import json
import os
import sys

import seccomp

ACTIONS_PLAIN = {
    "SCMP_ACT_KILL": seccomp.KILL,
    "SCMP_ACT_KILL_THREAD": seccomp.KILL,
    "SCMP_ACT_KILL_PROCESS": seccomp.KILL_PROCESS,
    "SCMP_ACT_TRAP": seccomp.TRAP,
    "SCMP_ACT_ALLOW": seccomp.ALLOW,
    "SCMP_ACT_LOG": seccomp.LOG,
    "SCMP_ACT_NOTIFY": seccomp.NOTIFY,
}

OPERATORS = {
    "SCMP_CMP_NE": seccomp.NE,
    "SCMP_CMP_LT": seccomp.LT,
    "SCMP_CMP_LE": seccomp.LE,
    "SCMP_CMP_EQ": seccomp.EQ,
    "SCMP_CMP_GE": seccomp.GE,
    "SCMP_CMP_GT": seccomp.GT,
    "SCMP_CMP_MASKED_EQ": seccomp.MASKED_EQ,
}

ARCHES = {
    "x86_64": seccomp.Arch.X86_64,
    "x86": seccomp.Arch.X86,
    "x32": seccomp.Arch.X32,
    "aarch64": seccomp.Arch.AARCH64,
    "arm": seccomp.Arch.ARM,
}


def action(name, errno_ret):
    """runc's getAction: ERRNO and TRACE default to EPERM."""
    if name == "SCMP_ACT_ERRNO":
        return seccomp.ERRNO(1 if errno_ret is None else errno_ret)
    if name == "SCMP_ACT_TRACE":
        return seccomp.TRACE(1 if errno_ret is None else errno_ret)
    return ACTIONS_PLAIN[name]


def arch_of(scmp_name):
    """SCMP_ARCH_X86_64 -> Arch.X86_64 (runc's GetArchFromString)."""
    short = scmp_name[len("SCMP_ARCH_"):].lower()
    return ARCHES[short]


def main():
    argv = sys.argv[1:]
    unknown_mode = argv[:1] == ["--unknown"]
    pfc_mode = argv[:1] == ["--pfc"]
    tree_mode = argv[:1] == ["--tree"]
    if unknown_mode or pfc_mode or tree_mode:
        argv = argv[1:]
    if len(argv) != 1 or argv[0] not in ARCHES:
        print("usage: libseccomp_ref.py [--unknown] {x86_64|aarch64|...} < profile.json", file=sys.stderr)
        return 2
    target = ARCHES[argv[0]]
    profile = json.load(sys.stdin)

    if unknown_mode:
        names = {name for entry in profile.get("syscalls") or [] for name in entry["names"]}
        for name in sorted(names):
            if seccomp.resolve_syscall(target, name) < 0:
                print(name)
        return 0

    default = action(profile["defaultAction"], profile.get("defaultErrnoRet"))
    filt = seccomp.SyscallFilter(defaction=default)
    if not filt.exist_arch(target):
        filt.add_arch(target)
        filt.remove_arch(seccomp.Arch.NATIVE)
    for arch in profile.get("architectures") or []:
        try:
            filt.add_arch(arch_of(arch))
        except RuntimeError:
            pass  # already present (runc's AddArch ignores EEXIST)

    # SetupSeccomp: one libcontainer Syscall per name, in entry order.
    calls = []
    for entry in profile.get("syscalls") or []:
        act = action(entry["action"], entry.get("errnoRet"))
        for name in entry["names"]:
            calls.append((name, act, entry.get("args") or []))
    if len(calls) > 32 or tree_mode:
        filt.set_attr(seccomp.Attr.CTL_OPTIMIZE, 2)

    for name, act, args in calls:
        if act == default:
            continue
        # runc resolves names with libseccomp's native resolver; a pseudo number (a name of another ABI) is
        # accepted and translated per ABI by libseccomp.
        if seccomp.resolve_syscall(seccomp.Arch.NATIVE, name) == -1:
            continue
        conds = [seccomp.Arg(a["index"], OPERATORS[a["op"]], a.get("value", 0), a.get("valueTwo", 0))
                 for a in args]
        indices = [a["index"] for a in args]
        groups = [conds] if len(set(indices)) == len(indices) else [[c] for c in conds]
        try:
            if not conds:
                filt.add_rule(act, name)
            else:
                for group in groups:
                    filt.add_rule(act, name, *group)
        except (RuntimeError, ValueError, OSError) as err:
            print(f"libseccomp refused the rule for {name}: {err}", file=sys.stderr)
            return 3

    out = os.fdopen(sys.stdout.fileno(), "wb", closefd=False)
    if pfc_mode:
        filt.export_pfc(out)
    else:
        filt.export_bpf(out)
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
