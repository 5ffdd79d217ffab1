//! ENOSYS ceilings (`enosys-above`, runc's -ENOSYS stub): the model's semantics per ABI, the text format,
//! the compiled program against `Policy::evaluate`, what the ceiling costs, and the kernel's action cache.

mod common;

use common::{check, errno, parse};

use seccomp_core::Rng;
use seccomp_core::abi::{
    AUDIT_ARCH_AARCH64, AUDIT_ARCH_ARM, AUDIT_ARCH_I386, AUDIT_ARCH_X86_64, SeccompData,
};
use seccomp_core::action::Action;
use seccomp_core::arch::Arch;
use seccomp_core::policy::{ENOSYS, Policy, PolicyError, Stats, X32};

fn data(arch: u32, nr: u32) -> SeccompData {
    SeccompData {
        nr: nr as i32,
        arch,
        instruction_pointer: 0,
        args: [0; 6],
    }
}

const THREE_ABIS: &str = "arch x86_64 i386 x32\ndefault errno(1)\nbad-arch kill-thread\n\
                          enosys-above 334 x32:0x40000223 i386:clone3\n\
                          allow read write getpid socketcall exit_group\nerrno(2) openat if args[0] == 3\n";

#[test]
fn numbers_above_each_abis_ceiling_get_enosys_and_bit_30_chooses_x32s() {
    let policy = parse(THREE_ABIS);
    assert_eq!(policy.enosys_above(Arch::X86_64), Some(334));
    assert_eq!(policy.enosys_above(Arch::X32), Some(0x4000_0223));
    assert_eq!(policy.enosys_above(Arch::I386), Some(435)); // clone3 on i386
    let x86 = |nr| policy.evaluate(&data(AUDIT_ARCH_X86_64, nr));
    let i386 = |nr| policy.evaluate(&data(AUDIT_ARCH_I386, nr));
    assert_eq!(x86(334), errno(1));
    assert_eq!(x86(335), ENOSYS);
    assert_eq!(x86(0x3fff_ffff), ENOSYS);
    // Without bit 30, 0x80000000.. is above the x86_64 ceiling (unsigned).
    assert_eq!(x86(0x8000_0000), ENOSYS);
    // With bit 30: the x32 ceiling; -1 and 0xc0000000.. are above it.
    assert_eq!(x86(0x4000_0000), Action::ALLOW); // x32 read
    assert_eq!(x86(0x4000_0223), errno(1));
    assert_eq!(x86(0x4000_0224), ENOSYS);
    assert_eq!(x86(u32::MAX), ENOSYS);
    assert_eq!(x86(0xc000_0000), ENOSYS);
    // i386 has its own ceiling; a foreign arch value is not affected.
    assert_eq!(i386(435), errno(1));
    assert_eq!(i386(436), ENOSYS);
    assert_eq!(i386(102), Action::ALLOW); // socketcall
    assert_eq!(
        policy.evaluate(&data(AUDIT_ARCH_AARCH64, 1000)),
        Action::KILL_THREAD
    );
    check(&policy);
}

#[test]
fn the_ceiling_comes_before_the_x32_setting() {
    // As runc's stub sits in front of libseccomp's filter: without x32 the x86_64 section jumps over
    // numbers with bit 30 (bad-arch, -1 to the rules), and 0x80000000..0xbfffffff gets ENOSYS.
    let policy = parse(
        "arch x86_64\ndefault errno(1)\nbad-arch kill-thread\nx32 bad-arch-except-minus-one\n\
         enosys-above 334\nallow read\n",
    );
    let x86 = |nr| policy.evaluate(&data(AUDIT_ARCH_X86_64, nr));
    assert_eq!(x86(0x4000_0000), Action::KILL_THREAD);
    assert_eq!(x86(0x7fff_ffff), Action::KILL_THREAD);
    assert_eq!(x86(0x8000_0000), ENOSYS);
    assert_eq!(x86(0xbfff_ffff), ENOSYS);
    assert_eq!(x86(0xc000_0000), Action::KILL_THREAD);
    assert_eq!(x86(u32::MAX), errno(1));
    check(&policy);
    // A rule above the ceiling never decides.
    let dead = parse("arch aarch64\ndefault kill-process\nenosys-above 100\nallow 200 read\n");
    assert_eq!(dead.evaluate(&data(AUDIT_ARCH_AARCH64, 200)), ENOSYS);
    assert_eq!(dead.evaluate(&data(AUDIT_ARCH_AARCH64, 63)), Action::ALLOW);
    check(&dead);
    let arm =
        parse("arch aarch64 arm\ndefault errno(1)\nenosys-above 451 arm:0xf0005\nallow arm:set_tls read\n");
    assert_eq!(arm.evaluate(&data(AUDIT_ARCH_ARM, 0xf0005)), Action::ALLOW);
    assert_eq!(arm.evaluate(&data(AUDIT_ARCH_ARM, 0xf0006)), ENOSYS);
    assert_eq!(arm.evaluate(&data(AUDIT_ARCH_ARM, 500)), errno(1));
    assert_eq!(arm.evaluate(&data(AUDIT_ARCH_AARCH64, 452)), ENOSYS);
    check(&arm);
}

