//! Probing the running kernel: the answers must agree with what actually installs, with core's ABI, and
//! with the kernel release; and probing must not filter the caller.

mod common;

use common::{Outcome, Shared, filters};
use seccomp_core::abi;
use seccomp_core::action::Action;
use seccomp_sys::features::ACTIONS;
use seccomp_sys::probe::{self, ProbeError, Support};
use seccomp_sys::{Errno, FilterFlags, InstallError, install, set_no_new_privs};

/// The `Seccomp:` mode of this process from /proc/self/status.
fn own_seccomp_mode() -> String {
    let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("Seccomp:"))
        .map(|mode| mode.trim().to_owned())
        .expect("Seccomp: line")
}

#[test]
fn get_notif_sizes_equals_the_sizes_of_cores_structs() {
    let _serial = common::serial();
    assert_eq!(probe::notif_sizes(), Ok(abi::NOTIF_SIZES));
}

#[test]
fn every_action_of_linux_5_0_is_available_and_an_unknown_one_is_not() {
    let _serial = common::serial();
    for (name, action) in ACTIONS {
        assert_eq!(probe::action_available(action), Support::Yes, "{name}");
    }
    assert_eq!(probe::action_available(Action(0x0001_0000)), Support::No);
}

#[test]
fn each_known_flag_installs_and_each_unknown_bit_is_einval() {
    let _serial = common::serial();
    let known = probe::known_filter_flags().expect("probe flags");
    let base = FilterFlags::TSYNC | FilterFlags::LOG | FilterFlags::SPEC_ALLOW | FilterFlags::NEW_LISTENER;
    assert!(known.contains(base), "Linux 5.0 flags missing from {known}");
    let flags: Vec<FilterFlags> = (0..32)
        .map(|bit| FilterFlags::from_bits_retain(1 << bit))
        .collect();
    let program = filters::valid(&filters::ALLOW_ALL);
    let shared = Shared::new();
    // SAFETY: the child only makes raw syscalls and writes the shared page. Each install happens in a
    // grandchild so that listeners do not collide (one listener per chain).
    let child = unsafe {
        common::spawn(|| {
            if set_no_new_privs().is_err() {
                return 2;
            }
            for (index, &flag) in flags.iter().enumerate() {
                let mut flag = flag;
                if flag.contains(FilterFlags::WAIT_KILLABLE_RECV) {
                    flag |= FilterFlags::NEW_LISTENER;
                }
                // SAFETY: the grandchild only makes raw syscalls and writes the shared page.
                let pid = match seccomp_sys::process::fork() {
                    Ok(seccomp_sys::process::Fork::Child) => {
                        let code = match install(&program, flag) {
                            Ok(_) => 1,
                            Err(InstallError::Invalid) => 2,
                            Err(_) => 3,
                        };
                        shared.set(index, code);
                        seccomp_sys::process::exit_group(0)
                    }
                    Ok(seccomp_sys::process::Fork::Parent(pid)) => pid,
                    Err(_) => return 4,
                };
                let _ = rustix::process::waitpid(Some(pid), rustix::process::WaitOptions::empty());
            }
            0
        })
    };
    assert_eq!(child.wait(), Outcome::Exited(0));
    for (index, flag) in flags.iter().enumerate() {
        let expected = if known.contains(*flag) { 1 } else { 2 };
        assert_eq!(
            shared.get(index),
            expected,
            "flag {flag}: probe says known = {}",
            known.contains(*flag)
        );
    }
}

#[test]
fn flag_combinations_are_probed_as_the_kernel_checks_them() {
    let _serial = common::serial();
    let accepted = probe::filter_flags_accepted;
    assert_eq!(
        accepted(FilterFlags::TSYNC | FilterFlags::NEW_LISTENER),
        Support::No
    );
    assert_eq!(accepted(FilterFlags::TSYNC), Support::Yes);
    if probe::filter_flag_known(FilterFlags::WAIT_KILLABLE_RECV) == Support::Yes {
        assert_eq!(
            accepted(FilterFlags::WAIT_KILLABLE_RECV),
            Support::No,
            "needs NEW_LISTENER"
        );
    }
    if probe::filter_flag_known(FilterFlags::TSYNC_ESRCH) == Support::Yes {
        let all = FilterFlags::TSYNC | FilterFlags::NEW_LISTENER | FilterFlags::TSYNC_ESRCH;
        assert_eq!(accepted(all), Support::Yes);
    }
}

