//! Policies that cover several ABIs of one machine (x86_64 + i386 + x32, aarch64 + arm): the model, the
//! native format, the compiled program's dispatch, the kernel's action cache, and random multi-ABI
//! policies against the reference semantics.

mod common;

use common::{check, errno, parse};

use seccomp_core::Rng;
use seccomp_core::abi::{
    AUDIT_ARCH_AARCH64, AUDIT_ARCH_ARM, AUDIT_ARCH_I386, AUDIT_ARCH_X86_64, SeccompData, X32_SYSCALL_BIT,
};
use seccomp_core::action::Action;
use seccomp_core::arch::Arch;
use seccomp_core::bpf::{cache::Bitmap, emulate};
use seccomp_core::policy::{Comparison, Op, Policy, PolicyError, Stats, Width, X32};

fn data(arch: u32, nr: u32, args: [u64; 6]) -> SeccompData {
    SeccompData {
        nr: nr as i32,
        arch,
        instruction_pointer: 0,
        args,
    }
}

const X86: &str = "arch x86_64 i386 x32\ndefault errno(1)\nbad-arch kill-thread\n\
                   allow read write getpid socketcall _llseek exit_group\n\
                   errno(2) openat if args[0] == 3\nlog mmap2 mmap\n";

#[test]
fn a_name_applies_on_every_covered_abi_that_has_it() {
    let policy = parse(X86);
    assert_eq!(policy.arch(), Arch::X86_64);
    assert_eq!(policy.compat(), Some(Arch::I386));
    assert_eq!(policy.x32(), X32::Rules);
    assert!(policy.covers(Arch::X32) && policy.covers(Arch::I386) && !policy.covers(Arch::Arm));
    let allow = Action::ALLOW;
    // getpid: 39 on x86_64, 20 on i386, 39 | x32 bit on x32.
    assert_eq!(policy.evaluate(&data(AUDIT_ARCH_X86_64, 39, [0; 6])), allow);
    assert_eq!(policy.evaluate(&data(AUDIT_ARCH_I386, 20, [0; 6])), allow);
    assert_eq!(
        policy.evaluate(&data(AUDIT_ARCH_X86_64, X32_SYSCALL_BIT | 39, [0; 6])),
        allow
    );
    // i386-only names are i386 rules only; x86_64 number 102 (getuid) is not socketcall.
    assert_eq!(policy.evaluate(&data(AUDIT_ARCH_I386, 102, [0; 6])), allow);
    assert_eq!(policy.evaluate(&data(AUDIT_ARCH_X86_64, 102, [0; 6])), errno(1));
    assert_eq!(
        policy.evaluate(&data(AUDIT_ARCH_I386, 192, [0; 6])),
        Action::LOG,
        "mmap2"
    );
    // Conditions hold per ABI with that ABI's number (openat: 257 and 295).
    assert_eq!(
        policy.evaluate(&data(AUDIT_ARCH_I386, 295, [3, 0, 0, 0, 0, 0])),
        errno(2)
    );
    assert_eq!(
        policy.evaluate(&data(AUDIT_ARCH_I386, 295, [4, 0, 0, 0, 0, 0])),
        errno(1)
    );
    // Outside the covered ABIs: the bad-arch action.
    for foreign in [AUDIT_ARCH_AARCH64, AUDIT_ARCH_ARM, 0, u32::MAX] {
        assert_eq!(policy.evaluate(&data(foreign, 20, [0; 6])), Action::KILL_THREAD);
    }
    // Rules per ABI: 6 names on x86_64 minus socketcall/_llseek, and so on.
    let on = |arch: Arch| policy.rules().filter(|rule| rule.arch() == arch).count();
    assert_eq!(on(Arch::X86_64), 6, "read write getpid exit_group openat mmap");
    assert_eq!(on(Arch::X32), 6, "x32 has the same names here");
    assert_eq!(
        on(Arch::I386),
        9,
        "all but none: i386 has every name here, mmap and mmap2 included"
    );
}

