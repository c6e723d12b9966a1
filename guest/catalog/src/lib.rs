//! The Facturation.PRO tools as data: one declarative table (`catalog`) of routes, the
//! vocabulary it is written in (`spec`), the field tables and value lists of the vendor's
//! reference (`fields`, `values`), the arguments the tools add themselves (`local`), and the
//! MCP tool definitions built from all of it (`schema`). No I/O and no MCP transport here:
//! the guest runs the table, and its build script renders the definitions.

mod catalog;
pub mod fields;
pub mod local;
pub mod schema;
pub mod spec;
pub mod values;

pub use catalog::TOOLS;
pub use spec::Method;
