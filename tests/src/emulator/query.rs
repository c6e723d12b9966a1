//! Query string decoding shared by the recorder and the list endpoints.

/// Decodes `a=1&b=x%20y` into ordered `(name, value)` pairs, `+` meaning a space as in forms.
pub(crate) fn decode(query: Option<&str>) -> Vec<(String, String)> {
    query
        .map(|query| {
            form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default()
}

/// The query of a request, as an API endpoint reads it.
pub(crate) struct QueryParams(Vec<(String, String)>);

impl QueryParams {
    pub(crate) fn new(query: Option<&str>) -> Self {
        Self(decode(query))
    }

    /// The first value given for `name`. An empty value (`?company=`) counts as absent, the
    /// way a form left blank means "no filter".
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
            .filter(|value| !value.is_empty())
    }
}
