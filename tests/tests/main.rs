//! Every end-to-end test, in one test binary: one compile and one link for the whole suite
//! instead of one per file, and the slow files (containers, the conformance suite) run beside
//! the quick ones instead of one after another. Each file below stays a module of its own.

mod bare_component_redirects;
mod cancellation;
mod client_configs;
mod cluster;
mod component_world;
mod concurrency;
mod configuration;
mod confirmation;
mod conformance;
mod container_images;
mod customer_tools;
mod distribution_files;
mod emulator_oauth;
mod file_and_account_tools;
mod host_limits;
mod http_hardening;
mod install_script;
mod irreversible_steps;
mod kubernetes_manifests;
mod legacy_http_sessions;
mod mcp_protocol;
mod modern_protocol;
mod oauth_keyring;
mod oauth_sign_in;
mod official_sdks;
mod outgoing_connections;
mod promises_under_attack;
mod publishing;
mod quota_pacing;
mod record_tools;
mod register_toolkit;
mod release_packaging;
mod release_workflows;
mod reliability;
mod remote_connector;
mod replicas;
mod resources_prompts_completions;
mod safety_modes;
mod sales_tools;
mod sandbox;
mod scenario_month;
mod schema_boundaries;
mod secrets_stay_secret;
mod shell_scripts;
mod stopping;
mod streamable_http;
mod supply_chain;
mod tool_catalogue;
mod wasi_http_hosts;

/// A file in this folder that is not declared above would never compile nor run: each one is.
#[test]
fn every_file_of_the_suite_is_part_of_it() {
    let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let declared = include_str!("main.rs");
    let mut forgotten = Vec::new();
    for entry in std::fs::read_dir(&folder).expect("the tests folder is readable") {
        let name = entry
            .expect("a readable entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        if let Some(module) = name.strip_suffix(".rs")
            && module != "main"
            && !declared.contains(&format!("\nmod {module};\n"))
        {
            forgotten.push(name);
        }
    }
    assert!(
        forgotten.is_empty(),
        "not declared in tests/tests/main.rs: {forgotten:?}"
    );
}
