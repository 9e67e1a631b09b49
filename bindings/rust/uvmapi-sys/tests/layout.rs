//! The declarations match the C headers: sizes, alignments and offsets as a
//! C compiler lays them out, and the version of the library actually loaded.
use core::mem::{align_of, offset_of, size_of};
use std::ffi::CStr;
use uvmapi_sys::*;

macro_rules! layout {
    ($t:ty, $size:expr, $align:expr) => {
        assert_eq!(size_of::<$t>(), $size, "size_of::<{}>()", stringify!($t));
        assert_eq!(align_of::<$t>(), $align, "align_of::<{}>()", stringify!($t));
    };
}

/// The values a C compiler gives on LP64 (Linux, macOS, the BSDs on 64-bit)
/// and LLP64 (64-bit Windows): pointers and size_t are 8 bytes.
#[cfg(target_pointer_width = "64")]
#[test]
fn sizes_and_alignments_match_c() {
    layout!(uvmapi_hresult, 4, 4);
    layout!(uvmapi_folder, 4, 4);
    layout!(uvmapi_iid, 16, 4);
    layout!(uvmapi_message, 48, 8);
    layout!(uvmapi_message_data, 48, 8);
    layout!(uvmapi_logoff_outcome, 28, 4);
    layout!(uvmapi_runtime_options, 40, 8);
    layout!(uvmapi_store_options, 24, 8);
    layout!(uvmapi_store, 8, 8);
    layout!(uvmapi_store_vtbl, 80, 8);
    layout!(uvmapi_store_provider, 8, 8);
    layout!(uvmapi_store_provider_vtbl, 72, 8);
    layout!(uvmapi_support, 8, 8);
    layout!(uvmapi_support_vtbl, 56, 8);
    layout!(uvmapi_transport, 8, 8);
    layout!(uvmapi_transport_vtbl, 64, 8);
    layout!(uvmapi_xpsupport, 8, 8);
    layout!(uvmapi_xpsupport_vtbl, 80, 8);
    layout!(uvmapi_transport_provider, 24, 8);
    layout!(uvmapi_smtp_options, 104, 8);
    layout!(uvmapi_smtp_stats, 360, 8);
    // Callbacks and vtable slots are plain function pointers (None is NULL).
    layout!(uvmapi_logoff_callback, 8, 8);
    layout!(uvmapi_logoff_done, 8, 8);
    layout!(uvmapi_transport_logon_fn, 8, 8);
}

