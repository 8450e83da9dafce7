//! The crate's top-level modules form no cycle: a module's `crate::` references (in code and
//! docs) name only modules below it. A new edge that closes a cycle (say, `registry` reaching
//! into `plan` while `plan` uses `registry`) fails here, with the cycle named.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Top-level module → the other top-level modules its files name as `crate::NAME`.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for entry in std::fs::read_dir(&src).unwrap() {
        let p = entry.unwrap().path();
        let name = p.file_stem().unwrap().to_string_lossy().to_string();
        // The crate root, the binaries and the JS binding are the top of the graph.
        if ["lib", "bin", "web"].contains(&name.as_str()) {
            continue;
        }
        let mut files = Vec::new();
        if p.is_dir() {
            sources(&p, &mut files);
        } else {
            files.push(p.clone());
        }
        let deps = g.entry(name.clone()).or_default();
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            for (i, _) in text.match_indices("crate::") {
                let rest = &text[i + "crate::".len()..];
                let m: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                    .collect();
                if !m.is_empty() && m != name {
                    deps.insert(m);
                }
            }
        }
    }
    g
}

fn find_cycle(g: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        g: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|p| p == n) {
            let mut c = path[i..].to_vec();
            c.push(n.to_string());
            return Some(c);
        }
        if done.contains(n) {
            return None;
        }
        path.push(n.to_string());
        for d in g.get(n).into_iter().flatten() {
            if let Some(c) = visit(d, g, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(n.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for n in g.keys() {
        if let Some(c) = visit(n, g, &mut Vec::new(), &mut done) {
            return Some(c);
        }
    }
    None
}

#[test]
fn top_level_modules_form_no_cycle() {
    let g = graph();
    assert!(
        g.contains_key("inspect") && g.contains_key("registry"),
        "{g:?}"
    );
    if let Some(c) = find_cycle(&g) {
        panic!("module cycle: {}", c.join(" -> "));
    }
}

#[test]
fn the_layer_inspection_depends_on_neither_images_nor_registries() {
    let g = graph();
    for m in ["image", "registry", "plan"] {
        assert!(
            !g["inspect"].contains(m),
            "inspect uses {m}: {:?}",
            g["inspect"]
        );
    }
    assert!(!g["registry"].contains("plan"), "{:?}", g["registry"]);
    assert!(!g["format"].contains("inspect"), "{:?}", g["format"]);
}

#[test]
fn a_cycle_is_found_when_there_is_one() {
    let mut g = graph();
    g.get_mut("registry").unwrap().insert("plan".into());
    let c = find_cycle(&g).expect("registry -> plan -> registry");
    assert!(
        c.contains(&"plan".to_string()) && c.contains(&"registry".to_string()),
        "{c:?}"
    );
}
