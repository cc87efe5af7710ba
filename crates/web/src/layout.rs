//! The page frame every template extends: title, the menu the user's roles allow,
//! breadcrumbs, the user box and the CSRF token forms carry.

use xuepei_domain::accounts::Perm;

use crate::auth::Ctx;

/// A breadcrumb: text and, except for the current page, a link.
#[derive(Debug, Clone)]
pub struct Crumb {
    pub text: String,
    pub href: Option<String>,
}

#[derive(Debug, Clone)]
pub struct MenuItem {
    pub key: &'static str,
    pub label: &'static str,
    pub href: &'static str,
}

#[derive(Debug, Clone)]
pub struct MenuGroup {
    pub title: &'static str,
    pub items: Vec<MenuItem>,
}

#[derive(Debug, Clone)]
pub struct UserBox {
    pub name: String,
    /// Marks what the page keeps in the browser (a form's draft) as this account's.
    pub username: String,
    pub roles: String,
    pub scope: String,
    /// The switcher narrowed the scope.
    pub narrowed: bool,
    pub base_scope: String,
    /// The switcher is offered only where there is something to switch to.
    pub can_switch: bool,
    /// Unread notifications (the bell), when counted.
    pub bell: Option<usize>,
}

#[derive(Debug, Clone)]
pub struct Layout {
    pub title: String,
    /// The menu entry to highlight.
    pub active: &'static str,
    pub crumbs: Vec<Crumb>,
    /// A one-line message at the top (after a successful action).
    pub notice: Option<String>,
    pub user: Option<UserBox>,
    pub menu: Vec<MenuGroup>,
    pub csrf: String,
}

/// The menu the roles allow, from the entries each room declares with its routes.
fn menu_for(can: impl Fn(Perm) -> bool) -> Vec<MenuGroup> {
    let mut entries: Vec<_> = crate::routes::rooms().menu.iter().filter(|e| (e.visible)(&can)).collect();
    entries.sort_by_key(|e| (e.group, e.order));
    let mut groups: Vec<MenuGroup> = Vec::new();
    for e in entries {
        let item = MenuItem { key: e.key, label: e.label, href: e.href };
        match groups.last_mut() {
            Some(g) if g.title == e.group.title() => g.items.push(item),
            _ => groups.push(MenuGroup { title: e.group.title(), items: vec![item] }),
        }
    }
    groups
}

impl Layout {
    /// A page for a signed-in user.
    pub fn new(ctx: &Ctx, title: impl Into<String>, active: &'static str) -> Self {
        let a = &ctx.session.account;
        let roles = a.roles;
        Layout {
            title: title.into(),
            active,
            crumbs: Vec::new(),
            notice: None,
            user: Some(UserBox {
                name: a.display_name.clone(),
                username: a.username.clone(),
                roles: roles.labels(),
                scope: ctx.scope.name().to_owned(),
                narrowed: ctx.session.current_org_id.is_some(),
                base_scope: ctx.session.base_scope.name().to_owned(),
                can_switch: ctx.session.account.roles.can(Perm::ORGS_VIEW) && !ctx.session.base_scope.is_leaf(),
                bell: ctx.bell,
            }),
            menu: menu_for(|p| roles.can(p)),
            csrf: ctx.csrf().to_owned(),
        }
    }

    /// A page without a signed-in user (sign-in, errors).
    pub fn bare(title: impl Into<String>) -> Self {
        Layout {
            title: title.into(),
            active: "",
            crumbs: Vec::new(),
            notice: None,
            user: None,
            menu: Vec::new(),
            csrf: String::new(),
        }
    }

    pub fn crumb(mut self, text: impl Into<String>, href: Option<String>) -> Self {
        self.crumbs.push(Crumb { text: text.into(), href });
        self
    }

    pub fn notice(mut self, n: Option<String>) -> Self {
        self.notice = n;
        self
    }

    /// The stylesheet's content-hashed URL.
    pub fn css_href(&self) -> &'static str {
        crate::assets::css_href()
    }

    /// The script's content-hashed URL.
    pub fn js_href(&self) -> &'static str {
        crate::assets::js_href()
    }

    pub fn is(&self, item: &str) -> bool {
        self.active == item
    }
}