#[test]
fn the_program_dispatches_on_arch_and_agrees_everywhere() {
    let policy = parse(X86);
    let insns = check(&policy);
    let program = seccomp_core::bpf::validate(&insns).expect("valid");
    // i386 getpid under this filter is allowed, as under Docker's profile.
    assert_eq!(
        emulate(&program, &data(AUDIT_ARCH_I386, 20, [0; 6])).action,
        Action::ALLOW
    );
    assert_eq!(
        emulate(&program, &data(AUDIT_ARCH_ARM, 20, [0; 6])).action,
        Action::KILL_THREAD
    );
}

#[test]
fn argument_free_allows_of_native_and_compat_are_cacheable() {
    let policy = parse(X86);
    let insns = check(&policy);
    let program = seccomp_core::bpf::validate(&insns).expect("valid");
    let [native, compat]: [Bitmap; 2] = Bitmap::for_machine(Arch::X86_64)
        .collect::<Vec<_>>()
        .try_into()
        .expect("two bitmaps");
    let cached = |bitmap: &Bitmap, arch: Arch, name: &str| {
        bitmap.is_cached(&[program], arch.syscall_nr(name).expect("name") as i32)
    };
    for name in ["read", "write", "getpid", "exit_group"] {
        assert!(cached(&native, Arch::X86_64, name), "x86_64 {name}");
        assert!(cached(&compat, Arch::I386, name), "i386 {name}");
    }
    assert!(cached(&compat, Arch::I386, "socketcall"));
    assert!(!cached(&compat, Arch::I386, "openat"), "a conditional rule");
    assert!(!cached(&native, Arch::X86_64, "close"), "errno is no allow");
    // Stats per ABI: every argument-free allow of each ABI is cacheable.
    let per_abi: Vec<(Arch, Stats)> =
        Stats::per_abi(&program, [Arch::X86_64, Arch::X32, Arch::I386]).collect();
    assert_eq!(per_abi.len(), 3);
    for (arch, stats) in per_abi {
        let allowed = ["read", "write", "getpid", "exit_group", "socketcall", "_llseek"]
            .iter()
            .filter(|name| arch.syscall_nr(name).is_some())
            .count();
        // (`Stats::cacheable` is the walk alone; the kernel keeps no bitmap for x32 numbers.)
        assert_eq!(stats.cacheable, allowed, "{arch}");
    }
}

/// Each ABI's part is as good as the single-ABI program of that ABI: at most the one more arch check.
#[test]
fn each_part_is_as_short_as_the_single_abi_program() {
    let multi = parse(X86);
    let insns = check(&multi);
    let program = seccomp_core::bpf::validate(&insns).expect("valid");
    for (arch, text) in [
        (
            Arch::X86_64,
            X86.replace("arch x86_64 i386 x32", "arch x86_64 x32")
                .replace(" socketcall _llseek", "")
                .replace("mmap2 ", ""),
        ),
        (Arch::I386, X86.replace("arch x86_64 i386 x32", "arch i386")),
    ] {
        let single = parse(&text);
        let single_insns = check(&single);
        let single_program = seccomp_core::bpf::validate(&single_insns).expect("valid");
        let ours = Stats::measure(&program, arch);
        let alone = Stats::measure(&single_program, arch);
        assert!(
            ours.executed_max <= alone.executed_max + 1,
            "{arch}: {ours:?} vs {alone:?}"
        );
        assert!(
            ours.executed_total <= alone.executed_total + alone.syscalls,
            "{arch}"
        );
        assert_eq!(ours.cacheable, alone.cacheable, "{arch}");
    }
}

#[test]
fn aarch64_with_arm_covers_the_arm_private_calls() {
    let policy = parse("arch aarch64 arm\ndefault kill-process\nallow cacheflush set_tls read\n");
    assert_eq!(policy.compat(), Some(Arch::Arm));
    let insns = check(&policy);
    let program = seccomp_core::bpf::validate(&insns).expect("valid");
    let run = |arch, nr| emulate(&program, &data(arch, nr, [0; 6])).action;
    assert_eq!(run(AUDIT_ARCH_ARM, 0x0f_0002), Action::ALLOW);
    assert_eq!(run(AUDIT_ARCH_ARM, 0x0f_0005), Action::ALLOW);
    assert_eq!(run(AUDIT_ARCH_ARM, 3), Action::ALLOW);
    assert_eq!(run(AUDIT_ARCH_AARCH64, 63), Action::ALLOW);
    assert_eq!(run(AUDIT_ARCH_AARCH64, 0x0f_0002), Action::KILL_PROCESS);
    assert_eq!(run(AUDIT_ARCH_X86_64, 0), Action::KILL_PROCESS);
}

