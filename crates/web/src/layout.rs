//! The page frame every template extends: title, menu, breadcrumbs, notices.

/// A breadcrumb: text and, except for the current page, a link.
#[derive(Debug, Clone)]
pub struct Crumb {
    pub text: String,
    pub href: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Layout {
    pub title: String,
    /// The menu entry to highlight.
    pub active: &'static str,
    pub crumbs: Vec<Crumb>,
    /// A one-line message at the top (after a successful action).
    pub notice: Option<String>,
}

impl Layout {
    pub fn new(title: impl Into<String>, active: &'static str) -> Self {
        Layout { title: title.into(), active, crumbs: Vec::new(), notice: None }
    }

    pub fn crumb(mut self, text: impl Into<String>, href: Option<String>) -> Self {
        self.crumbs.push(Crumb { text: text.into(), href });
        self
    }

    pub fn notice(mut self, n: Option<String>) -> Self {
        self.notice = n;
        self
    }

    pub fn is(&self, item: &str) -> bool {
        self.active == item
    }
}