#[test]
fn the_text_form_round_trips_and_refuses_what_it_cannot_mean() {
    let policy = parse(THREE_ABIS);
    let text = policy.to_string();
    assert!(
        text.contains("enosys-above 334 x32:0x40000223 i386:435\n"),
        "{text}"
    );
    assert_eq!(parse(&text), policy);
    // Without a ceiling nothing is written.
    assert!(!parse("default allow\n").to_string().contains("enosys"));
    for (text, error) in [
        ("default allow\nenosys-above i386:5\n", "does not cover i386"),
        ("default allow\nenosys-above 5 6\n", "given twice"),
        (
            "default allow\nenosys-above 5\nenosys-above x86_64:7\n",
            "given twice",
        ),
        (
            "default allow\nenosys-above\n",
            "expected a syscall number or name",
        ),
        ("default allow\nenosys-above no_such_call\n", "unknown syscall"),
        (
            "default allow\nenosys-above 0x100000000\n",
            "does not fit in 32 bits",
        ),
        (
            "default allow\nenosys-above 5\narch aarch64\n",
            "`arch` must come before",
        ),
        (
            "arch x86_64\ndefault allow\nenosys-above x32:read\n",
            "does not cover x32",
        ),
    ] {
        let err = Policy::<64, 64>::parse(text, Arch::X86_64)
            .expect_err(text)
            .to_string();
        assert!(err.contains(error), "{text}: {err}");
    }
    // The model API: a ceiling for an ABI the policy does not cover, and uncovering one that has a ceiling.
    let mut model: Policy<8, 8> = Policy::new(Arch::X86_64, Action::ALLOW);
    assert_eq!(
        model.set_enosys_above(Arch::X32, Some(1)),
        Err(PolicyError::NotCovered(Arch::X32))
    );
    model.set_compat(Some(Arch::I386)).expect("compat");
    model.set_enosys_above(Arch::I386, Some(400)).expect("ceiling");
    assert_eq!(model.set_compat(None), Err(PolicyError::CeilingSet(Arch::I386)));
    assert!(!model.set_arch(Arch::Aarch64));
    model.set_enosys_above(Arch::I386, None).expect("clear");
    assert_eq!(model.enosys_ceilings().count(), 0);
    model.set_x32(X32::Rules).expect("x32");
    model
        .set_enosys_above(Arch::X32, Some(0x4000_0001))
        .expect("x32 ceiling");
    assert_eq!(
        model.set_x32(X32::BadArch),
        Err(PolicyError::CeilingSet(Arch::X32))
    );
    assert_eq!(
        model.enosys_ceilings().collect::<Vec<_>>(),
        [(Arch::X32, 0x4000_0001)]
    );
}

