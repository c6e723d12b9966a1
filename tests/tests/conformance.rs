//! The official MCP conformance suite (@modelcontextprotocol/conformance, installed by
//! scripts/install-test-tools.sh) against `facturation-pro-mcp serve --http`, at both wires:
//! 2026-07-28 (stateless, per-request `_meta`) and 2025-11-25 (initialize handshake).
//!
//! The suite is written for its own reference server: many scored scenarios call fixture
//! tools, prompts and resources (`test_simple_text`, `test_simple_prompt`,
//! `test://static-text`, the `input_required` tools...) that an invoicing server has no
//! reason to carry. So each wire is run twice, under the real host, at once:
//!
//! - against the *fixture variant* of the guest (the `conformance-fixtures` feature, built
//!   into target/guest-fixtures and run with the host's `--component`), which adds exactly
//!   those fixtures in front of the real server. Every scored check must pass, those of
//!   2025-11-25 that send the client a request in the middle of a tool call included: the
//!   host holds such a call open on the session `initialize` opened (host/src/legacy.rs);
//! - against the real, embedded component: a scored check may fail there only if it passed
//!   against the fixture variant, i.e. only for want of a fixture. No hand-kept list of
//!   "fixture failures" to go stale: the fixture run is the proof.
//!
//! A third test shows the fixtures never reach a shipped artifact. Unscored scenarios
//! (extensions, pending proposals) are reported but not judged.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use facturation_pro_emulator::emulator::{Emulator, EmulatorConfig};
use facturation_pro_emulator::harness::http_client::{HttpEndpoint, HttpMcpServer};
use facturation_pro_emulator::harness::{
    ServerSetup, fixture_component, guest_component, host_binary, node, workspace_root,
};
use serde_json::{Value, json};

const INSTALL_HINT: &str = "run scripts/install-test-tools.sh";

/// Every name the fixture variant adds (tools, prompts, resources, the template). None may
/// appear in what we ship.
const FIXTURE_NAMES: &[&str] = &[
    "test_simple_text",
    "test_image_content",
    "test_audio_content",
    "test_embedded_resource",
    "test_multiple_content_types",
    "test_error_handling",
    "test_tool_with_progress",
    "test_tool_with_logging",
    "test_logging_tool",
    "test_sampling",
    "test_elicitation",
    "test_elicitation_sep1034_defaults",
    "test_elicitation_sep1330_enums",
    "test_missing_capability",
    "test_streaming_elicitation",
    "test_input_required_result_elicitation",
    "test_input_required_result_sampling",
    "test_input_required_result_list_roots",
    "test_input_required_result_request_state",
    "test_input_required_result_multiple_inputs",
    "test_input_required_result_multi_round",
    "test_input_required_result_tampered_state",
    "test_input_required_result_capabilities",
    "test_simple_prompt",
    "test_prompt_with_arguments",
    "test_prompt_with_embedded_resource",
    "test_prompt_with_image",
    "test_input_required_result_prompt",
    "test://static-text",
    "test://static-binary",
    "test://watched-resource",
    "test://template/{id}/data",
];

/// One run of the suite takes seconds; this only keeps a wedged run from hanging the test.
const SUITE_PATIENCE: Duration = Duration::from_secs(600);

/// Fails, naming the install script, unless Node >= 22 and the suite are where
/// scripts/conformance.sh looks for them: a missing tool must not pass for a clean run.
fn require_tools() {
    let root = workspace_root();
    let node = node();
    let version = Command::new(&node)
        .arg("--version")
        .output()
        .ok()
        .and_then(|output| String::from_utf8(output.stdout).ok())
        .unwrap_or_default();
    let major: u32 = version
        .trim()
        .trim_start_matches('v')
        .split('.')
        .next()
        .and_then(|major| major.parse().ok())
        .unwrap_or(0);
    assert!(
        major >= 22,
        "the conformance suite needs Node >= 22, found {:?} at {}: {INSTALL_HINT}",
        version.trim(),
        node.display()
    );
    let suite = root.join(
        "target/tools/conformance/node_modules/@modelcontextprotocol/conformance/dist/index.js",
    );
    assert!(
        suite.is_file(),
        "the conformance suite is missing ({}): {INSTALL_HINT}",
        suite.display()
    );
}

