//! What customers and suppliers have in common: names, account codes, country and bank
//! details.

use serde_json::{Map, Value};

use super::engine::Shape;
use super::error::{FieldErrors, push_error};
use super::fields::text;

/// Bank details only go out when the caller asks for them with `with_sepa=1`.
const SEPA_PREFIX: &str = "sepa_";

/// The service's implicit names: a company name made of the person's names when missing, and
/// the short name copied from the company name.
pub(crate) fn fill_names(record: &mut Map<String, Value>) {
    if text(record, "company_name").is_none() {
        let names: Vec<&str> = ["first_name", "last_name"]
            .iter()
            .filter_map(|name| text(record, name))
            .collect();
        if !names.is_empty() {
            let derived = names.join(" ");
            record.insert("company_name".to_owned(), Value::String(derived));
        }
    }
    if text(record, "short_name").is_none()
        && let Some(company) = text(record, "company_name")
    {
        record.insert("short_name".to_owned(), Value::String(company.to_owned()));
    }
}

/// An account code made of the chart-of-accounts class `prefix` (411 customers, 401
/// suppliers) and the company name, when none is set.
pub(crate) fn fill_account_code(record: &mut Map<String, Value>, prefix: &str) {
    if text(record, "account_code").is_none()
        && let Some(company) = text(record, "company_name")
    {
        let code = account_code_for(prefix, company);
        record.insert("account_code".to_owned(), Value::String(code));
    }
}

/// `prefix` followed by the name's letters and digits in upper case, accents dropped, within
/// the field's 11 characters.
pub(crate) fn account_code_for(prefix: &str, name: &str) -> String {
    let mut code = prefix.to_owned();
    code.extend(
        name.chars()
            .map(fold_accent)
            .filter(char::is_ascii_alphanumeric)
            .map(|letter| letter.to_ascii_uppercase())
            .take(11_usize.saturating_sub(prefix.len())),
    );
    code
}

/// Maps the accented letters common in French names onto their base letter.
fn fold_accent(letter: char) -> char {
    match letter.to_lowercase().next().unwrap_or(letter) {
        'à' | 'â' | 'ä' | 'á' => 'a',
        'é' | 'è' | 'ê' | 'ë' => 'e',
        'î' | 'ï' | 'í' => 'i',
        'ô' | 'ö' | 'ó' => 'o',
        'ù' | 'û' | 'ü' | 'ú' => 'u',
        'ç' => 'c',
        'ÿ' => 'y',
        _ => letter,
    }
}

/// A party needs a name, checked on the merged record so an update cannot remove it either.
pub(crate) fn check_name(record: &Map<String, Value>, errors: &mut FieldErrors) {
    if text(record, "company_name").is_none() {
        push_error(
            errors,
            "company_name",
            "can't be blank: give a company name, or a first or last name",
        );
    }
}

/// Blank is allowed (no country); anything else must be an ISO 3166 alpha-2 code.
pub(crate) fn check_country(record: &Map<String, Value>, errors: &mut FieldErrors) {
    if let Some(country) = record.get("country").and_then(Value::as_str)
        && !country.is_empty()
        && !(country.len() == 2 && country.bytes().all(|byte| byte.is_ascii_uppercase()))
    {
        push_error(
            errors,
            "country",
            "must be a 2-letter ISO country code in upper case, e.g. FR",
        );
    }
}

/// Removes the bank details from a view unless `with_sepa=1` was asked for.
pub(crate) fn hide_sepa(shape: &Shape<'_>, out: &mut Map<String, Value>) {
    if shape.params.get("with_sepa") != Some("1") {
        out.retain(|name, _| !name.starts_with(SEPA_PREFIX));
    }
}

#[cfg(test)]
mod tests {
    use super::account_code_for;

    #[test]
    fn account_codes_follow_the_name() {
        assert_eq!(account_code_for("411", "A small company"), "411ASMALLCO");
        assert_eq!(account_code_for("411", "Café Nœud"), "411CAFENUD");
        assert_eq!(account_code_for("411", "!!"), "411");
        assert_eq!(account_code_for("401", "Office Depot"), "401OFFICEDE");
    }
}
