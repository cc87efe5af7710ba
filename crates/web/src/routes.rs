//! The route table. Every route is declared here with the access it requires, so that the
//! check cannot be forgotten in a handler, and so that tests can walk every route.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::Request;
use axum::handler::Handler;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, delete, get, post};
use xuepei_domain::accounts::Perm;

use crate::AppState;
use crate::auth::{Auth, api_refusal, login_redirect};
use crate::error::AppError;

/// What a route requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone (sign-in page, health, assets).
    Public,
    /// A signed-in account holding the permission.
    Page(Perm),
    /// A signed-in account, any role (home, own password, sign-out).
    SignedIn,
    /// An API token; `true` when it must allow writing.
    Api { write: bool },
}

/// One declared route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteInfo {
    pub method: &'static str,
    pub path: &'static str,
    pub access: Access,
}

/// The menu's groups, in the order they appear.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum MenuGroup {
    Desk,
    Registry,
    Training,
    Study,
    Admin,
}

impl MenuGroup {
    pub fn title(self) -> &'static str {
        match self {
            MenuGroup::Desk => "工作台",
            MenuGroup::Registry => "基础数据",
            MenuGroup::Training => "教育培训",
            MenuGroup::Study => "理论学习",
            MenuGroup::Admin => "系统管理",
        }
    }
}

/// A menu entry a room declares beside its routes: shown when `visible` says the roles
/// allow it, in its group by `order`.
#[derive(Debug, Clone, Copy)]
pub struct MenuEntry {
    pub group: MenuGroup,
    pub order: u16,
    pub key: &'static str,
    pub label: &'static str,
    pub href: &'static str,
    pub visible: fn(&dyn Fn(Perm) -> bool) -> bool,
}

/// What the rooms declare besides their routes: menu entries and the Chinese labels of the
/// audit actions they record (a code ending in `.` labels every action it begins).
#[derive(Debug, Default)]
pub struct Rooms {
    pub menu: Vec<MenuEntry>,
    pub actions: Vec<(&'static str, &'static str)>,
    /// The Chinese names of the fields in the audit details of the room's records:
    /// (target type, field, name).
    pub fields: Vec<(&'static str, &'static str, &'static str)>,
    /// How the codes a field holds read in Chinese: (target type, field, code to name).
    pub codes: Vec<(&'static str, &'static str, CodeName)>,
}

/// A code's Chinese name, when the code is known.
pub type CodeName = fn(&str) -> Option<&'static str>;

/// Collects routes and the list of them, and each room's menu entries and audit labels.
pub struct Routes {
    by_path: BTreeMap<&'static str, MethodRouter<AppState>>,
    list: Vec<RouteInfo>,
    rooms: Rooms,
}

impl Routes {
    pub fn new() -> Self {
        Routes { by_path: BTreeMap::new(), list: Vec::new(), rooms: Rooms::default() }
    }

    /// Declares a menu entry of the room.
    pub fn menu(mut self, entry: MenuEntry) -> Self {
        self.rooms.menu.push(entry);
        self
    }

    /// Declares the Chinese labels of the audit actions the room records.
    pub fn audit_labels(mut self, labels: &[(&'static str, &'static str)]) -> Self {
        self.rooms.actions.extend_from_slice(labels);
        self
    }

    /// Declares the Chinese names of the fields in the audit details of a target type the
    /// room records (`field`, name).
    pub fn audit_fields(mut self, target: &'static str, fields: &[(&'static str, &'static str)]) -> Self {
        self.rooms.fields.extend(fields.iter().map(|(k, l)| (target, *k, *l)));
        self
    }

