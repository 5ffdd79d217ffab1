//! Tests of the errno name table: every value against linux-raw-sys (generated from the kernel's
//! asm-generic errno headers), both lookups, and the aliases accepted when parsing.

use seccomp_core::errno;

#[test]
fn every_errno_agrees_with_linux_raw_sys() {
    use linux_raw_sys::errno::*;
    // Every errno constant of linux-raw-sys, aliases (EWOULDBLOCK, EDEADLOCK) included.
    let expected = [
        ("EPERM", EPERM),
        ("ENOENT", ENOENT),
        ("ESRCH", ESRCH),
        ("EINTR", EINTR),
        ("EIO", EIO),
        ("ENXIO", ENXIO),
        ("E2BIG", E2BIG),
        ("ENOEXEC", ENOEXEC),
        ("EBADF", EBADF),
        ("ECHILD", ECHILD),
        ("EAGAIN", EAGAIN),
        ("ENOMEM", ENOMEM),
        ("EACCES", EACCES),
        ("EFAULT", EFAULT),
        ("ENOTBLK", ENOTBLK),
        ("EBUSY", EBUSY),
        ("EEXIST", EEXIST),
        ("EXDEV", EXDEV),
        ("ENODEV", ENODEV),
        ("ENOTDIR", ENOTDIR),
        ("EISDIR", EISDIR),
        ("EINVAL", EINVAL),
        ("ENFILE", ENFILE),
        ("EMFILE", EMFILE),
        ("ENOTTY", ENOTTY),
        ("ETXTBSY", ETXTBSY),
        ("EFBIG", EFBIG),
        ("ENOSPC", ENOSPC),
        ("ESPIPE", ESPIPE),
        ("EROFS", EROFS),
        ("EMLINK", EMLINK),
        ("EPIPE", EPIPE),
        ("EDOM", EDOM),
        ("ERANGE", ERANGE),
        ("EDEADLK", EDEADLK),
        ("ENAMETOOLONG", ENAMETOOLONG),
        ("ENOLCK", ENOLCK),
        ("ENOSYS", ENOSYS),
        ("ENOTEMPTY", ENOTEMPTY),
        ("ELOOP", ELOOP),
        ("EWOULDBLOCK", EWOULDBLOCK),
        ("ENOMSG", ENOMSG),
        ("EIDRM", EIDRM),
        ("ECHRNG", ECHRNG),
        ("EL2NSYNC", EL2NSYNC),
        ("EL3HLT", EL3HLT),
        ("EL3RST", EL3RST),
        ("ELNRNG", ELNRNG),
        ("EUNATCH", EUNATCH),
        ("ENOCSI", ENOCSI),
        ("EL2HLT", EL2HLT),
        ("EBADE", EBADE),
        ("EBADR", EBADR),
        ("EXFULL", EXFULL),
        ("ENOANO", ENOANO),
        ("EBADRQC", EBADRQC),
        ("EBADSLT", EBADSLT),
        ("EDEADLOCK", EDEADLOCK),
        ("EBFONT", EBFONT),
        ("ENOSTR", ENOSTR),
        ("ENODATA", ENODATA),
        ("ETIME", ETIME),
        ("ENOSR", ENOSR),
        ("ENONET", ENONET),
        ("ENOPKG", ENOPKG),
        ("EREMOTE", EREMOTE),
        ("ENOLINK", ENOLINK),
        ("EADV", EADV),
        ("ESRMNT", ESRMNT),
        ("ECOMM", ECOMM),
        ("EPROTO", EPROTO),
        ("EMULTIHOP", EMULTIHOP),
        ("EDOTDOT", EDOTDOT),
        ("EBADMSG", EBADMSG),
        ("EOVERFLOW", EOVERFLOW),
        ("ENOTUNIQ", ENOTUNIQ),
        ("EBADFD", EBADFD),
        ("EREMCHG", EREMCHG),
        ("ELIBACC", ELIBACC),
        ("ELIBBAD", ELIBBAD),
        ("ELIBSCN", ELIBSCN),
        ("ELIBMAX", ELIBMAX),
        ("ELIBEXEC", ELIBEXEC),
        ("EILSEQ", EILSEQ),
        ("ERESTART", ERESTART),
        ("ESTRPIPE", ESTRPIPE),
        ("EUSERS", EUSERS),
        ("ENOTSOCK", ENOTSOCK),
        ("EDESTADDRREQ", EDESTADDRREQ),
        ("EMSGSIZE", EMSGSIZE),
        ("EPROTOTYPE", EPROTOTYPE),
        ("ENOPROTOOPT", ENOPROTOOPT),
        ("EPROTONOSUPPORT", EPROTONOSUPPORT),
        ("ESOCKTNOSUPPORT", ESOCKTNOSUPPORT),
        ("EOPNOTSUPP", EOPNOTSUPP),
        ("EPFNOSUPPORT", EPFNOSUPPORT),
        ("EAFNOSUPPORT", EAFNOSUPPORT),
        ("EADDRINUSE", EADDRINUSE),
        ("EADDRNOTAVAIL", EADDRNOTAVAIL),
        ("ENETDOWN", ENETDOWN),
        ("ENETUNREACH", ENETUNREACH),
        ("ENETRESET", ENETRESET),
        ("ECONNABORTED", ECONNABORTED),
        ("ECONNRESET", ECONNRESET),
        ("ENOBUFS", ENOBUFS),
        ("EISCONN", EISCONN),
        ("ENOTCONN", ENOTCONN),
        ("ESHUTDOWN", ESHUTDOWN),
        ("ETOOMANYREFS", ETOOMANYREFS),
        ("ETIMEDOUT", ETIMEDOUT),
        ("ECONNREFUSED", ECONNREFUSED),
        ("EHOSTDOWN", EHOSTDOWN),
        ("EHOSTUNREACH", EHOSTUNREACH),
        ("EALREADY", EALREADY),
        ("EINPROGRESS", EINPROGRESS),
        ("ESTALE", ESTALE),
        ("EUCLEAN", EUCLEAN),
        ("ENOTNAM", ENOTNAM),
        ("ENAVAIL", ENAVAIL),
        ("EISNAM", EISNAM),
        ("EREMOTEIO", EREMOTEIO),
        ("EDQUOT", EDQUOT),
        ("ENOMEDIUM", ENOMEDIUM),
        ("EMEDIUMTYPE", EMEDIUMTYPE),
        ("ECANCELED", ECANCELED),
        ("ENOKEY", ENOKEY),
        ("EKEYEXPIRED", EKEYEXPIRED),
        ("EKEYREVOKED", EKEYREVOKED),
        ("EKEYREJECTED", EKEYREJECTED),
        ("EOWNERDEAD", EOWNERDEAD),
        ("ENOTRECOVERABLE", ENOTRECOVERABLE),
        ("ERFKILL", ERFKILL),
        ("EHWPOISON", EHWPOISON),
    ];
    for (name, value) in expected {
        let Ok(value) = u16::try_from(value) else {
            panic!("{name} = {value} does not fit u16")
        };
        assert_eq!(errno::from_name(name), Some(value), "{name}");
        let primary = errno::name(value);
        assert!(primary.is_some(), "{name}: no name for {value}");
        // The primary name parses back to the same value.
        assert_eq!(primary.and_then(errno::from_name), Some(value), "{name}");
    }
    // Every named value appears in linux-raw-sys under its primary name.
    for (name, value) in errno::iter() {
        assert!(expected.contains(&(name, u32::from(value))), "{name} = {value}");
    }
    assert_eq!(
        errno::iter().count(),
        expected.len() - 2,
        "all but the two aliases are primary names"
    );
}