#[cfg(target_pointer_width = "64")]
#[test]
fn offsets_match_c() {
    assert_eq!(offset_of!(uvmapi_iid, data2), 4);
    assert_eq!(offset_of!(uvmapi_iid, data3), 6);
    assert_eq!(offset_of!(uvmapi_iid, data4), 8);

    assert_eq!(offset_of!(uvmapi_message, sender), 8);
    assert_eq!(offset_of!(uvmapi_message, recipients), 16);
    assert_eq!(offset_of!(uvmapi_message, recipient_count), 24);
    assert_eq!(offset_of!(uvmapi_message, content), 32);
    assert_eq!(offset_of!(uvmapi_message, content_size), 40);

    assert_eq!(offset_of!(uvmapi_logoff_outcome, requested), 4);
    assert_eq!(offset_of!(uvmapi_logoff_outcome, status), 8);
    assert_eq!(offset_of!(uvmapi_logoff_outcome, flags_at_return), 12);
    assert_eq!(offset_of!(uvmapi_logoff_outcome, flags_at_final), 16);
    assert_eq!(offset_of!(uvmapi_logoff_outcome, returned), 20);
    assert_eq!(offset_of!(uvmapi_logoff_outcome, finished), 21);
    assert_eq!(offset_of!(uvmapi_logoff_outcome, released), 22);
    assert_eq!(offset_of!(uvmapi_logoff_outcome, escalated), 23);
    assert_eq!(offset_of!(uvmapi_logoff_outcome, forced), 24);

    assert_eq!(offset_of!(uvmapi_runtime_options, host_loop), 8);
    assert_eq!(offset_of!(uvmapi_runtime_options, drain_deadline_ms), 16);
    assert_eq!(offset_of!(uvmapi_runtime_options, abort_deadline_ms), 20);
    assert_eq!(offset_of!(uvmapi_runtime_options, on_logoff), 24);
    assert_eq!(offset_of!(uvmapi_runtime_options, on_logoff_context), 32);

    assert_eq!(offset_of!(uvmapi_store_options, name), 8);
    assert_eq!(offset_of!(uvmapi_store_options, path), 16);
    assert_eq!(offset_of!(uvmapi_transport_provider, context), 8);
    assert_eq!(offset_of!(uvmapi_transport_provider, TransportLogon), 16);

    assert_eq!(offset_of!(uvmapi_smtp_options, url), 8);
    assert_eq!(offset_of!(uvmapi_smtp_options, security), 16);
    assert_eq!(offset_of!(uvmapi_smtp_options, flags), 20);
    assert_eq!(offset_of!(uvmapi_smtp_options, ca_file), 24);
    assert_eq!(offset_of!(uvmapi_smtp_options, tls_server_name), 32);
    assert_eq!(offset_of!(uvmapi_smtp_options, username), 40);
    assert_eq!(offset_of!(uvmapi_smtp_options, password), 48);
    assert_eq!(offset_of!(uvmapi_smtp_options, auth_mechanism), 56);
    assert_eq!(offset_of!(uvmapi_smtp_options, helo_name), 64);
    assert_eq!(offset_of!(uvmapi_smtp_options, connections), 72);
    assert_eq!(offset_of!(uvmapi_smtp_options, connect_timeout_ms), 76);
    assert_eq!(offset_of!(uvmapi_smtp_options, command_timeout_ms), 80);
    assert_eq!(offset_of!(uvmapi_smtp_options, data_timeout_ms), 84);
    assert_eq!(offset_of!(uvmapi_smtp_options, idle_timeout_ms), 88);
    assert_eq!(offset_of!(uvmapi_smtp_options, retry_initial_ms), 92);
    assert_eq!(offset_of!(uvmapi_smtp_options, retry_max_ms), 96);
    assert_eq!(offset_of!(uvmapi_smtp_stats, connections_opened), 8);
    assert_eq!(offset_of!(uvmapi_smtp_stats, connections_failed), 16);
    assert_eq!(offset_of!(uvmapi_smtp_stats, transactions), 24);
    assert_eq!(offset_of!(uvmapi_smtp_stats, messages_sent), 32);
    assert_eq!(offset_of!(uvmapi_smtp_stats, messages_deferred), 40);
    assert_eq!(offset_of!(uvmapi_smtp_stats, messages_failed), 48);
    assert_eq!(offset_of!(uvmapi_smtp_stats, recipients_accepted), 56);
    assert_eq!(offset_of!(uvmapi_smtp_stats, recipients_deferred), 64);
    assert_eq!(offset_of!(uvmapi_smtp_stats, recipients_refused), 72);
    assert_eq!(offset_of!(uvmapi_smtp_stats, reports_delivered), 80);
    assert_eq!(offset_of!(uvmapi_smtp_stats, cancels), 88);
    assert_eq!(offset_of!(uvmapi_smtp_stats, retries_scheduled), 96);
    assert_eq!(offset_of!(uvmapi_smtp_stats, last_problem), 104);

    // Vtables: the version, then one pointer per slot in the header's order.
    assert_eq!(offset_of!(uvmapi_store_vtbl, QueryInterface), 8);
    assert_eq!(offset_of!(uvmapi_store_vtbl, AddRef), 16);
    assert_eq!(offset_of!(uvmapi_store_vtbl, Release), 24);
    assert_eq!(offset_of!(uvmapi_store_vtbl, StoreLogoff), 32);
    assert_eq!(offset_of!(uvmapi_store_vtbl, SubmitMessage), 40);
    assert_eq!(offset_of!(uvmapi_store_vtbl, GetFolderCount), 48);
    assert_eq!(offset_of!(uvmapi_store_vtbl, ListFolder), 56);
    assert_eq!(offset_of!(uvmapi_store_vtbl, ReadMessage), 64);
    assert_eq!(offset_of!(uvmapi_store_vtbl, GetActivity), 72);

    assert_eq!(offset_of!(uvmapi_store_provider_vtbl, AddMessage), 32);
    assert_eq!(offset_of!(uvmapi_store_provider_vtbl, MoveMessage), 40);
    assert_eq!(offset_of!(uvmapi_store_provider_vtbl, ReadMessage), 48);
    assert_eq!(offset_of!(uvmapi_store_provider_vtbl, ListFolder), 56);
    assert_eq!(offset_of!(uvmapi_store_provider_vtbl, GetFolderCount), 64);

    assert_eq!(offset_of!(uvmapi_support_vtbl, StoreLogoffTransports), 32);
    assert_eq!(offset_of!(uvmapi_support_vtbl, SubmitMessage), 40);
    assert_eq!(offset_of!(uvmapi_support_vtbl, GetActivity), 48);

    assert_eq!(offset_of!(uvmapi_transport_vtbl, SubmitMessage), 32);
    assert_eq!(offset_of!(uvmapi_transport_vtbl, FlushQueues), 40);
    assert_eq!(offset_of!(uvmapi_transport_vtbl, TransportNotify), 48);
    assert_eq!(offset_of!(uvmapi_transport_vtbl, TransportLogoff), 56);

    assert_eq!(offset_of!(uvmapi_xpsupport_vtbl, CompleteSend), 32);
    assert_eq!(offset_of!(uvmapi_xpsupport_vtbl, BeginInbound), 40);
    assert_eq!(offset_of!(uvmapi_xpsupport_vtbl, CommitInbound), 48);
    assert_eq!(offset_of!(uvmapi_xpsupport_vtbl, AbortInbound), 56);
    assert_eq!(offset_of!(uvmapi_xpsupport_vtbl, NotifyReady), 64);
    assert_eq!(offset_of!(uvmapi_xpsupport_vtbl, FlushComplete), 72);
}