    /// Declares how the codes of a field in a target type's audit details read in Chinese.
    pub fn audit_codes(mut self, target: &'static str, codes: &[(&'static str, CodeName)]) -> Self {
        self.rooms.codes.extend(codes.iter().map(|(k, f)| (target, *k, *f)));
        self
    }

    fn add(mut self, method: &'static str, path: &'static str, access: Access, mr: MethodRouter<AppState>) -> Self {
        let guarded = match access {
            Access::Public => mr,
            other => mr.route_layer(middleware::from_fn(move |req: Request, next: Next| guard(other, req, next))),
        };
        let entry = self.by_path.remove(path).map_or(guarded.clone(), |existing| existing.merge(guarded));
        self.by_path.insert(path, entry);
        self.list.push(RouteInfo { method, path, access });
        self
    }

    pub fn get<H, T>(self, path: &'static str, access: Access, h: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add("GET", path, access, get(h))
    }

    pub fn post<H, T>(self, path: &'static str, access: Access, h: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add("POST", path, access, post(h))
    }

    pub fn delete<H, T>(self, path: &'static str, access: Access, h: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add("DELETE", path, access, delete(h))
    }

    pub fn into_rooms(self) -> Rooms {
        self.rooms
    }

    pub fn into_parts(self) -> (Router<AppState>, Vec<RouteInfo>) {
        let mut router = Router::new();
        for (path, mr) in self.by_path {
            router = router.route(path, mr.fallback(crate::error::method_not_allowed));
        }
        (router, self.list)
    }
}

impl std::fmt::Debug for Routes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Routes").field("routes", &self.list.len()).finish()
    }
}

impl Default for Routes {
    fn default() -> Self {
        Self::new()
    }
}

/// The rooms' declarations, gathered once from the route table.
pub fn rooms() -> &'static Rooms {
    static ROOMS: std::sync::LazyLock<Rooms> = std::sync::LazyLock::new(|| crate::pages::routes().into_rooms());
    &ROOMS
}

/// Checks a route's access before its handler runs.
async fn guard(access: Access, req: Request, next: Next) -> Response {
    let auth = req.extensions().get::<Auth>().cloned().unwrap_or_default();
    match access {
        Access::Public => {}
        Access::Api { write } => match &auth.api {
            Some(Ok(t)) if write && !t.token.can_write => {
                return AppError::ApiForbidden(
                    "该接口令牌为只读，不能写入数据（导入、登记或修改）；请使用读写令牌".into(),
                )
                .into_response();
            }
            Some(Ok(_)) => {}
            Some(Err(r)) => return api_refusal(*r).into_response(),
            None => return api_refusal(crate::auth::ApiRefusal::Missing).into_response(),
        },
        Access::SignedIn | Access::Page(_) => {
            let Some(s) = &auth.session else { return login_redirect(&req, auth.expired) };
            if let Some(resp) = crate::auth::password_gate(s, &req) {
                return resp;
            }
            if let Access::Page(p) = access
                && !s.account.roles.can(p)
            {
                return AppError::Forbidden("您的角色没有使用此功能的权限".into()).into_response();
            }
        }
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    use super::rooms;

    /// Every `action: "…"` an entry is recorded with, in the store's and the web's sources.
    fn recorded_actions(dir: &Path, out: &mut BTreeSet<String>) {
        for entry in std::fs::read_dir(dir).expect("sources").flatten() {
            let path = entry.path();
            if path.is_dir() {
                recorded_actions(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("source");
                for part in text.split("action: \"").skip(1) {
                    let code = part.split('"').next().unwrap_or_default();
                    if !code.is_empty() && code.chars().all(|ch| ch.is_ascii_lowercase() || ch == '.' || ch == '_') {
                        out.insert(code.to_owned());
                    }
                }
            }
        }
    }

    #[test]
    fn every_recorded_action_has_a_label_and_every_menu_entry_a_route() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut codes = BTreeSet::new();
        recorded_actions(&root.join("src"), &mut codes);
        recorded_actions(&root.join("../store/src"), &mut codes);
        assert!(codes.contains("campaign.create"), "the scan finds the entries");
        let labelled = |c: &str| rooms().actions.iter().any(|(a, _)| *a == c || (a.ends_with('.') && c.starts_with(a)));
        let missing: Vec<&String> = codes.iter().filter(|c| !labelled(c)).collect();
        assert!(missing.is_empty(), "audit actions without a Chinese label (declare them in their room): {missing:?}");

        let routes = crate::route_list();
        let mut keys = BTreeSet::new();
        for e in &rooms().menu {
            assert!(keys.insert(e.key), "menu key {} declared twice", e.key);
            assert!(
                routes.iter().any(|r| r.method == "GET" && r.path == e.href),
                "menu entry {} points at {}, which is no GET route",
                e.label,
                e.href
            );
        }
    }
}
