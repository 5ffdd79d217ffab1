#!/usr/bin/python3
"""Writes the real-world profiles of the compiler comparison (oci/tests/compiler_vs_libseccomp.rs) as runtime-spec
`linux.seccomp` JSON. SOURCES.md names the upstream commit of each; this script is the translation.

Usage: make_profiles.py FIRECRACKER_SECCOMP_DIR
       (FIRECRACKER_SECCOMP_DIR holds firecracker's resources/seccomp/{x86_64,aarch64}-unknown-linux-musl.json)

- Firecracker (seccompiler JSON): one profile per thread filter (vmm, api, vcpu) and arch. `default_action` and
  `filter_action` become `defaultAction` and each rule's action; a rule's `args` are ANDed, rules ORed, as in
  OCI. A `dword` comparison looks at the low 32 bits only (seccompiler checks the least significant word):
  `eq v` becomes SCMP_CMP_MASKED_EQ with mask 0xffffffff and datum v, `{"masked_eq": m}` SCMP_CMP_MASKED_EQ
  with mask m. `qword` comparisons keep all 64 bits.
- flatpak (common/flatpak-run.c, `setup_seccomp`): the rules it adds with seccomp_rule_add, in its order,
  for a non-devel, non-multiarch run without the CAN and Bluetooth flags, `allowed_personality` PER_LINUX (0).
- LXC (config/templates/common.seccomp, a denylist with `reject_force_umount`): default allow.
"""

import json
import os
import sys

FC_ACTIONS = {"allow": "SCMP_ACT_ALLOW", "trap": "SCMP_ACT_TRAP", "kill_process": "SCMP_ACT_KILL_PROCESS",
              "kill_thread": "SCMP_ACT_KILL_THREAD", "log": "SCMP_ACT_LOG"}
SCMP_ARCH = {"x86_64": "SCMP_ARCH_X86_64", "aarch64": "SCMP_ARCH_AARCH64"}
HERE = os.path.dirname(os.path.abspath(__file__))


def fc_arg(arg):
    op, val = arg["op"], arg["val"]
    dword = arg["type"] == "dword"
    if op == "eq":
        if dword:
            return {"index": arg["index"], "value": 0xffffffff, "valueTwo": val, "op": "SCMP_CMP_MASKED_EQ"}
        return {"index": arg["index"], "value": val, "op": "SCMP_CMP_EQ"}
    if isinstance(op, dict) and "masked_eq" in op:
        mask = op["masked_eq"] & (0xffffffff if dword else 0xffffffffffffffff)
        return {"index": arg["index"], "value": mask, "valueTwo": val, "op": "SCMP_CMP_MASKED_EQ"}
    simple = {"ne": "SCMP_CMP_NE", "lt": "SCMP_CMP_LT", "le": "SCMP_CMP_LE", "gt": "SCMP_CMP_GT",
              "ge": "SCMP_CMP_GE"}
    if dword:
        raise SystemExit(f"a dword {op} has no 64-bit OCI form: {arg}")
    return {"index": arg["index"], "value": val, "op": simple[op]}


def firecracker(directory):
    for arch in ("x86_64", "aarch64"):
        with open(os.path.join(directory, f"{arch}-unknown-linux-musl.json")) as f:
            filters = json.load(f)
        for thread, spec in filters.items():
            action = FC_ACTIONS[spec["filter_action"]]
            syscalls = []
            for rule in spec["filter"]:
                entry = {"names": [rule["syscall"]], "action": action}
                if rule.get("args"):
                    entry["args"] = [fc_arg(a) for a in rule["args"]]
                syscalls.append(entry)
            write(f"firecracker-{thread}-{arch}.json", {
                "defaultAction": FC_ACTIONS[spec["default_action"]],
                "architectures": [SCMP_ARCH[arch]],
                "syscalls": syscalls,
            })


def errno(names, value, args=None):
    entry = {"names": names, "action": "SCMP_ACT_ERRNO", "errnoRet": value}
    if args:
        entry["args"] = args
    return entry


def masked(index, mask, datum):
    return {"index": index, "value": mask, "valueTwo": datum, "op": "SCMP_CMP_MASKED_EQ"}


EPERM, ENOSYS, EAFNOSUPPORT, EACCES = 1, 38, 97, 13
CLONE_NEWUSER, TIOCSTI, TIOCLINUX = 0x10000000, 0x5412, 0x541C


def flatpak():
    rules = [errno([name], EPERM) for name in [
        "syslog", "uselib", "acct", "quotactl", "add_key", "keyctl", "request_key", "move_pages", "mbind",
        "get_mempolicy", "set_mempolicy", "migrate_pages", "unshare", "setns", "mount", "umount", "umount2",
        "pivot_root", "chroot"]]
    rules.append(errno(["clone"], EPERM, [masked(0, CLONE_NEWUSER, CLONE_NEWUSER)]))
    rules.append(errno(["ioctl"], EPERM, [masked(1, 0xffffffff, TIOCSTI)]))
    rules.append(errno(["ioctl"], EPERM, [masked(1, 0xffffffff, TIOCLINUX)]))
    rules += [errno([name], ENOSYS) for name in [
        "clone3", "open_tree", "move_mount", "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr"]]
    rules.append(errno(["modify_ldt"], EPERM))  # not multiarch
    rules.append(errno(["perf_event_open"], EPERM))  # not devel
    rules.append(errno(["personality"], EPERM, [{"index": 0, "value": 0, "op": "SCMP_CMP_NE"}]))
    rules.append(errno(["ptrace"], EPERM))
    # socket: AF_UNSPEC, AF_LOCAL, AF_INET, AF_INET6, AF_NETLINK allowed; the families between and above
    # them get EAFNOSUPPORT.
    last = -1
    for family in [0, 1, 2, 10, 16]:
        for disallowed in range(last + 1, family):
            rules.append(errno(["socket"], EAFNOSUPPORT, [{"index": 0, "value": disallowed, "op": "SCMP_CMP_EQ"}]))
        last = family
    rules.append(errno(["socket"], EAFNOSUPPORT, [{"index": 0, "value": last + 1, "op": "SCMP_CMP_GE"}]))
    for arch in ("x86_64", "aarch64"):
        write(f"flatpak-{arch}.json", {"defaultAction": "SCMP_ACT_ALLOW", "architectures": [SCMP_ARCH[arch]],
                                       "syscalls": rules})


def lxc():
    rules = [errno(["umount2"], EACCES, [masked(1, 1, 1)])]  # reject_force_umount: MNT_FORCE
    rules += [errno([name], EPERM) for name in
              ["kexec_load", "open_by_handle_at", "init_module", "finit_module", "delete_module"]]
    for arch in ("x86_64", "aarch64"):
        write(f"lxc-{arch}.json", {"defaultAction": "SCMP_ACT_ALLOW", "architectures": [SCMP_ARCH[arch]],
                                   "syscalls": rules})


def write(name, profile):
    with open(os.path.join(HERE, name), "w") as f:
        json.dump(profile, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    firecracker(sys.argv[1])
    flatpak()
    lxc()