#[test]
fn features_agree_with_the_kernel_release() {
    let _serial = common::serial();
    let features = common::features();
    let Some(version) = features.release.version() else {
        skip!(
            "features_agree_with_the_kernel_release",
            "unparsable release {}",
            features.release
        );
    };
    // A release at least this new must have the feature (backports can only add).
    let ioctls = features.listener_ioctls.expect("ioctl probe");
    let checks = [
        (
            (5, 7, 0),
            features.knows_flags(FilterFlags::TSYNC_ESRCH),
            "TSYNC_ESRCH",
        ),
        (
            (5, 19, 0),
            features.knows_flags(FilterFlags::WAIT_KILLABLE_RECV),
            "WAIT_KILLABLE_RECV",
        ),
        (
            (5, 0, 0),
            ioctls.id_valid_legacy.is_yes(),
            "ID_VALID (5.0 number)",
        ),
        ((5, 9, 0), ioctls.id_valid.is_yes(), "ID_VALID"),
        ((5, 9, 0), ioctls.addfd.is_yes(), "ADDFD"),
        ((5, 14, 0), ioctls.addfd_send.is_yes(), "ADDFD_FLAG_SEND"),
        ((6, 6, 0), ioctls.set_flags_sync_wake_up.is_yes(), "SET_FLAGS"),
    ];
    for (since, present, what) in checks {
        if version >= since {
            assert!(
                present,
                "{what} (since {since:?}) missing on {}",
                features.release
            );
        }
    }
    // ADDFD with SEND needs ADDFD; the new ID_VALID number came with ADDFD.
    assert!(!ioctls.addfd_send.is_yes() || ioctls.addfd.is_yes());
    assert_eq!(ioctls.id_valid.is_yes(), ioctls.addfd.is_yes());
}

#[test]
fn probing_installs_nothing_in_the_caller() {
    let _serial = common::serial();
    let before = own_seccomp_mode();
    let features = seccomp_sys::Features::probe();
    assert_eq!(
        own_seccomp_mode(),
        before,
        "probing changed this process's seccomp mode"
    );
    let text = features.to_string();
    for expected in [
        format!("kernel: {}", features.release),
        "actions: kill_process yes".to_owned(),
        "user_notif yes".to_owned(),
        "filter flags: tsync|log|spec_allow|new_listener".to_owned(),
        "notification sizes: seccomp_notif 80, seccomp_notif_resp 24, seccomp_data 64 (as this build expects)"
            .to_owned(),
        "listener ioctls: id_valid ".to_owned(),
    ] {
        assert!(text.contains(&expected), "missing {expected:?} in:\n{text}");
    }
    eprintln!("{text}");
}

#[test]
fn probing_listener_ioctls_from_a_process_with_a_listener_reports_ebusy() {
    let _serial = common::serial();
    let program = filters::valid(&filters::ALLOW_ALL);
    let shared = Shared::new();
    // SAFETY: the child only makes raw syscalls (listener_ioctls forks, reads a pipe and waits, all raw).
    let child = unsafe {
        common::spawn(|| {
            if set_no_new_privs().is_err() {
                return 2;
            }
            let _listener = match install(&program, FilterFlags::NEW_LISTENER) {
                Ok(Some(fd)) => fd,
                _ => return 3,
            };
            let result = probe::listener_ioctls();
            shared.set(0, i64::from(result == Err(ProbeError::NoListener(Errno::BUSY))));
            0
        })
    };
    assert_eq!(child.wait(), Outcome::Exited(0));
    assert_eq!(shared.get(0), 1);
}
