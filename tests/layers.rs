//! ARCHITECTURE.md's first rule, checked: the core does no I/O.
//!
//! Every file of a core module (the list below, as ARCHITECTURE.md draws it), except those the
//! module declares behind a feature that brings I/O (`store`, `server`, `redis`, `python`, a
//! database), must not name a file, socket, process, environment, runtime, driver, HTTP or
//! Python crate, nor a module above the core (the store, the server, the settings, the
//! binding). Its unit tests may (they read fixtures). `scripts/test` checks the other half,
//! the dependency tree of `--no-default-features`.

use std::path::{Path, PathBuf};

/// The core's modules, as ARCHITECTURE.md lists them.
const CORE: &[&str] = &[
    "src/base36.rs",
    "src/clock.rs",
    "src/crypto.rs",
    "src/csrf.rs",
    "src/drf",
    "src/hashers",
    "src/hosts.rs",
    "src/knox",
    "src/responses.rs",
    "src/sessions",
    "src/signing",
    "src/simplejwt",
    "src/tokens",
    "src/urls.rs",
    "src/user.rs",
    "src/version.rs",
    "src/wire",
];

/// The features that bring I/O: a module declared behind one of them is not core.
const IO_FEATURES: &[&str] = &[
    "store", "server", "redis", "python", "sqlite", "postgres", "mysql",
];

/// What a core file must not name (outside its tests).
const IO_NAMES: &[&str] = &[
    "std::fs",
    "std::net",
    "std::process",
    "std::env",
    "std::io::stdin",
    "tokio",
    "rusqlite",
    "tokio_postgres",
    "mysql_async",
    "redis::",
    "pyo3",
    "axum",
    "hyper",
    "tracing::",
    "crate::store",
    "crate::server",
    "crate::settings",
    "crate::python",
    "crate::auth",
    "crate::axes",
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The `.rs` files under `path` (or `path` itself).
fn files(path: &Path) -> Vec<PathBuf> {
    if path.is_file() {
        return vec![path.to_owned()];
    }
    let mut found = Vec::new();
    for entry in std::fs::read_dir(path).expect("a core folder") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            found.extend(files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
    found.sort();
    found
}

/// The file that declares `file` as a module (`mod.rs`, `lib.rs`, or the folder's namesake).
fn parent_of(file: &Path) -> Option<PathBuf> {
    let dir = file.parent()?;
    let declared_in_folder = file.file_name()? == "mod.rs";
    let dir = if declared_in_folder {
        dir.parent()?
    } else {
        dir
    };
    if dir == root().join("src") {
        return Some(dir.join("lib.rs"));
    }
    let own = dir.join("mod.rs");
    if own.exists() {
        return Some(own);
    }
    Some(dir.with_extension("rs"))
}

/// The module name `file` is declared under.
fn module_name(file: &Path) -> String {
    let name = if file.file_name().is_some_and(|n| n == "mod.rs") {
        file.parent().and_then(Path::file_name)
    } else {
        file.file_stem()
    };
    name.map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Whether `file`, or a module above it, is declared behind an I/O feature.
fn behind_io_feature(file: &Path) -> bool {
    let mut file = file.to_owned();
    while let Some(parent) = parent_of(&file) {
        let Ok(text) = std::fs::read_to_string(&parent) else {
            return false;
        };
        let name = module_name(&file);
        let lines: Vec<&str> = text.lines().collect();
        let declared = lines.iter().position(|line| {
            let line = line.trim();
            line == format!("mod {name};")
                || line == format!("pub mod {name};")
                || line.starts_with(&format!("pub(crate) mod {name};"))
        });
        if let Some(at) = declared {
            let gated = lines[..at]
                .iter()
                .rev()
                .take_while(|l| l.trim().starts_with("#["))
                .any(|attr| {
                    IO_FEATURES
                        .iter()
                        .any(|f| attr.contains(&format!("feature = \"{f}\"")))
                        && !attr.contains("not(")
                });
            if gated {
                return true;
            }
        }
        if parent.ends_with("lib.rs") {
            return false;
        }
        file = parent;
    }
    false
}

/// The text of `file` without its `#[cfg(test)]` module and without the items gated on an I/O
/// feature (an attribute line, then the item up to its closing brace at the same indent).
fn code_of(text: &str) -> String {
    let mut kept = Vec::new();
    let mut skip_until: Option<String> = None;
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        if let Some(end) = &skip_until {
            if line.starts_with(end.as_str()) && line.trim() == "}" {
                skip_until = None;
            }
            continue;
        }
        let trimmed = line.trim_start();
        let gated = trimmed.starts_with("#[cfg(test)]")
            || (trimmed.starts_with("#[cfg")
                && !trimmed.contains("not(")
                && IO_FEATURES
                    .iter()
                    .any(|f| trimmed.contains(&format!("feature = \"{f}\""))));
        if gated {
            let indent = &line[..line.len() - trimmed.len()];
            // A one-line item (`use …;`, `mod x;`) ends on its own line.
            while let Some(next) = lines.peek() {
                if next.trim_start().starts_with("#[") {
                    lines.next();
                } else {
                    break;
                }
            }
            match lines.next() {
                Some(item) if item.trim_end().ends_with(';') => {}
                Some(item) if item.trim_end().ends_with('}') => {}
                Some(_) => skip_until = Some(format!("{indent}}}")),
                None => {}
            }
            continue;
        }
        kept.push(line);
    }
    kept.join("\n")
}

#[test]
fn the_core_does_no_io() {
    let mut offences = Vec::new();
    let mut checked = 0;
    for module in CORE {
        for file in files(&root().join(module)) {
            if behind_io_feature(&file) {
                continue;
            }
            checked += 1;
            let text = std::fs::read_to_string(&file).expect("a source file");
            for line in code_of(&text).lines() {
                let code = line.split("//").next().unwrap_or_default();
                for name in IO_NAMES {
                    if code.contains(name) {
                        offences.push(format!(
                            "{}: {name} in {:?}",
                            file.strip_prefix(root()).unwrap_or(&file).display(),
                            line.trim()
                        ));
                    }
                }
            }
        }
    }
    assert!(
        checked > 40,
        "only {checked} core files found: is CORE out of date?"
    );
    assert!(
        offences.is_empty(),
        "core modules name I/O (move the code above the core, or behind the `store` \
         feature):\n{}",
        offences.join("\n")
    );
}

#[test]
fn the_check_sees_what_it_looks_for() {
    let text = "use std::fs;\n#[cfg(feature = \"store\")]\nmod x {\n    use tokio;\n}\n\
                #[cfg(test)]\nmod tests {\n    use std::net;\n}\nfn f() {}";
    let code = code_of(text);
    assert!(code.contains("std::fs"), "{code}");
    assert!(!code.contains("tokio"), "{code}");
    assert!(!code.contains("std::net"), "{code}");
    assert!(code.contains("fn f()"), "{code}");
    assert!(behind_io_feature(&root().join("src/sessions/store.rs")));
    assert!(!behind_io_feature(&root().join("src/sessions/data.rs")));
}
