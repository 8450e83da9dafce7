//! The TypeScript declarations (`src/web/types.d.ts`) name the same wire spellings as the Rust
//! enums serialize to, so the union types a page switches on cannot drift from the module.

use chunkscope::registry::behaviour::BehaviourClass;
use chunkscope::ErrorKind;
use serde::Serialize;

/// The string members of `export type NAME = "a" | "b" | …;` in types.d.ts.
fn ts_union(name: &str) -> Vec<String> {
    let dts = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/web/types.d.ts"))
        .expect("src/web/types.d.ts");
    let start = dts
        .find(&format!("export type {name} ="))
        .unwrap_or_else(|| panic!("types.d.ts declares no `export type {name}`"));
    let body = &dts[start..];
    let body = &body[..body.find(';').expect("the union ends with ';'")];
    let body = &body[body.find('=').unwrap() + 1..];
    body.split('|')
        .map(|m| m.trim().trim_matches('"').to_string())
        .filter(|m| !m.is_empty())
        .collect()
}

fn wire<T: Serialize>(all: &[T]) -> Vec<String> {
    all.iter()
        .map(|v| {
            serde_json::to_value(v)
                .unwrap()
                .as_str()
                .expect("a unit variant serializes to a string")
                .to_string()
        })
        .collect()
}

#[test]
fn error_kinds_match_the_typescript_union() {
    let rust = wire(&ErrorKind::ALL);
    assert_eq!(rust, ts_union("ErrorKind"));
    let by_method: Vec<&str> = ErrorKind::ALL.iter().map(|k| k.as_str()).collect();
    assert_eq!(rust, by_method);
}

#[test]
fn behaviour_classes_match_the_typescript_union() {
    let rust = wire(&BehaviourClass::ALL);
    assert_eq!(rust, ts_union("BehaviourClass"));
}

#[test]
fn probe_verdicts_match_the_typescript_union() {
    use chunkscope::registry::probe::Verdict;
    let rust = wire(&Verdict::ALL);
    assert_eq!(rust, ts_union("ProbeVerdict"));
    let by_method: Vec<&str> = Verdict::ALL.iter().map(|v| v.as_str()).collect();
    assert_eq!(rust, by_method);
}

#[test]
fn timeout_stages_and_not_read_codes_match_the_typescript_unions() {
    use chunkscope::error::TimeoutStage;
    use chunkscope::inspect::report::NotReadCode;
    let rust = wire(&TimeoutStage::ALL);
    assert_eq!(rust, ts_union("TimeoutStage"));
    let by_method: Vec<&str> = TimeoutStage::ALL.iter().map(|v| v.as_str()).collect();
    assert_eq!(rust, by_method);
    assert_eq!(wire(&NotReadCode::ALL), ts_union("NotReadCode"));
}

#[test]
fn request_purposes_match_the_typescript_union() {
    use chunkscope::registry::RequestPurpose;
    let rust = wire(&RequestPurpose::ALL);
    assert_eq!(rust, ts_union("RequestPurpose"));
    let by_method: Vec<&str> = RequestPurpose::ALL.iter().map(|p| p.as_str()).collect();
    assert_eq!(rust, by_method);
}

#[test]
fn registry_codes_and_sniffed_kinds_match_the_typescript_unions() {
    use chunkscope::format::sniff::Sniffed;
    use chunkscope::RegistryCode;
    assert_eq!(wire(&RegistryCode::ALL), ts_union("RegistryCode"));
    let rust = wire(&Sniffed::ALL);
    assert_eq!(rust, ts_union("Sniffed"));
    let by_method: Vec<&str> = Sniffed::ALL.iter().map(|k| k.as_str()).collect();
    assert_eq!(rust, by_method);
}

#[test]
fn planner_and_prediction_enums_match_the_typescript_unions() {
    use chunkscope::plan::predict::{ErrorBody, Outcome};
    use chunkscope::plan::{RequestKind, ReuseReason};
    assert_eq!(wire(&Outcome::ALL), ts_union("PredictOutcome"));
    assert_eq!(wire(&ErrorBody::ALL), ts_union("PredictErrorBody"));
    assert_eq!(wire(&RequestKind::ALL), ts_union("PredictRequestKind"));
    assert_eq!(wire(&ReuseReason::ALL), ts_union("ReuseReason"));
}

#[test]
fn layer_report_enums_match_the_typescript_unions() {
    use chunkscope::inspect::eligibility::{PullOutcome, RuleSource, VerdictCode};
    use chunkscope::inspect::hazards::{HazardKind, HazardPull};
    use chunkscope::inspect::report::{
        AnnotationNamespace, CheckName, CheckState, EstargzKind, FooterVariant, Landmark,
        LayerFormat, TarSplitSize, TocSize,
    };
    assert_eq!(wire(&LayerFormat::ALL), ts_union("LayerFormat"));
    assert_eq!(wire(&CheckName::ALL), ts_union("CheckName"));
    assert_eq!(wire(&CheckState::ALL), ts_union("CheckState"));
    assert_eq!(
        wire(&AnnotationNamespace::ALL),
        ts_union("AnnotationNamespace")
    );
    assert_eq!(wire(&FooterVariant::ALL), ts_union("FooterVariant"));
    assert_eq!(wire(&TocSize::ALL), ts_union("TocSize"));
    assert_eq!(wire(&TarSplitSize::ALL), ts_union("TarSplitSize"));
    assert_eq!(wire(&EstargzKind::ALL), ts_union("EstargzKind"));
    assert_eq!(wire(&Landmark::ALL), ts_union("Landmark"));
    assert_eq!(wire(&RuleSource::ALL), ts_union("RuleSource"));
    assert_eq!(wire(&PullOutcome::ALL), ts_union("PullOutcome"));
    assert_eq!(wire(&VerdictCode::ALL), ts_union("VerdictCode"));
    assert_eq!(wire(&HazardKind::ALL), ts_union("HazardKind"));
    assert_eq!(wire(&HazardPull::ALL), ts_union("HazardPull"));
}

#[test]
fn progress_phases_match_the_typescript_union() {
    use chunkscope::request_log::{ProgressPhase, RequestPurpose};
    assert_eq!(wire(&ProgressPhase::ALL), ts_union("ProgressPhase"));
    // a request reports the phase spelled as its purpose
    for p in RequestPurpose::ALL {
        assert_eq!(
            wire(&[ProgressPhase::from(p)]),
            vec![p.as_str().to_string()]
        );
    }
}