#[test]
fn a_ceiling_costs_less_than_a_test_in_front_and_keeps_every_allow_cacheable() {
    // A container-like policy: the table's first 300 syscalls allowed, a few with conditions.
    let mut text = String::from("arch x86_64 i386 x32\ndefault errno(1)\nbad-arch kill-thread\n");
    for abi in [Arch::X86_64, Arch::I386] {
        for (name, nr) in abi.syscalls().iter() {
            if nr < 300 && nr % 7 != 3 {
                text.push_str(&format!("allow {abi}:{name}\n"));
            }
        }
    }
    text.push_str("errno(2) x86_64:openat i386:openat if args[2] == 3\n");
    let plain = parse(&text);
    let with = parse(&text.replacen(
        "bad-arch kill-thread\n",
        "bad-arch kill-thread\nenosys-above 299 x32:0x40000223 i386:299\n",
        1,
    ));
    let (plain_insns, with_insns) = (check(&plain), check(&with));
    let plain_program = seccomp_core::bpf::validate(&plain_insns).expect("valid");
    let with_program = seccomp_core::bpf::validate(&with_insns).expect("valid");
    for abi in [Arch::X86_64, Arch::I386, Arch::X32] {
        let (before, after) = (
            Stats::measure(&plain_program, abi),
            Stats::measure(&with_program, abi),
        );
        assert_eq!(after.cacheable, before.cacheable, "{abi}");
        // A test in front of the tree would cost every syscall one instruction, and two on the x86_64
        // arch value with x32 (runc tests bit 30 first). x32, with no rules here, pays those two.
        let bound = if abi == Arch::X32 { 2.0 } else { 0.5 };
        assert!(
            after.executed_max <= before.executed_max + bound as usize + 1,
            "{abi}: {before:?} {after:?}"
        );
        assert!(
            after.executed_mean() <= before.executed_mean() + bound,
            "{abi}: mean {} -> {}",
            before.executed_mean(),
            after.executed_mean()
        );
    }
}

#[test]
fn random_policies_with_ceilings_agree_with_evaluate() {
    let mut rng = Rng::new(0xe205_0005);
    let actions = [
        Action::ALLOW,
        errno(1),
        errno(38),
        Action::KILL_THREAD,
        Action::LOG,
    ];
    for round in 0..60 {
        let (arch, extra) = match round % 4 {
            0 => (Arch::X86_64, "x86_64 i386 x32"),
            1 => (Arch::X86_64, "x86_64"),
            2 => (Arch::Aarch64, "aarch64 arm"),
            _ => (Arch::I386, "i386"),
        };
        let mut text = format!("arch {extra}\ndefault {}\n", actions[rng.below(5) as usize]);
        if round % 8 == 1 {
            text.push_str("x32 bad-arch-except-minus-one\n");
        }
        let table: Vec<u32> = arch.syscalls().iter().map(|(_, nr)| nr).collect();
        let pick = |rng: &mut Rng| table[rng.below(table.len() as u64) as usize];
        let mut ceilings = vec![format!("{}", pick(&mut rng))];
        match extra {
            "x86_64 i386 x32" => {
                ceilings.push(format!("x32:{:#x}", 0x4000_0000 | pick(&mut rng)));
                ceilings.push(format!("i386:{}", rng.below(460)));
            }
            "aarch64 arm" => ceilings.push(format!("arm:{}", [0xf0005, 400, 451][rng.below(3) as usize])),
            _ => {}
        }
        text.push_str(&format!("enosys-above {}\n", ceilings.join(" ")));
        for _ in 0..20 {
            let nr = pick(&mut rng);
            let action = actions[rng.below(5) as usize];
            if rng.below(3) == 0 {
                text.push_str(&format!("{action} {nr} if args[1] == {}\n", rng.below(4)));
            } else {
                text.push_str(&format!("{action} {nr}\n"));
            }
        }
        let policy: Policy<2048, 512> = Policy::parse(&text, arch).unwrap_or_else(|e| panic!("{e}\n{text}"));
        check(&policy);
        assert_eq!(
            Policy::<2048, 512>::parse(&policy.to_string(), arch).expect("reparse"),
            policy
        );
    }
    // x32 as the target: its ceiling covers the numbers with bit 30.
    let x32 = Policy::<64, 64>::parse(
        "arch x32\ndefault errno(1)\nenosys-above 0x40000100\nallow read\n",
        Arch::X32,
    )
    .expect("x32");
    assert_eq!(x32.evaluate(&data(AUDIT_ARCH_X86_64, 0x4000_0101)), ENOSYS);
    assert_eq!(x32.evaluate(&data(AUDIT_ARCH_X86_64, 0x4000_0000)), Action::ALLOW);
    assert_eq!(x32.evaluate(&data(AUDIT_ARCH_X86_64, 5)), Action::KILL_PROCESS);
    check(&x32);
}