#[test]
fn the_text_round_trips_with_qualified_rules() {
    let text = "arch x86_64 i386\ndefault allow\nerrno(1) i386:read x86_64:write getpid 500 i386:500\n\
                log @basic-io if args[0] == 7\n";
    let policy = parse(text);
    let written = policy.to_string();
    assert!(written.starts_with("arch x86_64 i386\n"), "{written}");
    assert!(
        written.contains("i386:read") && written.contains("x86_64:write"),
        "{written}"
    );
    assert!(
        written.contains(" getpid") && !written.contains(":getpid"),
        "{written}"
    );
    assert!(written.contains(" 500 i386:500"), "{written}");
    let again = parse(&written);
    assert_eq!(again, policy, "{written}");
    check(&policy);
}

#[test]
fn abis_of_another_machine_are_refused() {
    for (text, needle) in [
        (
            "arch x86_64 arm\ndefault allow\n",
            "arm is not a compat ABI of x86_64",
        ),
        (
            "arch aarch64 i386\ndefault allow\n",
            "i386 is not a compat ABI of aarch64",
        ),
        ("arch i386 x86_64\ndefault allow\n", "i386 has no compat ABI"),
        ("arch x86_64 i386 i386\ndefault allow\n", "given twice"),
        ("arch x86_64\ndefault allow\nallow i386:read\n", "i386"),
        ("arch x86_64 i386\ndefault allow\nallow arm:read\n", "arm"),
        (
            "arch x86_64 i386\ndefault allow\nallow no_such_call\n",
            "unknown syscall",
        ),
    ] {
        match Policy::<64, 64>::parse(text, Arch::X86_64) {
            Ok(policy) => panic!("accepted {text:?}: {policy}"),
            Err(error) => assert!(error.to_string().contains(needle), "{text:?}: {error}"),
        }
    }
    let mut policy: Policy<8, 8> = Policy::new(Arch::X86_64, Action::ALLOW);
    assert_eq!(
        policy.set_compat(Some(Arch::Arm)),
        Err(PolicyError::NotCompat {
            native: Arch::X86_64,
            compat: Arch::Arm
        })
    );
    assert_eq!(policy.set_compat(Some(Arch::I386)), Ok(()));
    policy
        .add_named_rule("getpid", Action::KILL_PROCESS, &[])
        .expect("rule");
    assert_eq!(policy.len(), 2, "one rule per ABI");
    assert!(
        policy.set_compat(None).is_err(),
        "ABIs are fixed once rules exist"
    );
    assert!(policy.add_rule_for(Arch::Arm, 1, Action::ALLOW, &[]).is_err());
}

/// Random multi-ABI policies against the reference semantics on every arch value.
#[test]
fn random_multi_abi_policies_verify() {
    let mut rng = Rng::new(0x6d75_6c74_6961_6269);
    let names = [
        "read",
        "write",
        "open",
        "openat",
        "socketcall",
        "socket",
        "mmap",
        "mmap2",
        "getpid",
        "ioctl",
        "cacheflush",
        "fstat",
        "newfstatat",
        "_llseek",
        "lseek",
        "exit_group",
        "set_tls",
        "clone",
    ];
    let actions = [
        Action::ALLOW,
        Action::LOG,
        errno(1),
        errno(38),
        Action::KILL_PROCESS,
        Action::TRAP,
    ];
    for round in 0..80 {
        let (arch, compat) = if round % 2 == 0 {
            (Arch::X86_64, Arch::I386)
        } else {
            (Arch::Aarch64, Arch::Arm)
        };
        let mut policy: Policy<128, 256> =
            Policy::new(arch, actions[rng.below(actions.len() as u64) as usize]);
        policy.set_bad_arch_action(actions[rng.below(actions.len() as u64) as usize]);
        policy.set_compat(Some(compat)).expect("compat");
        if arch == Arch::X86_64 {
            let modes = [X32::BadArch, X32::ByName, X32::Rules, X32::BadArchExceptMinusOne];
            policy.set_x32(modes[rng.below(4) as usize]).expect("x32");
        }
        for _ in 0..rng.below(24) {
            let name = names[rng.below(names.len() as u64) as usize];
            let action = actions[rng.below(actions.len() as u64) as usize];
            let condition = [
                Comparison::new(0, Width::Low, Op::Eq, rng.below(4)).expect("cmp"),
                Comparison::new(1, Width::Full, Op::Ge, rng.below(1 << 33)).expect("cmp"),
            ];
            let take = rng.below(3) as usize;
            let alternatives: &[&[Comparison]] = match take {
                0 => &[],
                1 => &[&condition[..1]],
                _ => &[&condition[..], &condition[1..]],
            };
            match policy.add_named_rule(name, action, alternatives) {
                Ok(()) | Err(PolicyError::UnknownSyscall(_)) => {}
                Err(error) => panic!("{error}"),
            }
        }
        check(&policy);
        let again: Policy<128, 256> =
            Policy::parse(&policy.to_string(), arch).unwrap_or_else(|e| panic!("{e}\n{policy}"));
        assert_eq!(again, policy, "{policy}");
    }
}

