//! Which tools the model sees: everything by default, narrowed by toolsets, by an include or
//! exclude list of tool names, and by read-only mode. A tool left out is neither listed nor
//! callable. (In read-only mode the host also refuses every non-GET request, so this is the
//! courteous half of a rule the sandbox enforces.)

use facturation_pro_catalog::TOOLS;
use facturation_pro_catalog::spec::{Effect, ToolSpec, Toolset};

#[derive(Default)]
pub struct Selection {
    read_only: bool,
    toolsets: Option<Vec<Toolset>>,
    include: Option<Vec<String>>,
    exclude: Vec<String>,
}

impl Selection {
    /// From FACTURATION_READ_ONLY, FACTURATION_TOOLSETS, FACTURATION_TOOLS and
    /// FACTURATION_EXCLUDE_TOOLS; a wrong name is an error naming the variable.
    pub fn from_env() -> Result<Self, String> {
        let read_only = match var("FACTURATION_READ_ONLY").as_deref() {
            None | Some("0" | "false" | "no") => false,
            Some("1" | "true" | "yes") => true,
            Some(other) => {
                return Err(format!(
                    "FACTURATION_READ_ONLY must be 1 or 0, got {other:?}"
                ));
            }
        };
        let toolsets = var("FACTURATION_TOOLSETS")
            .map(|raw| {
                names(&raw)
                    .map(|name| {
                        Toolset::ALL
                            .into_iter()
                            .find(|set| set.name() == name)
                            .ok_or_else(|| {
                                let known: Vec<&str> =
                                    Toolset::ALL.iter().map(|set| set.name()).collect();
                                format!(
                                    "FACTURATION_TOOLSETS: unknown toolset {name:?}; known: {}",
                                    known.join(", ")
                                )
                            })
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?;
        let include = var("FACTURATION_TOOLS")
            .map(|raw| tool_names("FACTURATION_TOOLS", &raw))
            .transpose()?;
        let exclude = var("FACTURATION_EXCLUDE_TOOLS")
            .map(|raw| tool_names("FACTURATION_EXCLUDE_TOOLS", &raw))
            .transpose()?
            .unwrap_or_default();
        Ok(Self {
            read_only,
            toolsets,
            include,
            exclude,
        })
    }

    pub fn admits(&self, spec: &ToolSpec) -> bool {
        !(self.read_only && spec.effect != Effect::Read)
            && self
                .toolsets
                .as_ref()
                .is_none_or(|sets| sets.contains(&spec.toolset))
            && self
                .include
                .as_ref()
                .is_none_or(|names| names.iter().any(|name| name == spec.name))
            && !self.exclude.iter().any(|name| name == spec.name)
    }
}

fn var(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|value| value.trim().to_string())
        .filter(|value| !value.is_empty())
}

/// Comma- or space-separated names.
fn names(raw: &str) -> impl Iterator<Item = &str> {
    raw.split([',', ' '])
        .map(str::trim)
        .filter(|name| !name.is_empty())
}

fn tool_names(variable: &str, raw: &str) -> Result<Vec<String>, String> {
    names(raw)
        .map(|name| match TOOLS.iter().any(|spec| spec.name == name) {
            true => Ok(name.to_string()),
            false => Err(format!("{variable}: unknown tool {name:?}")),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(name: &str) -> &'static ToolSpec {
        TOOLS.iter().find(|spec| spec.name == name).unwrap()
    }

    #[test]
    fn read_only_keeps_only_reads() {
        let selection = Selection {
            read_only: true,
            ..Selection::default()
        };
        assert!(
            selection.admits(spec("list_invoices"))
                && selection.admits(spec("download_invoice_pdf"))
        );
        assert!(
            !selection.admits(spec("create_invoice")) && !selection.admits(spec("delete_file"))
        );
    }

    #[test]
    fn toolsets_and_lists_narrow_the_catalogue() {
        let selection = Selection {
            toolsets: Some(vec![Toolset::Invoices]),
            exclude: vec!["delete_invoice".into()],
            ..Selection::default()
        };
        assert!(selection.admits(spec("create_invoice")));
        assert!(
            !selection.admits(spec("delete_invoice")) && !selection.admits(spec("list_customers"))
        );
        let only = Selection {
            include: Some(vec!["get_account".into()]),
            ..Selection::default()
        };
        assert_eq!(TOOLS.iter().filter(|spec| only.admits(spec)).count(), 1);
    }
}
