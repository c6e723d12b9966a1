//! Renders every tool's MCP definition to JSON text when the guest is built. Each request
//! runs in a fresh instance, so a definition built at run time would be built again for
//! every `tools/list`; rendered here, listing the tools is copying text.

use std::env;
use std::fmt::Write as _;
use std::path::PathBuf;

use facturation_pro_catalog::{TOOLS, schema};

fn main() {
    let mut code = String::from(
        "/// The MCP definition of each entry of `TOOLS`, in the same order, as JSON text.\n\
         pub static TOOL_DEFINITIONS: &[&str] = &[\n",
    );
    for spec in TOOLS {
        // Debug formatting of a str is a valid Rust string literal.
        writeln!(code, "    {:?},", schema::tool_definition(spec).to_string())
            .expect("writing to a String");
    }
    code.push_str("];\n");
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(out.join("tool_definitions.rs"), code).expect("write the definitions");
}
