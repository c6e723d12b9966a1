//! Scopes: the vendor's two (`read`, `read_write`), how a requested scope string is checked
//! (Doorkeeper's `ScopeChecker`), and what each lets a token do on the API.

/// Every scope the server knows.
pub(crate) const SERVER_SCOPES: [&str; 2] = ["read", "read_write"];

/// The scope a token needs to change anything through the API.
pub(crate) const WRITE_SCOPE: &str = "read_write";

/// Space-separated scopes, without repeats, in the order given.
pub(crate) fn parse(text: &str) -> Vec<String> {
    let mut scopes: Vec<String> = Vec::new();
    for name in text.split(' ').filter(|name| !name.is_empty()) {
        if !scopes.iter().any(|known| known == name) {
            scopes.push(name.to_owned());
        }
    }
    scopes
}

/// The form used in token answers: `"read read_write"`.
pub(crate) fn join(scopes: &[String]) -> String {
    scopes.join(" ")
}

/// Whether `text` asks only for scopes in `allowed`. As in Doorkeeper, an empty string and
/// one with tabs or line breaks are malformed.
pub(crate) fn valid(text: &str, allowed: &[String]) -> bool {
    let requested = parse(text);
    !requested.is_empty()
        && !text.contains(['\n', '\r', '\t'])
        && requested.iter().all(|name| allowed.contains(name))
}

/// Whether a token with `scopes` may use a method that changes data.
pub(crate) fn allows_writes(scopes: &[String]) -> bool {
    scopes.iter().any(|name| name == WRITE_SCOPE)
}

#[cfg(test)]
mod tests {
    use super::{allows_writes, join, parse, valid};

    fn owned(names: &[&str]) -> Vec<String> {
        names.iter().map(|name| (*name).to_owned()).collect()
    }

    #[test]
    fn parses_and_joins() {
        assert_eq!(
            parse("read  read_write read"),
            owned(&["read", "read_write"])
        );
        assert_eq!(join(&owned(&["read", "read_write"])), "read read_write");
        assert!(parse("   ").is_empty());
    }

    #[test]
    fn checks_requested_scopes_against_allowed_ones() {
        let allowed = owned(&["read", "read_write"]);
        assert!(valid("read", &allowed));
        assert!(valid("read read_write", &allowed));
        assert!(!valid("write", &allowed));
        assert!(!valid("read admin", &allowed));
        assert!(!valid("", &allowed));
        assert!(!valid("read\tread_write", &allowed));
        assert!(!valid("read_write", &owned(&["read"])));
    }

    #[test]
    fn only_read_write_allows_changes() {
        assert!(allows_writes(&owned(&["read", "read_write"])));
        assert!(!allows_writes(&owned(&["read"])));
    }
}