/// ILP32: pointers and size_t are 4 bytes.
#[cfg(target_pointer_width = "32")]
#[test]
fn sizes_and_alignments_match_c() {
    layout!(uvmapi_iid, 16, 4);
    layout!(uvmapi_message, 24, 4);
    layout!(uvmapi_logoff_outcome, 28, 4);
    layout!(uvmapi_runtime_options, 24, 4);
    layout!(uvmapi_store_options, 12, 4);
    layout!(uvmapi_store_vtbl, 40, 4);
    layout!(uvmapi_store_provider_vtbl, 36, 4);
    layout!(uvmapi_support_vtbl, 28, 4);
    layout!(uvmapi_transport_vtbl, 32, 4);
    layout!(uvmapi_xpsupport_vtbl, 40, 4);
    layout!(uvmapi_transport_provider, 12, 4);
    layout!(uvmapi_smtp_options, 68, 4);
    // uvmapi_smtp_stats is left out: a uint64_t is 4-aligned in a struct on
    // i386 and 8-aligned on 32-bit ARM, so its size differs between them.
}

#[test]
fn the_loaded_library_is_version_1_0_0() {
    // The header says 1.0.0; so must the library the tests linked.
    assert_eq!(UVMAPI_VERSION_HEX, 0x010000);
    assert_eq!(UVMAPI_VERSION_STRING, "1.0.0");
    let loaded = unsafe { uvmapi_version() };
    assert_eq!(
        loaded, UVMAPI_VERSION_HEX,
        "uvmapi_version() = {loaded:#08x}"
    );
    let text = unsafe { CStr::from_ptr(uvmapi_version_string()) };
    assert_eq!(text.to_str().unwrap(), UVMAPI_VERSION_STRING);
}

#[test]
fn options_init_matches_the_init_constant() {
    let mut options = uvmapi_runtime_options {
        version: 0,
        host_loop: 1 as *mut _,
        drain_deadline_ms: 7,
        abort_deadline_ms: 7,
        on_logoff: None,
        on_logoff_context: 1 as *mut _,
    };
    let hr = unsafe { uvmapi_runtime_options_init(&mut options, UVMAPI_RUNTIME_OPTIONS_VERSION) };
    assert_eq!(hr, S_OK);
    let init = uvmapi_runtime_options::INIT;
    assert_eq!(options.version, init.version);
    assert!(options.host_loop.is_null());
    assert_eq!(options.drain_deadline_ms, 0);
    assert_eq!(options.abort_deadline_ms, 0);
    assert!(options.on_logoff.is_none());
    assert!(options.on_logoff_context.is_null());

    let hr = unsafe { uvmapi_runtime_options_init(&mut options, 99) };
    assert_eq!(hr, MAPI_E_INVALID_PARAMETER);
    assert_eq!(unsafe { uvmapi_last_error() }, MAPI_E_INVALID_PARAMETER);
    let why = unsafe { CStr::from_ptr(uvmapi_last_error_message()) };
    assert!(!why.to_bytes().is_empty());
}

