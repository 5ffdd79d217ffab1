//! The action-cache analysis (`seccomp_is_const_allow`): what makes a syscall number cacheable, how a stack
//! combines, and that a cached answer is always the emulator's answer, whatever the arguments.

use seccomp_core::Rng;
use seccomp_core::abi::{self, AUDIT_ARCH_I386, AUDIT_ARCH_X86_64, SeccompData, SockFilter, X32_SYSCALL_BIT};
use seccomp_core::arch::Arch;
use seccomp_core::bpf::cache::{Bitmap, X86_64_UPROBE_EXEMPT, is_const_allow};
use seccomp_core::bpf::generate;
use seccomp_core::bpf::{Validated, assemble, emulate, validate};

/// Assembles and validates; the instructions are leaked so the program can be kept (tests only).
fn program(source: &str) -> Validated<'static> {
    let mut out = vec![SockFilter::default(); 64];
    let len = assemble(source, &mut out).unwrap_or_else(|e| panic!("{e}")).len();
    out.truncate(len);
    validate(Vec::leak(out)).unwrap_or_else(|e| panic!("{e}"))
}

/// A typical allow-list: arch check, then `read` (0) and `write` (1) allowed, `close` (3) logged.
fn allow_list() -> Validated<'static> {
    program(
        "       ld [arch]
                jeq #0xc000003e, native, kill
        native: ld [nr]
                jeq #0, allow, next
        next:   jeq #1, allow, other
        other:  jeq #3, log, deny
        allow:  ret ALLOW
        log:    ret LOG
        deny:   ret ERRNO(1)
        kill:   ret KILL_PROCESS",
    )
}

#[test]
fn only_paths_ending_in_exactly_allow_are_cacheable() {
    let p = allow_list();
    assert!(is_const_allow(&p, AUDIT_ARCH_X86_64, 0));
    assert!(is_const_allow(&p, AUDIT_ARCH_X86_64, 1));
    assert!(!is_const_allow(&p, AUDIT_ARCH_X86_64, 3), "LOG is not ALLOW");
    assert!(!is_const_allow(&p, AUDIT_ARCH_X86_64, 2), "ERRNO");
    assert!(!is_const_allow(&p, AUDIT_ARCH_I386, 0), "another arch is killed");
    let with_data = program("ret #0x7fff0001");
    assert!(
        !is_const_allow(&with_data, AUDIT_ARCH_X86_64, 0),
        "ALLOW with data bits is not exactly ALLOW"
    );
}

#[test]
fn any_argument_or_instruction_pointer_load_on_the_path_makes_it_uncacheable() {
    let p = program(
        "ld [nr]
         jeq #1, args, plain
         args: ld [args[0].lo]
         jeq #0, allow, allow
         plain: jeq #2, ip, allow
         ip: ld [ip.lo]
         ret ALLOW
         allow: ret ALLOW",
    );
    assert!(!is_const_allow(&p, AUDIT_ARCH_X86_64, 1), "loads an argument");
    assert!(
        !is_const_allow(&p, AUDIT_ARCH_X86_64, 2),
        "loads the instruction pointer"
    );
    assert!(
        is_const_allow(&p, AUDIT_ARCH_X86_64, 5),
        "the path of 5 loads only nr"
    );
}

#[test]
fn the_walk_understands_ja_and_and_k_and_nothing_else() {
    let masked = program("ld [nr]\nand #0xff00\njeq #0x100, 4, 3\nret ERRNO(1)\nret ALLOW");
    assert!(!is_const_allow(&masked, AUDIT_ARCH_X86_64, 0x100 - 1));
    assert!(
        is_const_allow(&masked, AUDIT_ARCH_X86_64, 0x1ff),
        "0x1ff & 0xff00 == 0x100"
    );
    let jumps = program("ld [arch]\nja 3\nret KILL\njset #0x80000000, 4, 5\nret KILL\nret ALLOW");
    assert!(
        !is_const_allow(&jumps, AUDIT_ARCH_X86_64, 0),
        "the 64-bit arch bit is set"
    );
    assert!(is_const_allow(&jumps, AUDIT_ARCH_I386, 0));
    for other in [
        "ld #0\nret ALLOW",
        "tax\nret ALLOW",
        "ld [nr]\nadd #1\nret ALLOW",
        "ld [nr]\njeq x, 2, 2\nret ALLOW",
        "ld #0x7fff0000\nret a",
        "ld len\nret ALLOW",
    ] {
        assert!(!is_const_allow(&program(other), AUDIT_ARCH_X86_64, 0), "{other}");
    }
    // The register starts at 0, and `jge`/`jgt` compare unsigned.
    let zero = program("jeq #0, 2, 1\nret ERRNO(1)\nret ALLOW");
    assert!(is_const_allow(&zero, AUDIT_ARCH_X86_64, 7));
    let unsigned = program("ld [nr]\njgt #5, 3, 2\nret ERRNO(1)\nret ALLOW");
    assert!(is_const_allow(&unsigned, AUDIT_ARCH_X86_64, -1), "0xffffffff > 5");
    assert!(!is_const_allow(&unsigned, AUDIT_ARCH_X86_64, 3));
}

