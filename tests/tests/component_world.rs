//! The built component imports nothing outside wit/world.wit, and no socket interface at all.

use std::collections::BTreeSet;
use std::path::Path;

use facturation_pro_emulator::harness::guest_component;
use wasmparser::{Parser, Payload};

fn workspace() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
}

/// `wasi:http/types@0.2.4` → `wasi:http/types@0.2`: patch releases are the toolchain's choice.
fn without_patch(name: &str) -> String {
    match name.rsplit_once('.') {
        Some((head, _)) if name.contains('@') => head.to_string(),
        _ => name.to_string(),
    }
}

/// Names the world imports and exports, read from the WIT text.
fn world(kind: &str) -> BTreeSet<String> {
    let text = std::fs::read_to_string(workspace().join("wit/world.wit")).unwrap();
    text.lines()
        .filter_map(|line| line.trim().strip_prefix(kind)?.strip_suffix(';'))
        .map(|name| without_patch(name.trim()))
        .collect()
}

/// Top-level imports and exports of the component (nested core modules are skipped).
fn component_items(bytes: &[u8]) -> (BTreeSet<String>, BTreeSet<String>) {
    let (mut imports, mut exports) = (BTreeSet::new(), BTreeSet::new());
    let mut depth = 0;
    for payload in Parser::new(0).parse_all(bytes) {
        match payload.expect("a valid component") {
            Payload::Version { .. } => depth += 1,
            Payload::End(_) => depth -= 1,
            Payload::ComponentImportSection(reader) if depth == 1 => {
                imports.extend(
                    reader
                        .into_iter()
                        .map(|i| without_patch(i.unwrap().name.name)),
                );
            }
            Payload::ComponentExportSection(reader) if depth == 1 => {
                exports.extend(
                    reader
                        .into_iter()
                        .map(|e| without_patch(e.unwrap().name.name)),
                );
            }
            _ => {}
        }
    }
    (imports, exports)
}

#[test]
fn the_component_stays_inside_its_world() {
    let path = guest_component();
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let (imports, exports) = component_items(&bytes);

    assert!(
        imports.contains("wasi:http/outgoing-handler@0.2"),
        "decoding found no HTTP import: {imports:?}"
    );
    let allowed = world("import ");
    let outside: Vec<_> = imports.difference(&allowed).collect();
    assert!(
        outside.is_empty(),
        "imports outside wit/world.wit: {outside:?}"
    );
    assert!(
        imports.iter().all(|name| !name.starts_with("wasi:sockets")),
        "{imports:?}"
    );
    assert_eq!(exports, world("export "));
}

#[test]
fn the_world_itself_grants_no_sockets() {
    assert!(
        world("import ")
            .iter()
            .all(|name| !name.starts_with("wasi:sockets"))
    );
}