#[test]
fn smtp_options_init_matches_the_init_constant() {
    let mut options = uvmapi_smtp_options {
        version: 0,
        url: 1 as *const _,
        security: 7,
        flags: 7,
        connections: 7,
        retry_max_ms: 7,
        ..uvmapi_smtp_options::INIT
    };
    let hr = unsafe { uvmapi_smtp_options_init(&mut options, UVMAPI_SMTP_OPTIONS_VERSION) };
    assert_eq!(hr, S_OK);
    let init = uvmapi_smtp_options::INIT;
    assert_eq!(options.version, init.version);
    assert!(options.url.is_null());
    assert_eq!(
        (
            options.security,
            options.flags,
            options.connections,
            options.retry_max_ms
        ),
        (0, 0, 0, 0)
    );
    let hr = unsafe { uvmapi_smtp_options_init(&mut options, UVMAPI_SMTP_OPTIONS_VERSION + 1) };
    assert_eq!(hr, MAPI_E_INVALID_PARAMETER);
}

#[test]
fn hresult_names_come_from_the_library() {
    let name = |hr| {
        unsafe { CStr::from_ptr(uvmapi_hresult_name(hr)) }
            .to_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(name(MAPI_E_BUSY), "MAPI_E_BUSY");
    assert_eq!(name(MAPI_E_UNKNOWN_FLAGS), "MAPI_E_UNKNOWN_FLAGS");
    assert_eq!(name(MAPI_E_TIMEOUT), "MAPI_E_TIMEOUT");
    assert_eq!(name(MAPI_E_NETWORK_ERROR), "MAPI_E_NETWORK_ERROR");
    assert_eq!(name(S_OK), "S_OK");
    assert!(UVMAPI_FAILED(MAPI_E_CALL_FAILED));
    assert!(UVMAPI_SUCCEEDED(S_OK));
}

#[test]
fn interface_ids_are_exported() {
    let unknown = unsafe { uvmapi_iid_unknown };
    assert_eq!(
        unknown,
        uvmapi_iid {
            data1: 0,
            data2: 0,
            data3: 0,
            data4: [0xC0, 0, 0, 0, 0, 0, 0, 0x46]
        }
    );
    let ids = unsafe {
        [
            uvmapi_iid_store,
            uvmapi_iid_support,
            uvmapi_iid_store_provider,
            uvmapi_iid_transport,
            uvmapi_iid_xpsupport,
        ]
    };
    for (i, a) in ids.iter().enumerate() {
        assert_ne!(*a, unknown);
        for b in &ids[i + 1..] {
            assert_ne!(a, b, "two interfaces share an id");
        }
    }
}

#[test]
fn a_runtime_can_be_created_and_destroyed_through_the_raw_calls() {
    let mut runtime = core::ptr::null_mut();
    assert_eq!(
        unsafe { uvmapi_runtime_create(core::ptr::null(), &mut runtime) },
        S_OK
    );
    assert!(!runtime.is_null());
    let name = c"raw";
    let options = uvmapi_store_options {
        name: name.as_ptr(),
        ..uvmapi_store_options::INIT
    };
    let mut store = core::ptr::null_mut();
    assert_eq!(
        unsafe { uvmapi_store_open(runtime, &options, &mut store) },
        S_OK
    );
    // Through the vtable, as a COM client would.
    let vtbl = unsafe { &*(*store).lpVtbl };
    assert_eq!(vtbl.version, UVMAPI_STORE_VTBL_VERSION);
    let mut flags = LOGOFF_ORDERLY;
    assert_eq!(
        unsafe { vtbl.StoreLogoff.unwrap()(store, &mut flags) },
        S_OK
    );
    assert_eq!(flags, 0, "an idle store reports no activity");
    let mut outcome = uvmapi_logoff_outcome::default();
    assert_eq!(
        unsafe { uvmapi_store_logoff_wait(store, LOGOFF_ORDERLY, 10_000, &mut outcome) },
        S_OK
    );
    assert_eq!(outcome.flags_at_final, LOGOFF_COMPLETE);
    assert_eq!(
        (outcome.returned, outcome.finished, outcome.released),
        (1, 1, 1)
    );
    assert_eq!(unsafe { uvmapi_runtime_destroy(runtime) }, S_OK);
}