/// libseccomp's treatment of odd numbers on x86_64 without x32: from 0x40000000 up the bad-arch action,
/// but -1 follows the rules; with x32 covered, nothing is bad-arch.
#[test]
fn odd_numbers_follow_the_x32_mode() {
    let mut policy: Policy<16, 16> = Policy::new(Arch::X86_64, errno(1));
    policy.set_x32(X32::BadArchExceptMinusOne).expect("x32");
    policy.add_rule(u32::MAX, Action::LOG, &[]).expect("rule");
    let insns = check(&policy);
    let program = seccomp_core::bpf::validate(&insns).expect("valid");
    let run = |nr: u32| emulate(&program, &data(AUDIT_ARCH_X86_64, nr, [0; 6])).action;
    assert_eq!(run(u32::MAX), Action::LOG);
    for nr in [0x4000_0000, 0x8000_0000, 0xbfff_ffff, 0xc000_0000, 0xffff_fffe] {
        assert_eq!(run(nr), Action::KILL_PROCESS, "{nr:#x}");
    }
    assert_eq!(run(0), errno(1));
    let text = "arch x86_64 x32\ndefault errno(1)\nallow read\nallow write if args[0] == 1\n";
    let policy = parse(text);
    let insns = check(&policy);
    let program = seccomp_core::bpf::validate(&insns).expect("valid");
    let run = |nr: u32| emulate(&program, &data(AUDIT_ARCH_X86_64, nr, [0; 6])).action;
    for nr in [u32::MAX, 0x8000_0000, 0xbfff_ffff, 0xc000_0000, 0x4000_0002] {
        assert_eq!(run(nr), errno(1), "{nr:#x}");
    }
    assert_eq!(run(0x4000_0000), Action::ALLOW, "x32 read");
    assert_eq!(parse(&policy.to_string()), policy);
}

/// Found by the `compile_multiabi` fuzz target: with x32 rules, bit 30 of a number says whose rules decide
/// it, so an x86_64 rule numbered with bit 30 (or an x32 rule without it) never applies, in the program
/// as in the model.
#[test]
fn rules_of_the_wrong_half_of_the_x86_64_number_space_never_apply() {
    let mut policy: Policy<16, 16> = Policy::new(Arch::X86_64, Action::KILL_THREAD);
    policy.set_x32(X32::Rules).expect("x32");
    policy
        .add_rule_for(Arch::X86_64, u32::MAX, Action::ALLOW, &[])
        .expect("rule");
    policy
        .add_rule_for(Arch::X32, 5, Action::ALLOW, &[])
        .expect("rule");
    let insns = check(&policy);
    let program = seccomp_core::bpf::validate(&insns).expect("valid");
    for nr in [u32::MAX, 5] {
        let probe = data(AUDIT_ARCH_X86_64, nr, [0; 6]);
        assert_eq!(policy.evaluate(&probe), Action::KILL_THREAD);
        assert_eq!(emulate(&program, &probe).action, Action::KILL_THREAD);
    }
}