/// What one run left behind.
struct SuiteRun {
    summary: Value,
    /// The directory of scripts/conformance.sh's results (checks/, suite.log...).
    out: PathBuf,
}

impl SuiteRun {
    /// Scenarios run but not scored for the revision, with the suite's reason.
    fn not_scored(&self) -> BTreeMap<String, String> {
        self.summary["notScored"]
            .as_object()
            .map(|scenarios| {
                scenarios
                    .iter()
                    .map(|(name, why)| (name.clone(), why.as_str().unwrap_or("").to_string()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Every failing check, as `scenario:check-id`.
    fn failures(&self) -> Vec<String> {
        self.summary["failures"]
            .as_array()
            .expect("summary.json lists failures")
            .iter()
            .filter_map(|failure| failure.as_str().map(str::to_string))
            .collect()
    }

    /// Every check of every scenario that left a checks.json: (scenario, check).
    fn checks(&self) -> Vec<(String, Value)> {
        let mut all = Vec::new();
        let dir = self.out.join("checks");
        for entry in std::fs::read_dir(&dir)
            .expect("the checks directory")
            .flatten()
        {
            let file = entry.path().join("checks.json");
            let Ok(text) = std::fs::read_to_string(&file) else {
                continue;
            };
            let scenario = scenario_of(&entry.file_name().to_string_lossy());
            let checks: Vec<Value> = serde_json::from_str(&text).expect("checks.json is JSON");
            all.extend(checks.into_iter().map(|check| (scenario.clone(), check)));
        }
        all
    }

    /// What the suite said about a failing check, for the report.
    fn explain(&self, failure: &str) -> String {
        let (scenario, id) = failure.split_once(':').unwrap_or((failure, failure));
        let found = self.checks().into_iter().find(|(name, check)| {
            name == scenario && check["id"] == id && check["status"] == "FAILURE"
        });
        match found {
            Some((_, check)) => format!(
                "suite says: {}\n      details: {}",
                check["errorMessage"].as_str().unwrap_or("(no message)"),
                check
                    .get("details")
                    .map_or_else(|| "(none)".to_string(), Value::to_string)
            ),
            // A scenario that threw leaves no checks.json; its trace is in the log.
            None => format!(
                "no checks.json (the scenario crashed); see {}",
                self.out.join("suite.log").display()
            ),
        }
    }
}

/// `server-<scenario>-<ISO timestamp>` → `<scenario>`, as scripts/conformance.sh reads it.
fn scenario_of(directory: &str) -> String {
    let name = directory.strip_prefix("server-").unwrap_or(directory);
    // The timestamp is the last 25 characters: -YYYY-MM-DDTHH-MM-SS-mmmZ.
    match name.len().checked_sub(25) {
        Some(cut) if name.ends_with('Z') && name.as_bytes()[cut] == b'-' => name[..cut].to_string(),
        _ => name.to_string(),
    }
}

/// Runs scripts/conformance.sh against `url` at `version`, its results in `results`.
fn run_suite(url: &str, version: &str, results: &Path) -> SuiteRun {
    let out = results.join("out");
    let log = results.join("conformance.sh.log");
    let log_file = File::create(&log).expect("create the script's log");
    let mut child = Command::new("bash")
        .arg(workspace_root().join("scripts/conformance.sh"))
        .args([url, version])
        .env("CONFORMANCE_RESULTS", &out)
        // No token: our host's `serve --http` holds the API key outside the component and
        // needs none, and the suite must see the endpoint as a client would.
        .env_remove("CONFORMANCE_BEARER_TOKEN")
        .current_dir(workspace_root())
        .stdin(Stdio::null())
        .stdout(log_file.try_clone().expect("share the log"))
        .stderr(log_file)
        .spawn()
        .expect("run scripts/conformance.sh");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the suite") {
            break status;
        }
        if started.elapsed() > SUITE_PATIENCE {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the conformance suite did not finish within {SUITE_PATIENCE:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let said = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        status.success(),
        "scripts/conformance.sh {version} could not run ({status}): {said}"
    );
    let summary = std::fs::read_to_string(out.join("summary.json"))
        .unwrap_or_else(|error| panic!("no summary.json ({error}); the script said: {said}"));
    SuiteRun {
        summary: serde_json::from_str(&summary).expect("summary.json is JSON"),
        out,
    }
}

/// Which component the host runs.
#[derive(Clone, Copy, PartialEq)]
enum Variant {
    /// The one the host embeds: what we ship.
    Real,
    /// The guest built with `conformance-fixtures`, run with `--component`.
    Fixtures,
}

impl Variant {
    fn start(self, emulator: &Emulator, downloads: &Path) -> HttpMcpServer {
        let setup = ServerSetup::against(&emulator.base_url(), downloads);
        let setup = match self {
            Variant::Real => setup,
            Variant::Fixtures => {
                let component = fixture_component();
                setup.with_args(&["--component", component.to_str().expect("a UTF-8 path")])
            }
        };
        HttpMcpServer::start(&setup)
    }

    fn name(self) -> &'static str {
        match self {
            Variant::Real => "real component",
            Variant::Fixtures => "fixture variant",
        }
    }
}

/// What the suite found at one wire against one variant, scored scenarios only.
struct Verdict {
    /// `scenario:check-id` → SUCCESS, FAILURE, WARNING, SKIPPED or INFO.
    outcomes: BTreeMap<String, String>,
    /// Failing scored checks, crashed scenarios included.
    failures: BTreeSet<String>,
    run: SuiteRun,
    /// Kept until the verdict is read, so its files can be shown.
    results: tempfile::TempDir,
}

impl Verdict {
    /// Whether `scenario` ran and every check of it passed.
    fn passed_scenario(&self, scenario: &str) -> bool {
        let prefix = format!("{scenario}:");
        let mut checks = self
            .outcomes
            .iter()
            .filter(|(check, _)| check.starts_with(&prefix))
            .peekable();
        checks.peek().is_some() && checks.all(|(_, outcome)| outcome == "SUCCESS")
    }

    fn count(&self, status: &str) -> usize {
        self.outcomes
            .values()
            .filter(|outcome| *outcome == status)
            .count()
    }

    /// A report line per failure, with what the suite said, and where its files are kept.
    fn explain(self, failures: &[String]) -> String {
        let mut report = String::new();
        for failure in failures {
            report.push_str(&format!(
                "\n  {failure}\n      {}",
                self.run.explain(failure)
            ));
        }
        let kept = self.results.keep();
        format!(
            "{report}\n  (results kept in {})",
            kept.join("out").display()
        )
    }
}

/// Runs the suite at `version` against `server`, and sorts what it found.
fn judge(server: &HttpMcpServer, version: &str, variant: Variant) -> Verdict {
    let url = format!("http://{}/mcp", server.address());
    let results = tempfile::tempdir().expect("a results directory");
    let run = run_suite(&url, version, results.path());
    let not_scored = run.not_scored();
    let is_scored = |scenario: &str| !not_scored.contains_key(scenario);
    let mut outcomes = BTreeMap::new();
    let mut unscored = [0u32; 2];
    for (scenario, check) in run.checks() {
        let status = check["status"].as_str().unwrap_or("").to_string();
        if is_scored(&scenario) {
            let id = check["id"].as_str().unwrap_or("").to_string();
            outcomes.insert(format!("{scenario}:{id}"), status);
        } else if status == "SUCCESS" {
            unscored[0] += 1;
        } else if status == "FAILURE" {
            unscored[1] += 1;
        }
    }
    let failures: BTreeSet<String> = run
        .failures()
        .into_iter()
        .filter(|failure| is_scored(failure.split(':').next().unwrap_or_default()))
        .collect();
    let verdict = Verdict {
        outcomes,
        failures,
        run,
        results,
    };
    eprintln!(
        "conformance {version}, {}: scored checks: {} passed, {} failed, {} warned, {} skipped; \
         not scored ({} scenarios): {} passed, {} failed",
        variant.name(),
        verdict.count("SUCCESS"),
        verdict.failures.len(),
        verdict.count("WARNING"),
        verdict.count("SKIPPED"),
        not_scored.len(),
        unscored[0],
        unscored[1],
    );
    assert!(
        verdict.count("SUCCESS") > 0,
        "the suite passed nothing against the {}, so it did not really run: {}",
        variant.name(),
        verdict.run.summary
    );
    verdict
}

/// Both variants at `version`, side by side, each judged as the module says.
fn conformance(version: &str) {
    require_tools();
    let emulator = Emulator::start(EmulatorConfig::default()).expect("start the emulator");
    let home = tempfile::tempdir().expect("a temporary home");
    let downloads = home.path().join("downloads");
    let real = Variant::Real.start(&emulator, &downloads);
    let fixtures = Variant::Fixtures.start(&emulator, &downloads);
    let (real, fixtures) = std::thread::scope(|scope| {
        let real = scope.spawn(|| judge(&real, version, Variant::Real));
        let fixtures = judge(&fixtures, version, Variant::Fixtures);
        (real.join().expect("the real run"), fixtures)
    });

    // The fixture variant: every scored check passes.
    if !fixtures.failures.is_empty() {
        let failures: Vec<String> = fixtures.failures.iter().cloned().collect();
        panic!(
            "conformance {version}, fixture variant: scored checks failed:{}",
            fixtures.explain(&failures)
        );
    }

    // The real component: a check may fail only for want of a fixture, that is, if the
    // fixture variant (the same server plus the fixtures) passed it. Some scenarios record
    // a check of their own only when they cannot go on (a missing tool): the fixture run
    // then passed the whole scenario without that check.
    let not_for_fixtures: Vec<String> = real
        .failures
        .iter()
        .filter(|failure| match fixtures.outcomes.get(*failure) {
            Some(outcome) => outcome != "SUCCESS",
            None => !fixtures.passed_scenario(failure.split(':').next().unwrap_or_default()),
        })
        .cloned()
        .collect();
    eprintln!(
        "conformance {version}, real component: {} scored failures, all for want of a fixture \
         unless listed below",
        real.failures.len()
    );
    if !not_for_fixtures.is_empty() {
        panic!(
            "conformance {version}, real component: scored checks failed that the fixtures do \
             not explain:{}",
            real.explain(&not_for_fixtures)
        );
    }

    // The suite calls fixtures, and for its header checks the first listed tool with no
    // arguments: nothing it did may have changed the firm's data.
    let writes: Vec<String> = emulator
        .requests()
        .iter()
        .filter(|request| request.method != "GET")
        .map(|request| format!("{} {}", request.method, request.path))
        .collect();
    assert!(
        writes.is_empty(),
        "the suite made the server write: {writes:?}"
    );
}

#[test]
fn the_2026_07_28_wire_passes_every_scored_check_with_the_fixtures() {
    conformance("2026-07-28");
}

#[test]
fn the_2025_11_25_wire_passes_every_scored_check_with_the_fixtures() {
    conformance("2025-11-25");
}

/// What a 2026-07-28 `method` (a list) returns, as (name or URI) strings.
fn listed(server: &HttpMcpServer, method: &str) -> Vec<String> {
    let reply = server.post_json(
        &[
            ("Accept", "application/json, text/event-stream"),
            ("MCP-Protocol-Version", "2026-07-28"),
            ("Mcp-Method", method),
        ],
        &json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": { "_meta": {
            "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientCapabilities": {},
        }}}),
    );
    let result = &reply.json()["result"];
    let (field, key) = match method {
        "tools/list" => ("tools", "name"),
        "prompts/list" => ("prompts", "name"),
        "resources/list" => ("resources", "uri"),
        _ => ("resourceTemplates", "uriTemplate"),
    };
    result[field]
        .as_array()
        .unwrap_or_else(|| panic!("{method} lists no {field}: {result}"))
        .iter()
        .map(|item| item[key].as_str().unwrap_or_default().to_string())
        .collect()
}

