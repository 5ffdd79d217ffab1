#!/usr/bin/python3
"""Builds a policy in the native text format (the subset libseccomp expresses identically: 64-bit
comparisons, no `.lo`, at most one comparison per argument in a conjunction) with libseccomp's Python
bindings and exports the BPF program libseccomp generates.

usage: /usr/bin/python3 libseccomp_export.py POLICY OPTIMIZE OUT.bpf
  OPTIMIZE: 1 (libseccomp's default: syscalls in priority order) or 2 (its binary tree)
"""
import re
import sys

import seccomp

OPS = {"==": seccomp.EQ, "!=": seccomp.NE, "<": seccomp.LT, "<=": seccomp.LE, ">": seccomp.GT, ">=": seccomp.GE}


def action(text):
    text = text.strip()
    simple = {"allow": seccomp.ALLOW, "log": seccomp.LOG, "notify": seccomp.NOTIFY, "trap": seccomp.TRAP,
              "kill-thread": seccomp.KILL, "kill-process": seccomp.KILL_PROCESS}
    if text in simple:
        return simple[text]
    m = re.fullmatch(r"errno\((\w+)\)", text)
    if m:
        value = m.group(1)
        import errno
        return seccomp.ERRNO(int(value, 0) if value[0].isdigit() else getattr(errno, value))
    raise SystemExit(f"unsupported action {text}")


def comparison(text):
    text = text.strip()
    m = re.fullmatch(r"\(args\[(\d)\] & (\w+)\) == (\w+)", text)
    if m:
        return seccomp.Arg(int(m.group(1)), seccomp.MASKED_EQ, int(m.group(2), 0), int(m.group(3), 0))
    m = re.fullmatch(r"args\[(\d)\] (==|!=|<=|>=|<|>) (\w+)", text)
    if not m:
        raise SystemExit(f"unsupported comparison {text}")
    return seccomp.Arg(int(m.group(1)), OPS[m.group(2)], int(m.group(3), 0))


def main():
    path, optimize, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    lines = [line.split("#")[0].strip() for line in open(path)]
    settings = dict(line.split(None, 1) for line in lines if line.split(None, 1)[:1] in (["default"], ["bad-arch"], ["arch"]))
    f = seccomp.SyscallFilter(defaction=action(settings["default"]))
    f.set_attr(seccomp.Attr.ACT_BADARCH, action(settings.get("bad-arch", "kill-process")))
    f.set_attr(seccomp.Attr.CTL_OPTIMIZE, optimize)
    for line in lines:
        if not line or line.split()[0] in ("default", "bad-arch", "arch"):
            continue
        head, _, condition = line.partition(" if ")
        words = head.split()
        act = action(words[0])
        for name in words[1:]:
            if not condition:
                f.add_rule(act, name)
                continue
            for conjunction in condition.split("||"):
                f.add_rule(act, name, *[comparison(c) for c in conjunction.split("&&")])
    with open(out, "wb") as file:
        f.export_bpf(file)


main()
