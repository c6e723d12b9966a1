//! Reading an OCI image layout (what `buildah push oci:DIR` writes) without any container
//! tool: the index, each image's manifest and config, and its layers unpacked in memory. The
//! image tests check exactly what an image holds with it, and the benchmark its sizes.

use std::io::Read;
use std::path::PathBuf;

use serde_json::Value;

/// An OCI image layout directory (what `buildah push oci:DIR` writes).
pub struct Layout(PathBuf);

impl Layout {
    pub fn open(path: PathBuf) -> Self {
        Self(path)
    }

    pub fn blob(&self, digest: &str) -> Vec<u8> {
        let (algorithm, hex) = digest.split_once(':').expect("algorithm:hex digest");
        let path = self.0.join("blobs").join(algorithm).join(hex);
        std::fs::read(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
    }

    pub fn json(&self, digest: &str) -> Value {
        serde_json::from_slice(&self.blob(digest)).expect("a JSON blob")
    }

    /// The top-level index.json, with its one entry resolved: `buildah push` wraps what it
    /// pushed (an image, or an index of images) in an index of its own.
    pub fn top(&self) -> Value {
        let index: Value =
            serde_json::from_slice(&std::fs::read(self.0.join("index.json")).unwrap()).unwrap();
        let manifests = index["manifests"].as_array().expect("manifests");
        assert_eq!(manifests.len(), 1, "{index}");
        self.json(manifests[0]["digest"].as_str().unwrap())
    }
}

/// One image of a layout: its manifest, its config, and its layers unpacked in memory.
pub struct Image {
    pub manifest: Value,
    pub config: Value,
    /// Every entry of every layer, in order.
    pub entries: Vec<Entry>,
}

/// A file or folder of a layer, its path relative to the image's root ("etc/passwd").
pub struct Entry {
    pub path: String,
    pub uid: u64,
    pub mode: u32,
    pub contents: Vec<u8>,
}

impl Image {
    pub fn read(layout: &Layout, manifest: Value) -> Self {
        let config = layout.json(manifest["config"]["digest"].as_str().unwrap());
        let mut entries = Vec::new();
        for layer in manifest["layers"].as_array().unwrap() {
            let blob = layout.blob(layer["digest"].as_str().unwrap());
            let media_type = layer["mediaType"].as_str().unwrap();
            assert!(media_type.ends_with("+gzip"), "uncompressed layer: {layer}");
            let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(&blob[..]));
            for entry in archive.entries().unwrap() {
                let mut entry = entry.unwrap();
                let path = entry.path().unwrap().display().to_string();
                let path = path
                    .trim_start_matches("./")
                    .trim_end_matches('/')
                    .to_string();
                let (uid, mode) = (
                    entry.header().uid().unwrap(),
                    entry.header().mode().unwrap(),
                );
                let mut contents = Vec::new();
                entry.read_to_end(&mut contents).unwrap();
                if !path.is_empty() {
                    entries.push(Entry {
                        path,
                        uid,
                        mode,
                        contents,
                    });
                }
            }
        }
        Self {
            manifest,
            config,
            entries,
        }
    }

    /// What a registry stores and a client downloads: the layers, compressed.
    pub fn compressed_size(&self) -> u64 {
        self.manifest["layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|layer| layer["size"].as_u64().unwrap())
            .sum()
    }

    pub fn unpacked_size(&self) -> u64 {
        self.entries
            .iter()
            .map(|entry| entry.contents.len() as u64)
            .sum()
    }

    pub fn paths(&self) -> Vec<&str> {
        let mut paths: Vec<&str> = self
            .entries
            .iter()
            .map(|entry| entry.path.as_str())
            .collect();
        paths.sort();
        paths
    }

    pub fn file(&self, path: &str) -> &Entry {
        self.entries
            .iter()
            .find(|entry| entry.path == path)
            .unwrap_or_else(|| panic!("{path} is not in the image: {:?}", self.paths()))
    }

    pub fn label(&self, name: &str) -> &str {
        self.config["config"]["Labels"][name]
            .as_str()
            .unwrap_or_else(|| panic!("no label {name}: {}", self.config["config"]))
    }
}