const LISTS: [&str; 4] = [
    "tools/list",
    "prompts/list",
    "resources/list",
    "resources/templates/list",
];

/// The fixtures stay in the test build: the embedded component lists none of them (where
/// the fixture variant, asked the same way, lists them all), and neither the shipped .wasm
/// nor the host binary that embeds it holds any fixture name, where the fixture build does.
#[test]
fn no_shipped_artifact_carries_the_fixtures() {
    let emulator = Emulator::start(EmulatorConfig::default()).expect("start the emulator");
    let home = tempfile::tempdir().expect("a temporary home");
    let downloads = home.path().join("downloads");
    let real = Variant::Real.start(&emulator, &downloads);
    let fixtures = Variant::Fixtures.start(&emulator, &downloads);
    let mut offered = BTreeSet::new();
    for method in LISTS {
        let shipped = listed(&real, method);
        let leaked: Vec<&String> = shipped
            .iter()
            .filter(|name| FIXTURE_NAMES.contains(&name.as_str()))
            .collect();
        assert!(
            leaked.is_empty(),
            "the embedded component's {method} offers fixtures: {leaked:?}"
        );
        let with_fixtures = listed(&fixtures, method);
        // The fixtures come on top of the real offer, which they leave as it is.
        assert_eq!(
            with_fixtures[..shipped.len()],
            shipped[..],
            "{method}: the fixture variant changed the real entries"
        );
        offered.extend(with_fixtures[shipped.len()..].to_vec());
    }
    let expected: BTreeSet<String> = FIXTURE_NAMES.iter().map(|name| name.to_string()).collect();
    assert_eq!(
        offered, expected,
        "the fixture variant lists exactly the fixtures this test looks for"
    );

    let fixture_build = std::fs::read(fixture_component()).expect("read the fixture build");
    let in_fixture_build = fixture_names_in(&fixture_build);
    assert_eq!(
        in_fixture_build.len(),
        FIXTURE_NAMES.len(),
        "the fixture build should hold every fixture name as a string, or their absence \
         elsewhere would prove nothing; it holds {in_fixture_build:?}"
    );
    for shipped in [guest_component(), host_binary()] {
        let bytes = std::fs::read(&shipped).expect("read a shipped artifact");
        let found = fixture_names_in(&bytes);
        assert!(
            found.is_empty(),
            "{} holds fixture names: {found:?}",
            shipped.display()
        );
    }
}

/// The fixture names found in `bytes`, in one pass (the host binary is tens of megabytes).
fn fixture_names_in(bytes: &[u8]) -> BTreeSet<&'static str> {
    let mut found = BTreeSet::new();
    for start in memchr_all(bytes, b"test") {
        let rest = &bytes[start..];
        found.extend(
            FIXTURE_NAMES
                .iter()
                .filter(|name| rest.starts_with(name.as_bytes())),
        );
    }
    found
}

/// Where `needle` starts in `haystack`.
fn memchr_all<'a>(haystack: &'a [u8], needle: &'a [u8]) -> impl Iterator<Item = usize> + 'a {
    haystack
        .windows(needle.len())
        .enumerate()
        .filter(move |(_, window)| *window == needle)
        .map(|(start, _)| start)
}

#[test]
fn checks_directories_name_their_scenario() {
    assert_eq!(
        scenario_of("server-tools-call-simple-text-2026-11-29T20-29-25-520Z"),
        "tools-call-simple-text"
    );
    assert_eq!(scenario_of("server-ping-2026-11-29T20-29-25-509Z"), "ping");
}