#[test]
fn name_gives_the_primary_name() {
    assert_eq!(errno::name(1), Some("EPERM"));
    assert_eq!(errno::name(11), Some("EAGAIN"));
    assert_eq!(errno::name(35), Some("EDEADLK"));
    assert_eq!(errno::name(38), Some("ENOSYS"));
    assert_eq!(errno::name(95), Some("EOPNOTSUPP"));
    assert_eq!(errno::name(errno::MAX), Some("EHWPOISON"));
}

#[test]
fn numbers_without_a_name_give_none() {
    for value in [0, 41, 58, errno::MAX + 1, 512, 4095, u16::MAX] {
        assert_eq!(errno::name(value), None, "{value}");
    }
}

#[test]
fn aliases_parse_to_the_primary_value() {
    assert_eq!(errno::from_name("EWOULDBLOCK"), errno::from_name("EAGAIN"));
    assert_eq!(errno::from_name("EDEADLOCK"), errno::from_name("EDEADLK"));
    assert_eq!(errno::from_name("ENOTSUP"), Some(95));
    assert_eq!(errno::from_name("EOPNOTSUPP"), Some(95));
}

#[test]
fn unknown_names_give_none() {
    for name in [
        "", "E", "eperm", "EPERM ", "PERM", "EFOO", "ENOTSUPP", "ZZZZ", "0", "1",
    ] {
        assert_eq!(errno::from_name(name), None, "{name:?}");
    }
}

#[test]
fn iteration_is_in_number_order() {
    let values: Vec<u16> = errno::iter().map(|(_, value)| value).collect();
    assert!(values.windows(2).all(|pair| pair[0] < pair[1]));
    assert_eq!(values.first(), Some(&1));
    assert_eq!(values.last(), Some(&errno::MAX));
}
