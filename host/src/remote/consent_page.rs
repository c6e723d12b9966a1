//! The consent page: which application asks, for which access, on whose behalf. Plain HTML
//! and a form (no script), in French or English after the browser's `Accept-Language`.

use bytes::Bytes;
use http::{HeaderMap, Response};

use super::WRITE_SCOPE;
use super::reply::{escape, html_response};
use crate::store::{Asked, KnownClient};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Language {
    French,
    English,
}

impl Language {
    /// The language the browser prefers among the two (highest `q`, first on a tie);
    /// English when it names neither.
    pub fn from_headers(headers: &HeaderMap) -> Language {
        let Some(accepted) = headers
            .get(http::header::ACCEPT_LANGUAGE)
            .and_then(|value| value.to_str().ok())
        else {
            return Language::English;
        };
        let mut best: Option<(f32, Language)> = None;
        for entry in accepted.split(',') {
            let mut parts = entry.split(';');
            let tag = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
            let quality = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            let language = match tag.split('-').next() {
                Some("fr") => Language::French,
                Some("en") => Language::English,
                _ => continue,
            };
            if quality > 0.0 && best.is_none_or(|(q, _)| quality > q) {
                best = Some((quality, language));
            }
        }
        best.map_or(Language::English, |(_, language)| language)
    }
}

/// The words of the page, in one language.
struct Words {
    lang: &'static str,
    title: &'static str,
    asks: &'static str,
    returns_to: &'static str,
    read_only: &'static str,
    read_write: &'static str,
    next: &'static str,
    allow: &'static str,
    deny: &'static str,
}

const FRENCH: Words = Words {
    lang: "fr",
    title: "Autoriser l'accès à Facturation.PRO",
    asks: "demande l'accès à votre compte Facturation.PRO.",
    returns_to: "Vous serez ensuite renvoyé vers",
    read_only: "Lecture seule : consulter clients, devis, factures, avoirs, règlements et achats",
    read_write: "Lecture et écriture : aussi créer, modifier, envoyer et supprimer",
    next: "Si vous autorisez, Facturation.PRO vous demandera de vous connecter et de confirmer.",
    allow: "Autoriser",
    deny: "Refuser",
};

const ENGLISH: Words = Words {
    lang: "en",
    title: "Allow access to Facturation.PRO",
    asks: "asks for access to your Facturation.PRO account.",
    returns_to: "You will then be sent back to",
    read_only: "Read only: see customers, quotes, invoices, credit notes, settlements and purchases",
    read_write: "Read and write: also create, change, send and delete",
    next: "If you allow it, Facturation.PRO will ask you to sign in and confirm.",
    allow: "Allow",
    deny: "Deny",
};

pub fn render(
    language: Language,
    client: &KnownClient,
    asked: &Asked,
    request_id: &str,
) -> Response<Bytes> {
    let words = match language {
        Language::French => &FRENCH,
        Language::English => &ENGLISH,
    };
    let may_write = asked.scope.split(' ').any(|s| s == WRITE_SCOPE);
    let write_choice = if may_write {
        format!(
            "<label><input type=\"radio\" name=\"access\" value=\"write\" checked> {}</label><br>",
            escape(words.read_write)
        )
    } else {
        String::new()
    };
    let read_checked = if may_write { "" } else { " checked" };
    let html = format!(
        "<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\"><title>{title}</title>\
         <style>body{{font-family:sans-serif;max-width:34em;margin:2em auto;padding:0 1em}}\
         button{{margin:1em 1em 0 0;padding:.5em 1.5em}}</style></head><body>\
         <h1>{title}</h1><p><strong>{name}</strong> <small>({client_id})</small> {asks}</p>\
         <form method=\"post\" action=\"/oauth2/authorize\">\
         <input type=\"hidden\" name=\"request\" value=\"{request_id}\">\
         <p>{write_choice}<label><input type=\"radio\" name=\"access\" value=\"read\"{read_checked}> {read_only}</label></p>\
         <p>{returns_to} <code>{redirect}</code>. {next}</p>\
         <button type=\"submit\" name=\"decision\" value=\"allow\">{allow}</button>\
         <button type=\"submit\" name=\"decision\" value=\"deny\">{deny}</button>\
         </form></body></html>",
        lang = words.lang,
        title = escape(words.title),
        name = escape(&client.client_name),
        client_id = escape(&client.client_id),
        asks = escape(words.asks),
        request_id = escape(request_id),
        read_only = escape(words.read_only),
        returns_to = escape(words.returns_to),
        redirect = escape(&asked.redirect_uri),
        next = escape(words.next),
        allow = escape(words.allow),
        deny = escape(words.deny),
    );
    html_response(200, html)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(accept: &str) -> Language {
        let mut headers = HeaderMap::new();
        headers.insert(http::header::ACCEPT_LANGUAGE, accept.parse().unwrap());
        Language::from_headers(&headers)
    }

    #[test]
    fn picks_the_preferred_of_french_and_english() {
        assert_eq!(with("fr-FR,fr;q=0.9,en;q=0.8"), Language::French);
        assert_eq!(with("en-GB,fr;q=0.5"), Language::English);
        assert_eq!(with("de-DE,fr;q=0.7,en;q=0.3"), Language::French);
        assert_eq!(with("de"), Language::English);
        assert_eq!(with("fr;q=0,en"), Language::English);
        assert_eq!(Language::from_headers(&HeaderMap::new()), Language::English);
    }
}