#[test]
fn the_stack_caches_only_what_every_filter_always_allows() {
    let a = program("ld [nr]\njgt #1, deny, allow\nallow: ret ALLOW\ndeny: ret ERRNO(1)"); // allows 0, 1
    let b =
        program("ld [nr]\njge #1, hi, deny\nhi: jgt #2, deny, allow\nallow: ret ALLOW\ndeny: ret ERRNO(1)"); // 1, 2
    let bitmap = Bitmap::new(AUDIT_ARCH_X86_64, 400);
    assert_eq!(bitmap.cached(&[a], 0..5).collect::<Vec<_>>(), [0, 1]);
    assert_eq!(bitmap.cached(&[b], 0..5).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(bitmap.cached(&[b, a], 0..5).collect::<Vec<_>>(), [1]);
    assert_eq!(bitmap.count_cached(&[a, b]), 1);
    assert_eq!(bitmap.count_cached(&[]), 0, "no filter, no cache");
}

#[test]
fn x32_negative_and_out_of_range_numbers_are_never_cached() {
    let allow_all = program("ret ALLOW");
    let bitmap = Bitmap::for_arch(Arch::X86_64).unwrap();
    assert!(bitmap.is_cached(&[allow_all], 0));
    assert!(bitmap.is_cached(&[allow_all], bitmap.len as i32 - 1));
    assert!(!bitmap.is_cached(&[allow_all], bitmap.len as i32));
    assert!(!bitmap.is_cached(&[allow_all], (X32_SYSCALL_BIT | 1) as i32));
    assert!(!bitmap.is_cached(&[allow_all], -1));
    assert!(
        Bitmap::for_arch(Arch::X32).is_none(),
        "x32 has no bitmap of its own"
    );
    assert_eq!(
        Bitmap::for_arch(Arch::I386).map(|b| b.arch),
        Some(AUDIT_ARCH_I386)
    );
}

#[test]
fn arm_compat_bitmap_stops_below_the_arm_private_calls() {
    let allow_all = program("ret ALLOW");
    let Some(bitmap) = Bitmap::for_arch(Arch::Arm) else {
        panic!("arm has a bitmap")
    };
    assert_eq!(bitmap.arch, seccomp_core::abi::AUDIT_ARCH_ARM);
    assert_eq!(bitmap.len, 472, "0..=rseq_slice_yield");
    assert!(bitmap.is_cached(&[allow_all], 451));
    assert!(
        !bitmap.is_cached(&[allow_all], 0x0f_0002),
        "cacheflush always runs the filter"
    );
    let machines: Vec<u32> = Bitmap::for_machine(Arch::Aarch64).map(|b| b.arch).collect();
    assert_eq!(
        machines,
        [
            seccomp_core::abi::AUDIT_ARCH_AARCH64,
            seccomp_core::abi::AUDIT_ARCH_ARM
        ]
    );
    let machines: Vec<u32> = Bitmap::for_machine(Arch::X86_64).map(|b| b.arch).collect();
    assert_eq!(machines, [AUDIT_ARCH_X86_64, AUDIT_ARCH_I386]);
}

#[test]
fn uprobe_syscalls_are_exempt_on_x86_64_whatever_the_filter_says() {
    let deny_all = program("ret KILL_PROCESS");
    let native = Bitmap::new(AUDIT_ARCH_X86_64, 400).with_exempt(&X86_64_UPROBE_EXEMPT);
    assert_eq!(native.cached(&[deny_all], 0..400).collect::<Vec<_>>(), [335, 336]);
    let compat = Bitmap::new(AUDIT_ARCH_I386, 400);
    assert_eq!(compat.count_cached(&[deny_all]), 0);
    assert!(
        !is_const_allow(&deny_all, AUDIT_ARCH_X86_64, 335),
        "the walk itself has no exception"
    );
}

/// Soundness: whenever the walk says "always ALLOW", the emulator answers exactly ALLOW for any arguments
/// and instruction pointer; and a program that only looks at nr and arch and answers ALLOW is cacheable
/// when it uses only the instructions the walk understands.
#[test]
fn a_cacheable_number_is_allowed_by_the_emulator_whatever_the_arguments() {
    let mut rng = Rng::new(77);
    let mut buf = vec![SockFilter::default(); 600];
    let mut cacheable = 0;
    for _ in 0..4000 {
        let len = generate::valid(&mut rng, &mut buf);
        let program = validate(&buf[..len]).unwrap();
        for _ in 0..8 {
            let nr = rng.below(16) as i32;
            let arch = [AUDIT_ARCH_X86_64, AUDIT_ARCH_I386][rng.below(2) as usize];
            if !is_const_allow(&program, arch, nr) {
                continue;
            }
            cacheable += 1;
            for _ in 0..4 {
                let data = SeccompData {
                    nr,
                    arch,
                    instruction_pointer: rng.next_u64(),
                    args: [0; 6].map(|_: u64| rng.next_u64()),
                };
                assert_eq!(
                    emulate(&program, &data).action.raw(),
                    abi::RET_ALLOW,
                    "{:?}",
                    &buf[..len]
                );
            }
        }
    }
    assert!(
        cacheable > 100,
        "the generator produced cacheable cases ({cacheable})"
    );
}
