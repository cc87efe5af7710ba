//! The organisation scope every repository call takes.
//!
//! A [`Scope`] is the subtree of the affiliation tree that a caller may see: the account's
//! organisation and everything below it. Repository functions take `&Scope` and add its
//! path range to every query, and the table models are private to this crate, so code
//! elsewhere has no way to read or write a row without one.
//!
//! A scope is obtained from a signed-in account or an API token (inside this crate), or
//! narrowed from another scope. The whole tree ([`Scope::system`]) and the subtree of an
//! arbitrary organisation ([`Scope::of_org`]) are the operator's capability: they exist
//! only with the `operator` feature, which the command line and the test kit enable and
//! the web crate does not, so a handler that tried to widen its scope would not compile
//! (`cargo test --doc -p xuepei-web` proves it with a compile-fail example).

use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter};
use xuepei_domain::org::path;

use crate::entity::organization;
use crate::error::{Result, StoreError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    root: Option<ScopeRoot>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct ScopeRoot {
    org_id: i64,
    name: String,
    path: String,
    lo: String,
    hi: String,
    /// Organisations in the subtree, its root included (from the maintained counter).
    subtree_orgs: i64,
}

impl Scope {
    /// The whole system: the command line (the server's operator) and tests only.
    #[cfg(feature = "operator")]
    pub fn system() -> Self {
        Self::whole()
    }

    /// The subtree under any organisation: the command line and tests only.
    #[cfg(feature = "operator")]
    pub async fn of_org(db: &impl ConnectionTrait, org_id: i64) -> Result<Self> {
        Self::of_org_id(db, org_id).await
    }

    /// The whole tree, for this crate's own reviewed uses (an account's own record after
    /// a scoped check, the audit trail's own entries).
    pub(crate) fn whole() -> Self {
        Scope { root: None }
    }

    /// The subtree under an organisation. Reading the root's path is the one unscoped
    /// read: the id comes from an account or token record.
    pub(crate) async fn of_org_id(db: &impl ConnectionTrait, org_id: i64) -> Result<Self> {
        let org = organization::Entity::find_by_id(org_id).one(db).await?.ok_or(StoreError::NotFound("组织"))?;
        Ok(Self::from_org(&org))
    }

    fn from_org(org: &organization::Model) -> Self {
        let (lo, hi) = path::subtree_range(&org.path);
        let name = org.short_name.clone().unwrap_or_else(|| org.name.clone());
        Scope {
            root: Some(ScopeRoot {
                org_id: org.id,
                name,
                path: org.path.clone(),
                lo,
                hi,
                subtree_orgs: org.subtree_orgs,
            }),
        }
    }

    /// A narrower scope under one of this scope's organisations (the organisation
    /// switcher). Refused when the organisation is outside this scope.
    pub async fn narrow(&self, db: &impl ConnectionTrait, org_id: i64) -> Result<Self> {
        let org = organization::Entity::find_by_id(org_id)
            .filter(self.cond(organization::Column::Path))
            .one(db)
            .await?
            .ok_or(StoreError::NotFound("组织"))?;
        Ok(Self::from_org(&org))
    }

    /// A scope of one organisation with nothing below it (a village, a branch): there is
    /// no narrower view to switch to.
    pub fn is_leaf(&self) -> bool {
        self.root.as_ref().is_some_and(|r| r.subtree_orgs <= 1)
    }

    pub fn is_system(&self) -> bool {
        self.root.is_none()
    }

    /// The organisation at the top of the scope (None for the system scope).
    pub fn root_org_id(&self) -> Option<i64> {
        self.root.as_ref().map(|r| r.org_id)
    }

    /// The root organisation's short name ("全部" for the system scope).
    pub fn name(&self) -> &str {
        self.root.as_ref().map_or("全部", |r| r.name.as_str())
    }

    pub fn root_path(&self) -> Option<&str> {
        self.root.as_ref().map(|r| r.path.as_str())
    }

    pub fn contains_path(&self, p: &str) -> bool {
        self.root.as_ref().is_none_or(|r| p.starts_with(&r.path))
    }

    /// `col` lies in the scope's subtree: a range on a byte-ordered, indexed column.
    pub(crate) fn cond(&self, col: impl ColumnTrait) -> Condition {
        match &self.root {
            None => Condition::all(),
            Some(r) => Condition::all().add(col.gte(r.lo.clone())).add(col.lt(r.hi.clone())),
        }
    }

    /// `col` holds the id of an organisation in the scope (for rows that name an
    /// organisation but carry no path: accounts, tokens).
    pub(crate) fn org_id_cond(&self, col: impl ColumnTrait) -> Condition {
        if self.root.is_none() {
            return Condition::all();
        }
        let mut sub = sea_orm::sea_query::Query::select();
        sub.column(organization::Column::Id)
            .from(organization::Entity)
            .cond_where(self.cond(organization::Column::Path));
        Condition::all().add(col.in_subquery(sub.to_owned()))
    }
}

/// `col` lies in the subtree of `p`.
pub(crate) fn subtree_cond(col: impl ColumnTrait, p: &str) -> Condition {
    let (lo, hi) = path::subtree_range(p);
    Condition::all().add(col.gte(lo)).add(col.lt(hi))
}

/// Column `col` (by name, for tables listed in the path registry) lies in the subtree of `p`.
pub(crate) fn subtree_cond_named(col: &str, p: &str) -> Condition {
    let (lo, hi) = path::subtree_range(p);
    use sea_orm::sea_query::{Alias, Expr, ExprTrait};
    let c = || Expr::col(Alias::new(col));
    Condition::all().add(c().gte(lo)).add(c().lt(hi))
}
