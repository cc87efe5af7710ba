//! Our own CSS and JavaScript, embedded in the binary: nothing is loaded from outside.
//!
//! Pages link each file by a URL that carries a hash of its content, served as immutable:
//! browsers cache it for a year, and an upgrade changes the URL, so no one runs new pages
//! against stale CSS or JS. The plain URLs still answer, with a short cache.

use std::sync::LazyLock;

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use sha2::{Digest, Sha256};

use crate::AppState;

const CSS: &str = include_str!("../assets/app.css");
const JS: &str = include_str!("../assets/app.js");

fn hashed(stem: &str, ext: &str, body: &str) -> String {
    let digest = hex::encode(Sha256::digest(body.as_bytes()));
    format!("/assets/{stem}.{}.{ext}", &digest[..12])
}

static CSS_HREF: LazyLock<String> = LazyLock::new(|| hashed("app", "css", CSS));
static JS_HREF: LazyLock<String> = LazyLock::new(|| hashed("app", "js", JS));

/// The stylesheet's URL, with its content hash.
pub fn css_href() -> &'static str {
    &CSS_HREF
}

/// The script's URL, with its content hash.
pub fn js_href() -> &'static str {
    &JS_HREF
}

const CSS_TYPE: &str = "text/css; charset=utf-8";
const JS_TYPE: &str = "text/javascript; charset=utf-8";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(css_href(), get(|| async { asset(CSS_TYPE, CSS, true) }))
        .route(js_href(), get(|| async { asset(JS_TYPE, JS, true) }))
        .route("/assets/app.css", get(|| async { asset(CSS_TYPE, CSS, false) }))
        .route("/assets/app.js", get(|| async { asset(JS_TYPE, JS, false) }))
}

fn asset(content_type: &'static str, body: &'static str, immutable: bool) -> impl IntoResponse {
    let cache = if immutable { "public, max-age=31536000, immutable" } else { "public, max-age=300" };
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, cache)], body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asset_urls_change_with_their_content() {
        assert!(css_href().starts_with("/assets/app.") && css_href().ends_with(".css"));
        assert_ne!(hashed("app", "css", "a{}"), hashed("app", "css", "b{}"));
        assert_eq!(hashed("app", "css", CSS), css_href());
    }
}
