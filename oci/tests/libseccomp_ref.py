#!/usr/bin/python3
"""Reference filter for the differential test: build a profile's filter with libseccomp the way runc does.

Usage: libseccomp_ref.py ARCH < linux-seccomp.json > filter.bpf
       libseccomp_ref.py --unknown ARCH < linux-seccomp.json   (the names libseccomp cannot resolve on ARCH,
                                                                  one per line)
       libseccomp_ref.py --pfc ARCH < linux-seccomp.json > filter.pfc   (libseccomp's pseudo filter code of
                                                                          the same filter, `export_pfc`)
       libseccomp_ref.py --tree ARCH < linux-seccomp.json > filter.bpf   (always optimize level 2, the binary
                                                                          tree, however few the rules)
       libseccomp_ref.py --runc ARCH < linux-seccomp.json > filter.bpf   (runc's whole filter: its -ENOSYS
                                                                          stub in front of libseccomp's)

ARCH is a libseccomp architecture name (x86_64, aarch64, ...). The input is a runtime-spec `linux.seccomp`
object (Docker's includes/excludes already resolved by the caller). The output is libseccomp's
`seccomp_export_bpf` of the filter, without runc's -ENOSYS stub (patchbpf), which is not libseccomp's, or
with `--runc` that stub prepended as runc prepends it (crun loads libseccomp's filter as it is).

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
import struct
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


# runc's -ENOSYS stub, libcontainer/seccomp/patchbpf/enosys_linux.go, rebuilt from the profile JSON and
# libseccomp's syscall resolver, independently of seccompctl's importer.

RET_ERRNO_ENOSYS = 0x00050000 | 38
AUDIT_X86_64, AUDIT_I386, AUDIT_ARM, AUDIT_AARCH64 = 0xC000003E, 0x40000003, 0x40000028, 0xC00000B7
AUDIT_OF = {  # scmpArchToAuditArch: x32 shares x86_64's arch value
    seccomp.Arch.X86_64: AUDIT_X86_64,
    seccomp.Arch.X32: AUDIT_X86_64,
    seccomp.Arch.X86: AUDIT_I386,
    seccomp.Arch.ARM: AUDIT_ARM,
    seccomp.Arch.AARCH64: AUDIT_AARCH64,
}

# golang.org/x/net/bpf instructions as (code, jt, jf, k); conditions without a BPF opcode swap jt and jf.
def ld_abs(off):
    return (0x20, 0, 0, off)


def ja(skip):
    return (0x05, 0, 0, skip)


def ret(value):
    return (0x06, 0, 0, value)


def jump_if(cond, val, skip_true, skip_false=0):
    code, swap = {"eq": (0x15, False), "ne": (0x15, True), "gt": (0x25, False), "le": (0x25, True),
                  "set": (0x45, False), "notset": (0x45, True)}[cond]
    jt, jf = (skip_false, skip_true) if swap else (skip_true, skip_false)
    assert jt <= 255 and jf <= 255
    return (code, jt, jf, val)


def is_allow_action(name):
    """isAllowAction: allow, log and trace get no stub (a tracer handles new syscalls itself)."""
    return name in ("SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_TRACE")


def find_last_syscalls(profile, target):
    """findLastSyscalls: per audit arch, per libseccomp arch, the largest number any entry names (whatever
    its action); the native (here: target) arch is always included; an arch whose largest is 0 is dropped.
    Deviation: python's resolve_syscall rewrites multiplexed names (i386 `accept` -> socketcall 102) where
    runc's GetSyscallFromNameByArch gives a negative pseudo number (ignored); only a profile whose largest
    i386 number is such a name would differ."""
    arches = {arch_of(name) for name in profile.get("architectures") or []}
    arches.add(target)
    names = [name for entry in profile.get("syscalls") or [] for name in entry["names"]]
    last = {}
    for arch in arches:
        audit = AUDIT_OF[arch]
        last.setdefault(audit, {})
        largest = 0
        for name in names:
            sysno = seccomp.resolve_syscall(arch, name)
            if sysno > largest:
                largest = sysno
        if largest != 0:
            last[audit][arch] = largest
    return last


def enosys_stub(last):
    """generateEnosysStub, section by section, with its long-jump forms."""
    tail = [ja(1), ret(RET_ERRNO_ENOSYS)]
    jump_table = {}
    for audit, max_syscalls in last.items():
        base_enosys = len(tail) - 1
        base_filter = base_enosys + 1
        section = [ld_abs(0)]
        if len(max_syscalls) == 0:
            continue
        if len(max_syscalls) == 1:
            ((scmp_arch, sysno),) = max_syscalls.items()
            if base_enosys + 1 <= 255:
                section_tail = [jump_if("gt", sysno, base_enosys + 1), ja(base_filter)]
            else:
                section_tail = [jump_if("le", sysno, 1), ret(RET_ERRNO_ENOSYS), ja(base_filter)]
            if audit == AUDIT_X86_64:
                if scmp_arch == seccomp.Arch.X86_64:
                    section_tail = [jump_if("set", 1 << 30, len(section_tail) - 1)] + section_tail
                else:
                    section_tail = [jump_if("notset", 1 << 30, len(section_tail) - 1)] + section_tail
            section += section_tail
        else:
            assert audit == AUDIT_X86_64 and len(max_syscalls) == 2, max_syscalls
            x32 = max_syscalls[seccomp.Arch.X32]
            x86 = max_syscalls[seccomp.Arch.X86_64]
            if base_enosys + 2 <= 255:
                section += [jump_if("set", 1 << 30, 1), jump_if("gt", x86, base_enosys + 2, 1),
                            jump_if("gt", x32, base_enosys + 1), ja(base_filter)]
            else:
                section += [jump_if("set", 1 << 30, 1), jump_if("gt", x86, 1, 2), jump_if("le", x32, 1),
                            ret(RET_ERRNO_ENOSYS), ja(base_filter)]
        tail = section + tail
        jump_table[audit] = len(tail)
    tail = [ja(len(tail))] + tail
    for audit in last:
        jump = len(tail) - jump_table.get(audit, 0)
        if jump <= 255:
            tail = [jump_if("eq", audit, jump)] + tail
        else:
            tail = [jump_if("ne", audit, 1), ja(jump)] + tail
    return [ld_abs(4)] + tail


def runc_patch(profile, target):
    """generatePatch: no stub for a permissive default action. (Its `DefaultErrnoRet == ENOSYS` test
    compares an errno with SCMP_ACT_ERRNO(ENOSYS), 0x50026, so it holds only for that errnoRet.)"""
    if profile.get("defaultErrnoRet") == RET_ERRNO_ENOSYS or is_allow_action(profile["defaultAction"]):
        return []
    return enosys_stub(find_last_syscalls(profile, target))


def main():
    argv = sys.argv[1:]
    unknown_mode = argv[:1] == ["--unknown"]
    pfc_mode = argv[:1] == ["--pfc"]
    tree_mode = argv[:1] == ["--tree"]
    runc_mode = argv[:1] == ["--runc"]
    if unknown_mode or pfc_mode or tree_mode or runc_mode:
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
    elif runc_mode:
        # enosysPatchFilter: the stub, then libseccomp's program (both in host byte order).
        for code, jt, jf, k in runc_patch(profile, target):
            out.write(struct.pack("=HBBI", code, jt, jf, k))
        out.flush()
        filt.export_bpf(out)
    else:
        filt.export_bpf(out)
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
