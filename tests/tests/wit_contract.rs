//! The WIT contract parses, holds every item the interface promises, and
//! documents each one.

use std::collections::BTreeSet;

use portable_streams_tests::build::workspace_root;
use wit_parser::{FunctionKind, Resolve, TypeDefKind, WorldItem};

fn resolve() -> (Resolve, wit_parser::PackageId) {
    let mut resolve = Resolve::default();
    let (pkg, _) = resolve
        .push_dir(workspace_root().join("wit"))
        .expect("wit/ parses with its vendored WASI 0.3 deps");
    (resolve, pkg)
}

fn names<'a>(it: impl Iterator<Item = &'a str>) -> BTreeSet<String> {
    it.map(str::to_owned).collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[test]
fn package_name_and_worlds() {
    let (resolve, pkg) = resolve();
    let package = &resolve.packages[pkg];
    assert_eq!(package.name.to_string(), "portable:streams@0.1.0");
    assert_eq!(
        names(package.worlds.keys().map(String::as_str)),
        set(&["client", "command", "guest", "served"])
    );
    let world = |name: &str| &resolve.worlds[package.worlds[name]];
    let key_names = |items: &wit_parser::IndexMap<wit_parser::WorldKey, WorldItem>| {
        items
            .keys()
            .map(|k| resolve.name_world_key(k))
            .collect::<BTreeSet<_>>()
    };
    assert_eq!(
        key_names(&world("client").imports),
        set(&["portable:streams/streams@0.1.0"])
    );
    assert!(key_names(&world("guest").exports).contains("portable:streams/streams@0.1.0"));
    let guest_imports = key_names(&world("guest").imports);
    for needed in [
        "wasi:sockets/types@0.3.0",
        "wasi:sockets/ip-name-lookup@0.3.0",
        "wasi:clocks/monotonic-clock@0.3.0",
    ] {
        assert!(
            guest_imports.contains(needed),
            "guest world imports {needed}"
        );
    }
    assert!(key_names(&world("served").exports).contains("portable:streams/handler@0.1.0"));
    assert!(key_names(&world("served").imports).contains("portable:streams/streams@0.1.0"));
    let command_imports = key_names(&world("command").imports);
    for needed in [
        "portable:streams/streams@0.1.0",
        "wasi:cli/environment@0.3.0",
        "wasi:cli/stdout@0.3.0",
        "wasi:clocks/monotonic-clock@0.3.0",
        "wasi:sockets/types@0.3.0",
    ] {
        assert!(
            command_imports.contains(needed),
            "command world imports {needed}"
        );
    }
    assert_eq!(
        key_names(&world("command").exports),
        set(&["wasi:cli/run@0.3.0"])
    );
}

/// A component can be built from every world: a module with exactly the
/// world's imports and exports (wit-component's dummy) is encoded into a
/// component and validated, as a language's toolchain would do.
#[test]
fn a_component_builds_from_every_world() {
    let (resolve, pkg) = resolve();
    for (name, &world) in &resolve.packages[pkg].worlds {
        let module = wit_component::dummy_module(
            &resolve,
            world,
            wit_parser::ManglingAndAbi::Legacy(wit_parser::LiftLowerAbi::Sync),
        );
        let mut module = module;
        wit_component::embed_component_metadata(
            &mut module,
            &resolve,
            world,
            wit_component::StringEncoding::UTF8,
        )
        .unwrap_or_else(|e| panic!("embedding {name}: {e:#}"));
        let component = wit_component::ComponentEncoder::default()
            .module(&module)
            .and_then(|encoder| encoder.validate(true).encode())
            .unwrap_or_else(|e| panic!("encoding a component of world {name}: {e:#}"));
        assert!(!component.is_empty(), "{name}");
    }
}

#[test]
fn streams_interface_holds_every_item() {
    let (resolve, pkg) = resolve();
    let iface = &resolve.interfaces[resolve.packages[pkg].interfaces["streams"]];
    let funcs = |prefix: &str| {
        iface
            .functions
            .values()
            .filter(|f| f.name.starts_with(prefix))
            .map(|f| f.item_name().to_owned())
            .collect::<BTreeSet<_>>()
    };
    let free: BTreeSet<String> = iface
        .functions
        .values()
        .filter(|f| {
            matches!(
                f.kind,
                FunctionKind::Freestanding | FunctionKind::AsyncFreestanding
            )
        })
        .map(|f| f.name.clone())
        .collect();
    assert_eq!(
        free,
        set(&[
            "open-connection",
            "start-server",
            "open-unix-connection",
            "start-unix-server",
            "tls-over-memory",
            "wrap"
        ])
    );
    assert_eq!(
        funcs("[method]reader."),
        set(&[
            "read",
            "readline",
            "readexactly",
            "readuntil",
            "at-eof",
            "limit",
            "into-stream"
        ])
    );
    assert_eq!(
        funcs("[method]writer."),
        set(&[
            "write",
            "writelines",
            "write-from",
            "drain",
            "try-drain",
            "can-write-eof",
            "write-eof",
            "close",
            "abort",
            "is-closing",
            "wait-closed",
            "try-wait-closed",
            "get-extra-info",
            "start-tls",
            "set-write-buffer-limits",
            "get-write-buffer-limits",
            "write-buffer-size"
        ])
    );
    assert_eq!(
        funcs("[method]server."),
        set(&[
            "accept",
            "sockets",
            "close",
            "wait-closed",
            "is-serving",
            "start-serving",
            "close-clients",
            "abort-clients"
        ])
    );
    assert_eq!(
        funcs("[method]tls-object."),
        set(&[
            "receive",
            "take-outgoing",
            "is-handshaking",
            "write",
            "close",
            "info"
        ])
    );
    // TLS over memory never waits: every call is synchronous.
    for call in iface
        .functions
        .values()
        .filter(|f| f.name == "tls-over-memory" || f.name.starts_with("[method]tls-object."))
    {
        assert!(!call.kind.is_async(), "{} is synchronous", call.name);
    }
    // Everything that waits is async.
    for waits in [
        "open-connection",
        "start-server",
        "open-unix-connection",
        "start-unix-server",
        "[method]reader.read",
        "[method]reader.readline",
        "[method]reader.readexactly",
        "[method]reader.readuntil",
        "[method]writer.drain",
        "[method]writer.wait-closed",
        "[method]writer.start-tls",
        "[method]server.accept",
        "[method]server.wait-closed",
    ] {
        assert!(iface.functions[waits].kind.is_async(), "{waits} is async");
    }
}

#[test]
fn error_variant_maps_asyncio_exceptions() {
    let (resolve, pkg) = resolve();
    let iface = &resolve.interfaces[resolve.packages[pkg].interfaces["streams"]];
    let TypeDefKind::Variant(v) = &resolve.types[iface.types["error"]].kind else {
        panic!("error is a variant");
    };
    let cases: BTreeSet<String> = v.cases.iter().map(|c| c.name.clone()).collect();
    for case in [
        "incomplete-read",
        "limit-overrun",
        "invalid-argument",
        "connection-refused",
        "connection-reset",
        "connection-aborted",
        "timeout",
        "name-unresolvable",
        "address-in-use",
        "address-not-available",
        "access-denied",
        "closed",
        "busy",
        "unsupported",
        "tls",
        "other",
    ] {
        assert!(cases.contains(case), "error has case {case}");
    }
}

#[test]
fn option_records_carry_every_asyncio_parameter() {
    let (resolve, pkg) = resolve();
    let iface = &resolve.interfaces[resolve.packages[pkg].interfaces["streams"]];
    let fields = |name: &str| -> BTreeSet<String> {
        let TypeDefKind::Record(r) = &resolve.types[iface.types[name]].kind else {
            panic!("{name} is a record");
        };
        r.fields.iter().map(|f| f.name.clone()).collect()
    };
    assert_eq!(
        fields("connect-options"),
        set(&[
            "limit",
            "family",
            "local-address",
            "happy-eyeballs-delay",
            "interleave",
            "tls",
            "connect-timeout"
        ])
    );
    assert_eq!(
        fields("server-options"),
        set(&[
            "limit",
            "family",
            "backlog",
            "reuse-address",
            "reuse-port",
            "keep-alive",
            "start-serving",
            "tls"
        ])
    );
    assert_eq!(
        fields("client-tls-options"),
        set(&[
            "server-name",
            "extra-root-certificates",
            "handshake-timeout",
            "shutdown-timeout",
            "alpn-protocols"
        ])
    );
    assert!(fields("server-tls-options").is_superset(&set(&[
        "certificate-chain",
        "private-key",
        "alpn-protocols"
    ])));
    assert!(fields("unix-server-options").contains("cleanup-socket"));
}

#[test]
fn every_item_is_documented() {
    let (resolve, pkg) = resolve();
    let package = &resolve.packages[pkg];
    let mut undocumented = Vec::new();
    for (name, id) in &package.interfaces {
        let iface = &resolve.interfaces[*id];
        if iface.docs.contents.is_none() {
            undocumented.push(format!("interface {name}"));
        }
        for f in iface.functions.values() {
            if f.docs.contents.is_none() {
                undocumented.push(f.name.clone());
            }
        }
        for (tname, tid) in &iface.types {
            let ty = &resolve.types[*tid];
            if matches!(ty.kind, TypeDefKind::Type(_)) {
                continue; // `use`d from another interface
            }
            if ty.docs.contents.is_none() {
                undocumented.push(format!("type {tname}"));
            }
            match &ty.kind {
                TypeDefKind::Record(r) => undocumented.extend(
                    r.fields
                        .iter()
                        .filter(|f| f.docs.contents.is_none())
                        .map(|f| format!("{tname}.{}", f.name)),
                ),
                TypeDefKind::Variant(v) => undocumented.extend(
                    v.cases
                        .iter()
                        .filter(|c| c.docs.contents.is_none())
                        .map(|c| format!("{tname}.{}", c.name)),
                ),
                TypeDefKind::Enum(e) => undocumented.extend(
                    e.cases
                        .iter()
                        .filter(|c| c.docs.contents.is_none())
                        .map(|c| format!("{tname}.{}", c.name)),
                ),
                _ => {}
            }
        }
    }
    for id in package.worlds.values() {
        let world = &resolve.worlds[*id];
        if world.docs.contents.is_none() {
            undocumented.push(format!("world {}", world.name));
        }
    }
    assert!(undocumented.is_empty(), "undocumented: {undocumented:?}");
}

/// The package encodes as a binary WIT package (what `wasm-tools component
/// wit wit/ --wasm` makes, for projects that depend on it) and decodes back
/// to the same worlds and interfaces.
#[test]
fn the_package_builds_into_a_binary_wit_package() {
    let (resolve, pkg) = resolve();
    let bytes = wit_component::encode(&resolve, pkg).expect("encode the package");
    assert_eq!(&bytes[..4], b"\0asm");
    let decoded = match wit_component::decode(&bytes).expect("decode the package") {
        wit_component::DecodedWasm::WitPackage(resolve, pkg) => (resolve, pkg),
        wit_component::DecodedWasm::Component(..) => panic!("a component, not a WIT package"),
    };
    let (decoded_resolve, decoded_pkg) = decoded;
    let original = &resolve.packages[pkg];
    let round_trip = &decoded_resolve.packages[decoded_pkg];
    assert_eq!(round_trip.name, original.name);
    assert_eq!(
        names(round_trip.worlds.keys().map(String::as_str)),
        names(original.worlds.keys().map(String::as_str))
    );
    assert_eq!(
        names(round_trip.interfaces.keys().map(String::as_str)),
        names(original.interfaces.keys().map(String::as_str))
    );
}
