//! deploy/kubernetes/, checked offline: kubernetes-validate (from PyPI, which carries the
//! schemas of each Kubernetes release) in strict mode, against the current release's schemas,
//! and a deliberate mistake it must catch; then what the schemas cannot know: that the
//! Deployment runs the image as its user, read-only and without capabilities, probes the
//! paths and port the server answers on, leaves time to drain, and names only settings
//! .env.example documents; that the NetworkPolicy opens only DNS, the store and HTTPS.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

use facturation_pro_emulator::harness::{installed_tool, printed, workspace_root};
use serde_json::Value;

/// The image's user (Dockerfile, `USER 10001:10001`).
const IMAGE_UID: u64 = 10001;

fn manifests() -> Vec<PathBuf> {
    let folder = workspace_root().join("deploy/kubernetes");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
        .collect();
    files.sort();
    files
}

fn validate(files: &[PathBuf]) -> std::process::Output {
    Command::new(installed_tool("python/bin/kubernetes-validate"))
        .args(["--strict", "--quiet"])
        .args(files)
        .output()
        .unwrap()
}

/// The manifest of `kind`, as JSON.
fn manifest(kind: &str) -> Value {
    manifests()
        .iter()
        .map(|path| {
            let text = std::fs::read_to_string(path).unwrap();
            serde_norway::from_str::<Value>(&text).unwrap()
        })
        .find(|document| document["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} in deploy/kubernetes"))
}

#[test]
fn the_manifests_pass_the_current_kubernetes_schemas_and_a_mistake_is_caught() {
    let files = manifests();
    let kinds: BTreeSet<String> = files
        .iter()
        .map(|path| {
            let text = std::fs::read_to_string(path).unwrap();
            let document: Value = serde_norway::from_str(&text).unwrap();
            document["kind"].as_str().unwrap().to_string()
        })
        .collect();
    let expected = [
        "ConfigMap",
        "Deployment",
        "HorizontalPodAutoscaler",
        "NetworkPolicy",
        "PodDisruptionBudget",
        "Secret",
        "Service",
    ];
    assert_eq!(
        kinds,
        expected.iter().map(|kind| kind.to_string()).collect()
    );
    let checked = validate(&files);
    assert!(checked.status.success(), "{}", printed(&checked));

    // The same Deployment with one misspelt field: strict validation refuses it.
    let folder = tempfile::tempdir().unwrap();
    let broken = folder.path().join("deployment.yaml");
    let text = std::fs::read_to_string(workspace_root().join("deploy/kubernetes/deployment.yaml"))
        .unwrap()
        .replace(
            "readOnlyRootFilesystem: true",
            "readOnlyRootFileSystem: true",
        );
    std::fs::write(&broken, text).unwrap();
    let refused = validate(&[broken]);
    assert!(!refused.status.success(), "{}", printed(&refused));
    assert!(
        printed(&refused).contains("readOnlyRootFileSystem"),
        "{}",
        printed(&refused)
    );
}

#[test]
fn the_deployment_runs_the_image_unprivileged_with_the_servers_own_probes() {
    let deployment = manifest("Deployment");
    let pod = &deployment["spec"]["template"]["spec"];
    assert_eq!(pod["securityContext"]["runAsUser"], IMAGE_UID);
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    assert_eq!(pod["automountServiceAccountToken"], false);
    let container = &pod["containers"][0];
    let security = &container["securityContext"];
    assert_eq!(security["readOnlyRootFilesystem"], true);
    assert_eq!(security["allowPrivilegeEscalation"], false);
    assert_eq!(security["capabilities"]["drop"], serde_json::json!(["ALL"]));
    for bound in ["requests", "limits"] {
        for resource in ["cpu", "memory"] {
            assert!(
                container["resources"][bound][resource].is_string(),
                "{bound}.{resource}"
            );
        }
    }
    // The port the server listens on is the one the probes and the Service use.
    assert_eq!(
        container["args"],
        serde_json::json!(["serve", "--http", "0.0.0.0:8750"])
    );
    assert_eq!(container["ports"][0]["containerPort"], 8750);
    assert_eq!(container["ports"][0]["name"], "http");
    assert_eq!(container["livenessProbe"]["httpGet"]["path"], "/healthz");
    assert_eq!(container["readinessProbe"]["httpGet"]["path"], "/readyz");
    assert_eq!(
        manifest("Service")["spec"]["ports"][0]["targetPort"],
        "http"
    );
    // The only writable place is the downloads folder the image names.
    assert_eq!(container["volumeMounts"][0]["mountPath"], "/downloads");
    // Room for the drain delay and the 5 s the calls in flight get after it.
    let config = manifest("ConfigMap");
    let delay: u64 = config["data"]["FACTURATION_HTTP_DRAIN_DELAY_SECS"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let grace = pod["terminationGracePeriodSeconds"].as_u64().unwrap();
    assert!(grace > delay + 5, "grace {grace} s, drain delay {delay} s");
}

#[test]
fn the_settings_are_documented_ones_and_the_secrets_are_in_the_secret() {
    let env_example = std::fs::read_to_string(workspace_root().join(".env.example")).unwrap();
    let config = manifest("ConfigMap");
    let secret = manifest("Secret");
    let names = |entries: &Value| -> BTreeSet<String> {
        entries.as_object().unwrap().keys().cloned().collect()
    };
    let secret_names = names(&secret["stringData"]);
    let config_names = names(&config["data"]);
    for name in secret_names.iter().chain(&config_names) {
        assert!(
            env_example.contains(&format!("{name}=")),
            "{name} is not in .env.example"
        );
    }
    for key in [
        "FACTURATION_STORE",
        "FACTURATION_STORE_KEY",
        "FACTURATION_STATE_KEY",
        "FACTURATION_OAUTH_CLIENT_SECRET",
    ] {
        assert!(secret_names.contains(key), "{key} belongs in the Secret");
        assert!(
            !config_names.contains(key),
            "{key} must not be in the ConfigMap"
        );
    }
    assert!(
        secret["stringData"]["FACTURATION_STORE"]
            .as_str()
            .unwrap()
            .starts_with("postgres://"),
        "replicas share a PostgreSQL store"
    );
    assert!(config_names.contains("FACTURATION_PUBLIC_URL"));
}

#[test]
fn the_network_policy_opens_only_dns_the_store_and_https() {
    let policy = manifest("NetworkPolicy");
    let ports: BTreeSet<u64> = policy["spec"]["egress"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|rule| rule["ports"].as_array().unwrap().clone())
        .map(|port| port["port"].as_u64().unwrap())
        .collect();
    assert_eq!(ports, BTreeSet::from([53, 443, 5432]));
    let types = &policy["spec"]["policyTypes"];
    assert_eq!(types, &serde_json::json!(["Ingress", "Egress"]));
    // HTTPS goes out, but not to the cluster's or any private network.
    let https = policy["spec"]["egress"]
        .as_array()
        .unwrap()
        .iter()
        .find(|rule| rule["ports"][0]["port"] == 443)
        .unwrap();
    let except = https["to"][0]["ipBlock"]["except"].as_array().unwrap();
    for private in [
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "169.254.0.0/16",
    ] {
        assert!(except.iter().any(|cidr| cidr == private), "{private}");
    }
}
