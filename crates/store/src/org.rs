//! Organisations: the affiliation tree, read and changed within a scope.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, LikeExpr};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult, Order, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use xuepei_domain::labels::Labeled;
use xuepei_domain::org::{OrgKind, Sector, path};

use crate::audit::{Entry, Tx, json};
use crate::entity::{organization, person};
use crate::error::{Result, StoreError};
use crate::scope::{Scope, subtree_cond};
use crate::sql;

/// Unique keys of organisations (see `error::UniqueKey`).
pub(crate) const UNIQUE_KEYS: &[crate::error::UniqueKey] = &[crate::error::UniqueKey {
    index: "ux_organizations_code",
    columns: "organizations.code",
    message: "组织代码已被其他组织使用（可能刚被其他用户同时登记），未保存。请核对组织代码后再提交",
}];

/// An organisation as the rest of the system sees it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Org {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub short_name: Option<String>,
    pub kind: OrgKind,
    pub sector: Sector,
    pub parent_id: Option<i64>,
    pub path: String,
    pub depth: i32,
    pub authority_org_id: Option<i64>,
    pub active: bool,
    /// People attached directly to this organisation.
    pub person_count: i64,
    /// People in the subtree (maintained with every write).
    pub subtree_people: i64,
    /// Organisations in the subtree, this one included (maintained with every write).
    pub subtree_orgs: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Org {
    /// The short name when there is one: what lists and breadcrumbs show.
    pub fn display_name(&self) -> &str {
        self.short_name.as_deref().unwrap_or(&self.name)
    }
}

impl From<organization::Model> for Org {
    fn from(m: organization::Model) -> Self {
        Org {
            id: m.id,
            kind: OrgKind::from_code(&m.kind).unwrap_or(OrgKind::Unit),
            sector: Sector::from_code(&m.sector).unwrap_or(Sector::Other),
            code: m.code,
            name: m.name,
            short_name: m.short_name,
            parent_id: m.parent_id,
            path: m.path,
            depth: m.depth,
            authority_org_id: m.authority_org_id,
            active: m.active,
            person_count: m.person_count,
            subtree_people: m.subtree_people,
            subtree_orgs: m.subtree_orgs,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

/// What a form or an import row sets on an organisation, with references resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgInput {
    pub code: String,
    pub name: String,
    pub short_name: Option<String>,
    pub kind: OrgKind,
    pub sector: Sector,
    pub parent_id: Option<i64>,
    pub authority_org_id: Option<i64>,
}

/// A tree node with its subtree's totals.
#[derive(Debug, Clone, serde::Serialize)]
pub struct OrgNode {
    pub org: Org,
    /// Organisations below this one (not counting itself).
    pub descendants: i64,
    /// People in the whole subtree.
    pub people: i64,
}

/// Counts over a subtree.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct SubtreeTotals {
    pub orgs: i64,
    pub people: i64,
}

pub(crate) fn now() -> DateTime<Utc> {
    // Microseconds: the finest precision every backend stores.
    let t = Utc::now();
    DateTime::from_timestamp_micros(t.timestamp_micros()).unwrap_or(t)
}

/// One organisation by id.
pub async fn get(db: &impl ConnectionTrait, scope: &Scope, id: i64) -> Result<Org> {
    organization::Entity::find_by_id(id)
        .filter(scope.cond(organization::Column::Path))
        .one(db)
        .await?
        .map(Org::from)
        .ok_or(StoreError::NotFound("组织"))
}

/// One organisation by code.
pub async fn get_by_code(db: &impl ConnectionTrait, scope: &Scope, code: &str) -> Result<Org> {
    organization::Entity::find()
        .filter(organization::Column::Code.eq(code))
        .filter(scope.cond(organization::Column::Path))
        .one(db)
        .await?
        .map(Org::from)
        .ok_or(StoreError::NotFound("组织"))
}

/// Several organisations by id (those outside the scope are left out).
pub async fn get_many(db: &impl ConnectionTrait, scope: &Scope, ids: &[i64]) -> Result<HashMap<i64, Org>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = organization::Entity::find()
        .filter(organization::Column::Id.is_in(ids.iter().copied()))
        .filter(scope.cond(organization::Column::Path))
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|m| (m.id, Org::from(m))).collect())
}

/// The chain from the scope's root (or the tree's root) down to `id`, for breadcrumbs.
pub async fn ancestors(db: &impl ConnectionTrait, scope: &Scope, id: i64) -> Result<Vec<Org>> {
    let org = get(db, scope, id).await?;
    let ids = path::ids(&org.path);
    let found = get_many(db, scope, &ids).await?;
    Ok(ids.iter().filter_map(|i| found.get(i).cloned()).collect())
}

/// Organisations and people in the subtree of organisation `id` (inside the scope), read
/// from its maintained counters: one row, whatever the size of the subtree.
pub async fn subtree_totals(db: &impl ConnectionTrait, scope: &Scope, id: i64) -> Result<SubtreeTotals> {
    let m = organization::Entity::find_by_id(id)
        .filter(scope.cond(organization::Column::Path))
        .one(db)
        .await?
        .ok_or(StoreError::NotFound("组织"))?;
    Ok(SubtreeTotals { orgs: m.subtree_orgs, people: m.subtree_people })
}

/// Totals of the whole scope.
pub async fn scope_totals(db: &impl ConnectionTrait, scope: &Scope) -> Result<SubtreeTotals> {
    match scope.root_org_id() {
        Some(id) => subtree_totals(db, scope, id).await,
        None => {
            let backend = db.get_database_backend();
            let row: Option<(i64, i64)> = organization::Entity::find()
                .select_only()
                .column_as(sql::sum_i64(backend, "subtree_orgs"), "orgs")
                .column_as(sql::sum_i64(backend, "subtree_people"), "people")
                .filter(organization::Column::ParentId.is_null())
                .into_tuple()
                .one(db)
                .await?;
            let (orgs, people) = row.unwrap_or_default();
            Ok(SubtreeTotals { orgs, people })
        }
    }
}

/// Organisations and their direct people by sector, over the active organisations of the
/// scope (one range scan of the organisations table).
pub async fn sector_breakdown(db: &impl ConnectionTrait, scope: &Scope) -> Result<Vec<(Sector, i64, i64)>> {
    let backend = db.get_database_backend();
    let rows: Vec<(String, i64, i64)> = organization::Entity::find()
        .select_only()
        .column(organization::Column::Sector)
        .column_as(Expr::cust("COUNT(*)"), "orgs")
        .column_as(sql::sum_i64(backend, "person_count"), "people")
        .filter(scope.cond(organization::Column::Path))
        .filter(organization::Column::Active.eq(true))
        .group_by(organization::Column::Sector)
        .into_tuple()
        .all(db)
        .await?;
    let mut out: Vec<(Sector, i64, i64)> =
        rows.into_iter().map(|(s, o, p)| (Sector::from_code(&s).unwrap_or(Sector::Other), o, p)).collect();
    out.sort_by_key(|(s, ..)| *s);
    Ok(out)
}

/// The children of `parent` (or the scope's top when `None`) with subtree totals.
pub async fn children(
    db: &impl ConnectionTrait,
    scope: &Scope,
    parent: Option<i64>,
    include_inactive: bool,
) -> Result<Vec<OrgNode>> {
    let mut q = organization::Entity::find().filter(scope.cond(organization::Column::Path));
    q = match (parent, scope.root_org_id()) {
        (Some(p), _) => q.filter(organization::Column::ParentId.eq(p)),
        (None, Some(root)) => q.filter(organization::Column::Id.eq(root)),
        (None, None) => q.filter(organization::Column::ParentId.is_null()),
    };
    if !include_inactive {
        q = q.filter(organization::Column::Active.eq(true));
    }
    let rows = q.order_by(organization::Column::Code, Order::Asc).all(db).await?;
    Ok(rows
        .into_iter()
        .map(|m| OrgNode { descendants: m.subtree_orgs - 1, people: m.subtree_people, org: Org::from(m) })
        .collect())
}

/// Filters for organisation lists.
#[derive(Debug, Clone, Default)]
pub struct OrgFilter {
    /// Prefix of the code, the name or the short name.
    pub q: Option<String>,
    pub sector: Option<Sector>,
    pub kind: Option<OrgKind>,
    /// Only this organisation's subtree (must lie in the scope).
    pub under: Option<i64>,
    pub include_inactive: bool,
}

pub use crate::page::{At, Page};

async fn filter_condition(db: &impl ConnectionTrait, scope: &Scope, f: &OrgFilter) -> Result<Condition> {
    let mut c = scope.cond(organization::Column::Path);
    if let Some(under) = f.under {
        let org = get(db, scope, under).await?;
        c = c.add(subtree_cond(organization::Column::Path, &org.path));
    }
    if let Some(q) = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let code = q.to_ascii_uppercase();
        c = c.add(
            Condition::any()
                .add(prefix_cond(organization::Column::Code, &code))
                .add(contains_cond(organization::Column::Name, q))
                .add(contains_cond(organization::Column::ShortName, q)),
        );
    }
    if let Some(s) = f.sector {
        c = c.add(organization::Column::Sector.eq(s.code()));
    }
    if let Some(k) = f.kind {
        c = c.add(organization::Column::Kind.eq(k.code()));
    }
    if !f.include_inactive {
        c = c.add(organization::Column::Active.eq(true));
    }
    Ok(c)
}

/// `col` starts with `prefix`, as an index range (byte-ordered columns).
pub(crate) fn prefix_cond(col: impl ColumnTrait, prefix: &str) -> Condition {
    let mut hi = prefix.to_owned();
    hi.push(char::MAX);
    Condition::all().add(col.gte(prefix)).add(col.lt(hi))
}

/// `col` holds `part` anywhere: a LIKE that no index serves, so it narrows a scoped range.
pub(crate) fn contains_cond(col: impl ColumnTrait, part: &str) -> Condition {
    Condition::all().add(col.like(like_pattern("%", part, "%")))
}

/// `col` ends with `tail`.
pub(crate) fn suffix_cond(col: impl ColumnTrait, tail: &str) -> Condition {
    Condition::all().add(col.like(like_pattern("%", tail, "")))
}

/// A LIKE pattern matching `text` literally between `before` and `after` (`!` escapes,
/// a character that every backend's string literals take as it is).
fn like_pattern(before: &str, text: &str, after: &str) -> LikeExpr {
    let mut p = String::from(before);
    for ch in text.chars() {
        if matches!(ch, '!' | '%' | '_') {
            p.push('!');
        }
        p.push(ch);
    }
    p.push_str(after);
    LikeExpr::new(p).escape('!')
}

/// A page of organisations ordered by code.
pub async fn list(
    db: &impl ConnectionTrait,
    scope: &Scope,
    f: &OrgFilter,
    at: At<'_>,
    limit: u64,
) -> Result<Page<Org>> {
    let mut c = filter_condition(db, scope, f).await?;
    if let Some(k) = at.key_cond(organization::Column::Code) {
        c = c.add(k);
    }
    let (limit, fetch) = crate::page::fetch(limit, 1000);
    let mut q = organization::Entity::find().filter(c).order_by(organization::Column::Code, at.order()).limit(fetch);
    if let Some(skip) = at.offset(limit) {
        q = q.offset(skip);
    }
    Ok(crate::page::page_of(q.all(db).await?, limit, at, |m| m.code.clone(), Org::from))
}

/// How many organisations match (for list headers).
pub async fn count(db: &impl ConnectionTrait, scope: &Scope, f: &OrgFilter) -> Result<u64> {
    let c = filter_condition(db, scope, f).await?;
    Ok(organization::Entity::find().filter(c).count(db).await?)
}

/// Every matching organisation, ordered by code, for export.
pub async fn all(db: &impl ConnectionTrait, scope: &Scope, f: &OrgFilter) -> Result<Vec<Org>> {
    let c = filter_condition(db, scope, f).await?;
    let rows = organization::Entity::find().filter(c).order_by(organization::Column::Code, Order::Asc).all(db).await?;
    Ok(rows.into_iter().map(Org::from).collect())
}

/// Organisations that may be named as the management authority (干部管理单位): any in
/// the scope, and the departments attached to the scope's ancestors (the city's
/// organisation department manages a county's leadership).
fn authority_cond(scope: &Scope) -> Condition {
    let mut c = Condition::any().add(scope.cond(organization::Column::Path));
    if let Some(root) = scope.root_path() {
        c = c.add(
            Condition::all()
                .add(organization::Column::ParentId.is_in(path::ids(root)))
                .add(organization::Column::Kind.eq(OrgKind::Department.code())),
        );
    }
    c
}

/// The departments that may be named as a management authority, for form choices.
pub async fn authority_candidates(db: &impl ConnectionTrait, scope: &Scope) -> Result<Vec<Org>> {
    let rows = organization::Entity::find()
        .filter(authority_cond(scope))
        .filter(organization::Column::Kind.eq(OrgKind::Department.code()))
        .filter(organization::Column::Active.eq(true))
        .order_by(organization::Column::Code, Order::Asc)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(Org::from).collect())
}

/// The management authority (干部管理单位) a record names, as the scope may read it: any
/// organisation of the scope or a department above it — one row, not the candidate list.
pub async fn authority(db: &impl ConnectionTrait, scope: &Scope, id: i64) -> Result<Option<Org>> {
    Ok(organization::Entity::find_by_id(id).filter(authority_cond(scope)).one(db).await?.map(Org::from))
}

/// Finds the organisation a form's text names (a code, "名称（代码）", a full name or a
/// unique short name) among those visible to the scope; `authority` also admits the
/// departments above it. The error is a Chinese message for the field.
pub async fn resolve_ref(db: &impl ConnectionTrait, scope: &Scope, text: &str, authority: bool) -> Result<Org> {
    let visible = if authority { authority_cond(scope) } else { scope.cond(organization::Column::Path) };
    let field = if authority { "managing_org" } else { "org" };
    // Refused before any lookup: a NUL reaches no database, and no name is this long.
    if text.chars().any(char::is_control) {
        return Err(StoreError::invalid(field, "组织代码或名称中含有不可见的控制字符，请重新输入"));
    }
    if text.chars().count() > 100 {
        return Err(StoreError::invalid(field, "组织代码或名称不能超过100个字，请从列表中选择"));
    }
    let (name, code) = path_ref_parts(text);
    let code = code.unwrap_or_else(|| xuepei_domain::text::compact(name).to_ascii_uppercase());
    let by_code = organization::Entity::find()
        .filter(organization::Column::Code.eq(code.as_str()))
        .filter(visible.clone())
        .one(db)
        .await?;
    if let Some(m) = by_code {
        return Ok(Org::from(m));
    }
    for (col, what) in [(organization::Column::Name, "全称"), (organization::Column::ShortName, "简称")] {
        let found = organization::Entity::find().filter(col.eq(name)).filter(visible.clone()).limit(6).all(db).await?;
        match found.len() {
            0 => {}
            1 => return Ok(Org::from(found.into_iter().next().ok_or(StoreError::NotFound("组织"))?)),
            _ => {
                let shown: Vec<String> = found.iter().take(5).map(|o| format!("{}（{}）", o.name, o.code)).collect();
                return Err(StoreError::invalid(
                    field,
                    format!("“{name}”作为{what}对应多个组织：{}，请填写组织代码", shown.join("、")),
                ));
            }
        }
    }
    Err(StoreError::invalid(field, format!("在您的管理范围内未找到组织“{name}”，请填写组织代码、全称或唯一的简称")))
}

async fn check_authority(db: &impl ConnectionTrait, scope: &Scope, id: Option<i64>) -> Result<()> {
    let Some(id) = id else { return Ok(()) };
    if scope.is_system() {
        return get(db, scope, id).await.map(|_| ());
    }
    if authority_candidates(db, scope).await?.iter().any(|o| o.id == id) || get(db, scope, id).await.is_ok() {
        Ok(())
    } else {
        Err(StoreError::invalid("authority", "干部管理单位须为本级或上级的组织部门"))
    }
}

async fn check_code_free(db: &impl ConnectionTrait, code: &str, except: Option<i64>) -> Result<()> {
    let mut q = organization::Entity::find().filter(organization::Column::Code.eq(code));
    if let Some(id) = except {
        q = q.filter(organization::Column::Id.ne(id));
    }
    if q.count(db).await? > 0 {
        return Err(StoreError::invalid("code", format!("组织代码“{code}”已被使用，请换一个")));
    }
    Ok(())
}

/// Creates an organisation under `input.parent_id`, which must lie in the scope; only the
/// system scope may create a top-level organisation.
pub async fn create(tx: &Tx, input: &OrgInput) -> Result<Org> {
    let (db, scope) = (tx.conn(), tx.scope());
    let parent = match input.parent_id {
        Some(pid) => Some(get(db, scope, pid).await?),
        None if scope.is_system() => None,
        None => return Err(StoreError::invalid("parent", "请选择上级组织（只能在您管理的组织之下新增）")),
    };
    if let Some(p) = &parent
        && !p.active
    {
        return Err(StoreError::invalid("parent", format!("上级组织“{}”已撤销，不能在其下新增组织", p.display_name())));
    }
    check_code_free(db, &input.code, None).await?;
    check_authority(db, scope, input.authority_org_id).await?;
    insert_org(tx, input, parent.as_ref().map(|p| p.path.as_str())).await
}

/// Inserts a row whose checks were done by the caller; the path needs the new id, so it
/// is written in a second statement.
pub(crate) async fn insert_org(tx: &Tx, input: &OrgInput, parent_path: Option<&str>) -> Result<Org> {
    let org = insert_org_row(tx, input, parent_path).await?;
    if let Some(pp) = parent_path {
        add_to_ancestors(tx.conn(), &path::ids(pp), 1, 0).await?;
    }
    Ok(org)
}

/// Inserts an organisation without counting it in its ancestors' `subtree_orgs`: an import
/// adds those up and applies them once with [`add_orgs`] (PostgreSQL slows down sharply when
/// one transaction updates the same row thousands of times).
pub(crate) async fn insert_org_row(tx: &Tx, input: &OrgInput, parent_path: Option<&str>) -> Result<Org> {
    let db = tx.conn();
    let t = now();
    let am = organization::ActiveModel {
        code: Set(input.code.clone()),
        name: Set(input.name.clone()),
        short_name: Set(input.short_name.clone()),
        kind: Set(input.kind.code().to_owned()),
        sector: Set(input.sector.code().to_owned()),
        parent_id: Set(input.parent_id),
        path: Set(String::new()),
        depth: Set(parent_path.map_or(1, |p| path::depth(p) as i32 + 1)),
        authority_org_id: Set(input.authority_org_id),
        active: Set(true),
        person_count: Set(0),
        subtree_people: Set(0),
        subtree_orgs: Set(1),
        created_at: Set(t),
        updated_at: Set(t),
        ..Default::default()
    };
    let res = organization::Entity::insert(am).exec(db).await?;
    let id = res.last_insert_id;
    let p = path::child(parent_path, id);
    organization::Entity::update_many()
        .col_expr(organization::Column::Path, Expr::value(p.clone()))
        .filter(organization::Column::Id.eq(id))
        .exec(db)
        .await?;
    let m = organization::Entity::find_by_id(id).one(db).await?.ok_or(StoreError::NotFound("组织"))?;
    let org = Org::from(m);
    tx.record(Entry {
        action: "org.create",
        target_type: "org",
        target_id: Some(org.id.to_string()),
        scope_path: org.path.clone(),
        summary: format!("新增组织“{}”（{}）", org.name, org.code),
        before: None,
        after: json(&org),
    });
    Ok(org)
}

/// Changes an organisation; a new parent moves its whole subtree.
pub async fn update(tx: &Tx, id: i64, input: &OrgInput) -> Result<Org> {
    let (db, scope) = (tx.conn(), tx.scope());
    let org = get(db, scope, id).await?;
    if input.code != org.code {
        check_code_free(db, &input.code, Some(id)).await?;
    }
    if input.authority_org_id != org.authority_org_id {
        check_authority(db, scope, input.authority_org_id).await?;
    }
    if input.parent_id != org.parent_id {
        match input.parent_id {
            Some(p) => {
                move_subtree(tx, id, p).await?;
            }
            None => return Err(StoreError::invalid("parent", "请选择上级组织")),
        }
    }
    organization::Entity::update_many()
        .col_expr(organization::Column::Code, Expr::value(input.code.clone()))
        .col_expr(organization::Column::Name, Expr::value(input.name.clone()))
        .col_expr(organization::Column::ShortName, Expr::value(input.short_name.clone()))
        .col_expr(organization::Column::Kind, Expr::value(input.kind.code()))
        .col_expr(organization::Column::Sector, Expr::value(input.sector.code()))
        .col_expr(organization::Column::AuthorityOrgId, Expr::value(input.authority_org_id))
        .col_expr(organization::Column::UpdatedAt, Expr::value(now()))
        .filter(organization::Column::Id.eq(id))
        .exec(db)
        .await?;
    if input.sector != org.sector {
        person::Entity::update_many()
            .col_expr(person::Column::OrgSector, Expr::value(input.sector.code()))
            .filter(person::Column::OrgId.eq(id))
            .exec(db)
            .await?;
    }
    let after = get(db, scope, id).await?;
    tx.record(Entry {
        action: "org.update",
        target_type: "org",
        target_id: Some(id.to_string()),
        scope_path: after.path.clone(),
        summary: format!("修改组织“{}”（{}）", after.name, after.code),
        before: json(&org),
        after: json(&after),
    });
    Ok(after)
}

/// Moves an organisation and everything below it under `new_parent`. Refused when the
/// new parent is the organisation itself or one of its descendants, or when the
/// organisation is the scope's own root.
pub async fn move_subtree(tx: &Tx, id: i64, new_parent: i64) -> Result<Org> {
    let (db, scope) = (tx.conn(), tx.scope());
    let org = get(db, scope, id).await?;
    if scope.root_org_id() == Some(id) {
        return Err(StoreError::Forbidden("不能移动本级组织（您管理范围的最上级组织），请联系上级组织部门".into()));
    }
    let parent = get(db, scope, new_parent).await?;
    if path::contains(&org.path, &parent.path) {
        return Err(StoreError::invalid(
            "parent",
            format!("不能把“{}”移动到它自己或其下级组织“{}”之下", org.display_name(), parent.display_name()),
        ));
    }
    if org.parent_id == Some(new_parent) {
        return Ok(org);
    }
    let backend = db.get_database_backend();
    let old_ancestors = path::ids(&org.path);
    let old_ancestors = &old_ancestors[..old_ancestors.len().saturating_sub(1)];
    add_to_ancestors(db, old_ancestors, -org.subtree_orgs, -org.subtree_people).await?;
    add_to_ancestors(db, &path::ids(&parent.path), org.subtree_orgs, org.subtree_people).await?;
    let new_path = path::child(Some(&parent.path), id);
    let depth_delta = path::depth(&new_path) as i32 - path::depth(&org.path) as i32;
    organization::Entity::update_many()
        .col_expr(organization::Column::Path, sql::replace_prefix(backend, "path", &new_path, org.path.len()))
        .col_expr(organization::Column::Depth, Expr::col(organization::Column::Depth).add(depth_delta))
        .filter(subtree_cond(organization::Column::Path, &org.path))
        .exec(db)
        .await?;
    crate::paths::rewrite_prefix(db, &org.path, &new_path).await?;
    // Other quota rules may be in force under the new parent.
    crate::quota_figures::recount(db, crate::quota_figures::Leaders::Under(&new_path)).await?;
    organization::Entity::update_many()
        .col_expr(organization::Column::ParentId, Expr::value(new_parent))
        .col_expr(organization::Column::UpdatedAt, Expr::value(now()))
        .filter(organization::Column::Id.eq(id))
        .exec(db)
        .await?;
    let after = get(db, scope, id).await?;
    tx.record(Entry {
        action: "org.move",
        target_type: "org",
        target_id: Some(id.to_string()),
        scope_path: after.path.clone(),
        summary: format!("将“{}”及其{}个下级组织移至“{}”之下", org.name, org.subtree_orgs - 1, parent.name),
        before: json(&serde_json::json!({ "parent_id": org.parent_id, "path": org.path })),
        after: json(&serde_json::json!({ "parent_id": after.parent_id, "path": after.path })),
    });
    Ok(after)
}

/// Deactivates (撤销) an organisation and its subtree. Rows, people and history stay;
/// deactivated organisations drop out of lists and accept no new people.
pub async fn deactivate(tx: &Tx, id: i64) -> Result<u64> {
    let (db, scope) = (tx.conn(), tx.scope());
    let org = get(db, scope, id).await?;
    if scope.root_org_id() == Some(id) {
        return Err(StoreError::Forbidden("不能撤销本级组织（您管理范围的最上级组织）".into()));
    }
    set_active(tx, &org, subtree_cond(organization::Column::Path, &org.path), false).await
}

/// Restores a deactivated organisation, and its subtree when `subtree` is set. The parent
/// must be active.
pub async fn reactivate(tx: &Tx, id: i64, subtree: bool) -> Result<u64> {
    let (db, scope) = (tx.conn(), tx.scope());
    let org = get(db, scope, id).await?;
    // The top of a scope was deactivated from above; restoring it is for the level above too.
    if scope.root_org_id() == Some(id) {
        return Err(StoreError::Forbidden("不能恢复本级组织（您管理范围的最上级组织），请由上级组织办理".into()));
    }
    if let Some(pid) = org.parent_id
        && let Ok(p) = get(db, scope, pid).await
        && !p.active
    {
        return Err(StoreError::Conflict(format!("上级组织“{}”已撤销，请先恢复上级组织", p.display_name())));
    }
    let cond = if subtree {
        subtree_cond(organization::Column::Path, &org.path)
    } else {
        Condition::all().add(organization::Column::Id.eq(id))
    };
    set_active(tx, &org, cond, true).await
}

/// Sets `active` on the organisations of `cond` (`org` and maybe its subtree) and records
/// how many changed.
async fn set_active(tx: &Tx, org: &Org, cond: Condition, active: bool) -> Result<u64> {
    let res = organization::Entity::update_many()
        .col_expr(organization::Column::Active, Expr::value(active))
        .col_expr(organization::Column::UpdatedAt, Expr::value(now()))
        .filter(cond)
        .filter(organization::Column::Active.eq(!active))
        .exec(tx.conn())
        .await?;
    let (action, verb) = if active { ("org.reactivate", "恢复") } else { ("org.deactivate", "撤销") };
    tx.record(Entry {
        action,
        target_type: "org",
        target_id: Some(org.id.to_string()),
        scope_path: org.path.clone(),
        summary: format!("{verb}组织“{}”（含下级共{}个）", org.name, res.rows_affected),
        before: json(&serde_json::json!({ "active": !active })),
        after: json(&serde_json::json!({ "active": active, "count": res.rows_affected })),
    });
    Ok(res.rows_affected)
}

/// Adds to the subtree counters of the given organisations (ancestors of a change).
async fn add_to_ancestors(db: &impl ConnectionTrait, ids: &[i64], orgs: i64, people: i64) -> Result<()> {
    if ids.is_empty() || (orgs == 0 && people == 0) {
        return Ok(());
    }
    organization::Entity::update_many()
        .col_expr(organization::Column::SubtreeOrgs, Expr::col(organization::Column::SubtreeOrgs).add(orgs))
        .col_expr(organization::Column::SubtreePeople, Expr::col(organization::Column::SubtreePeople).add(people))
        .filter(organization::Column::Id.is_in(ids.iter().copied()))
        .exec(db)
        .await?;
    Ok(())
}

/// Adds people to organisations (`org id → change`): each one's own counter and the
/// subtree counters of it and its ancestors, in the caller's transaction. Changes are
/// grouped by value, so an import touching 30,000 villages costs a few thousand UPDATEs.
pub(crate) async fn add_people(db: &impl ConnectionTrait, changes: &HashMap<i64, i64>) -> Result<()> {
    let ids: Vec<i64> = changes.iter().filter(|(_, d)| **d != 0).map(|(id, _)| *id).collect();
    // org id → (own people, subtree people): one row update per organisation, as a leaf's
    // two counters move together.
    let mut both: HashMap<i64, [i64; 2]> = HashMap::new();
    for chunk in ids.chunks(1000) {
        let rows: Vec<(i64, String)> = organization::Entity::find()
            .select_only()
            .columns([organization::Column::Id, organization::Column::Path])
            .filter(organization::Column::Id.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(db)
            .await?;
        for (id, p) in rows {
            let d = changes[&id];
            both.entry(id).or_default()[0] += d;
            for a in path::ids(&p) {
                both.entry(a).or_default()[1] += d;
            }
        }
    }
    apply_grouped(db, [organization::Column::PersonCount, organization::Column::SubtreePeople], &both).await
}

/// Adds organisations to subtree counters (`org id → change`).
pub(crate) async fn add_orgs(db: &impl ConnectionTrait, changes: &HashMap<i64, i64>) -> Result<()> {
    let changes: HashMap<i64, [i64; 1]> = changes.iter().map(|(&id, &d)| (id, [d])).collect();
    apply_grouped(db, [organization::Column::SubtreeOrgs], &changes).await
}

/// `col = col + d` for each (id, deltas), one statement per distinct set of deltas and
/// thousand ids.
async fn apply_grouped<const N: usize>(
    db: &impl ConnectionTrait,
    cols: [organization::Column; N],
    deltas: &HashMap<i64, [i64; N]>,
) -> Result<()> {
    let mut by_delta: std::collections::BTreeMap<[i64; N], Vec<i64>> = std::collections::BTreeMap::new();
    for (&id, &d) in deltas {
        if d.iter().any(|x| *x != 0) {
            by_delta.entry(d).or_default().push(id);
        }
    }
    for (d, ids) in by_delta {
        for chunk in ids.chunks(1000) {
            let mut q = organization::Entity::update_many();
            for (col, x) in cols.iter().zip(d) {
                if x != 0 {
                    q = q.col_expr(*col, Expr::col(*col).add(x));
                }
            }
            q.filter(organization::Column::Id.is_in(chunk.iter().copied())).exec(db).await?;
        }
    }
    Ok(())
}

/// Recomputes every counter from the rows themselves (repair; tests compare it with the
/// maintained values).
#[cfg(feature = "operator")]
pub async fn rebuild_counters(db: &impl ConnectionTrait) -> Result<u64> {
    let direct: Vec<(i64, i64)> = person::Entity::find()
        .select_only()
        .column(person::Column::OrgId)
        .column_as(Expr::cust("COUNT(*)"), "n")
        .group_by(person::Column::OrgId)
        .into_tuple()
        .all(db)
        .await?;
    let direct: HashMap<i64, i64> = direct.into_iter().collect();
    let orgs: Vec<(i64, String)> = organization::Entity::find()
        .select_only()
        .columns([organization::Column::Id, organization::Column::Path])
        .into_tuple()
        .all(db)
        .await?;
    let mut people: HashMap<i64, i64> = HashMap::new();
    let mut count: HashMap<i64, i64> = HashMap::new();
    for (id, p) in &orgs {
        let own = direct.get(id).copied().unwrap_or(0);
        for a in path::ids(p) {
            *people.entry(a).or_default() += own;
            *count.entry(a).or_default() += 1;
        }
    }
    for (id, _) in &orgs {
        organization::Entity::update_many()
            .col_expr(organization::Column::PersonCount, Expr::value(direct.get(id).copied().unwrap_or(0)))
            .col_expr(organization::Column::SubtreePeople, Expr::value(people.get(id).copied().unwrap_or(0)))
            .col_expr(organization::Column::SubtreeOrgs, Expr::value(count.get(id).copied().unwrap_or(1)))
            .filter(organization::Column::Id.eq(*id))
            .exec(db)
            .await?;
    }
    Ok(orgs.len() as u64)
}

/// The maintained counters of every organisation, `id → (own people, subtree people,
/// subtree organisations)`, to compare with [`rebuild_counters`].
#[cfg(feature = "operator")]
pub async fn counters(db: &impl ConnectionTrait) -> Result<HashMap<i64, (i64, i64, i64)>> {
    let rows: Vec<(i64, i64, i64, i64)> = organization::Entity::find()
        .select_only()
        .columns([
            organization::Column::Id,
            organization::Column::PersonCount,
            organization::Column::SubtreePeople,
            organization::Column::SubtreeOrgs,
        ])
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|(id, a, b, c)| (id, (a, b, c))).collect())
}

/// The name part and the upper-cased code of a reference ("名称（代码）" or plain text).
pub(crate) fn path_ref_parts(text: &str) -> (&str, Option<String>) {
    let (name, code) = xuepei_domain::org::split_ref(text);
    (name, code.map(|c| c.to_ascii_uppercase()))
}

#[derive(Debug, FromQueryResult)]
struct RefRow {
    id: i64,
    code: String,
    name: String,
    short_name: Option<String>,
    parent_id: Option<i64>,
    path: String,
    sector: String,
    active: bool,
}

/// An organisation as an import row may name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgRef {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub short_name: Option<String>,
    pub parent_id: Option<i64>,
    pub path: String,
    pub sector: Sector,
    pub active: bool,
    /// False for the ancestors' departments, which may only be named as a management
    /// authority.
    pub in_scope: bool,
}

/// Resolves organisation references — a code, a full name or a unique short name — among
/// the organisations of one scope, held in memory for the length of an import.
#[derive(Debug, Default)]
pub struct OrgResolver {
    orgs: Vec<OrgRef>,
    by_id: HashMap<i64, usize>,
    by_code: HashMap<String, usize>,
    by_name: HashMap<String, Vec<usize>>,
    by_short: HashMap<String, Vec<usize>>,
}

impl OrgResolver {
    /// Loads the scope's organisations, plus the departments that may be named as a
    /// management authority from above it.
    pub async fn load(db: &impl ConnectionTrait, scope: &Scope) -> Result<Self> {
        let rows = organization::Entity::find()
            .select_only()
            .columns([
                organization::Column::Id,
                organization::Column::Code,
                organization::Column::Name,
                organization::Column::ShortName,
                organization::Column::ParentId,
                organization::Column::Path,
                organization::Column::Sector,
                organization::Column::Active,
            ])
            .filter(scope.cond(organization::Column::Path))
            .into_model::<RefRow>()
            .all(db)
            .await?;
        let mut r = OrgResolver::default();
        for row in rows {
            r.add(OrgRef {
                id: row.id,
                code: row.code,
                name: row.name,
                short_name: row.short_name,
                parent_id: row.parent_id,
                path: row.path,
                sector: Sector::from_code(&row.sector).unwrap_or(Sector::Other),
                active: row.active,
                in_scope: true,
            });
        }
        for o in authority_candidates(db, scope).await? {
            if !scope.contains_path(&o.path) {
                r.add(OrgRef {
                    id: o.id,
                    code: o.code,
                    name: o.name,
                    short_name: o.short_name,
                    parent_id: o.parent_id,
                    path: o.path,
                    sector: o.sector,
                    active: o.active,
                    in_scope: false,
                });
            }
        }
        Ok(r)
    }

    pub fn add(&mut self, o: OrgRef) {
        let i = self.orgs.len();
        self.by_id.insert(o.id, i);
        self.by_code.insert(o.code.clone(), i);
        self.by_name.entry(o.name.clone()).or_default().push(i);
        if let Some(s) = &o.short_name {
            self.by_short.entry(s.clone()).or_default().push(i);
        }
        self.orgs.push(o);
    }

    pub fn len(&self) -> usize {
        self.orgs.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = &OrgRef> {
        self.orgs.iter()
    }

    pub fn is_empty(&self) -> bool {
        self.orgs.is_empty()
    }

    pub fn get(&self, id: i64) -> Option<&OrgRef> {
        self.by_id.get(&id).map(|&i| &self.orgs[i])
    }

    pub fn by_code(&self, code: &str) -> Option<&OrgRef> {
        self.by_code.get(code).map(|&i| &self.orgs[i])
    }

    /// Finds the organisation in the scope that a text names, or says in Chinese why it
    /// cannot.
    pub fn resolve(&self, text: &str) -> std::result::Result<&OrgRef, String> {
        self.find(text, true)
    }

    /// Whether a name given beside a code agrees with the organisation the code names
    /// (`xuepei_domain::org::name_agrees`, or the name resolves to it).
    pub fn names(&self, o: &OrgRef, text: &str) -> bool {
        xuepei_domain::org::name_agrees(text, &o.code, &o.name, o.short_name.as_deref())
            || self.find(text, false).is_ok_and(|f| f.id == o.id)
    }

    /// Like [`Self::resolve`], also accepting the departments above the scope.
    pub fn resolve_authority(&self, text: &str) -> std::result::Result<&OrgRef, String> {
        self.find(text, false)
    }

    fn find(&self, text: &str, scope_only: bool) -> std::result::Result<&OrgRef, String> {
        let (t, code_in_brackets) = path_ref_parts(text);
        let ok = |o: &&OrgRef| o.in_scope || !scope_only;
        if let Some(code) = code_in_brackets {
            return self
                .by_code(&code)
                .filter(ok)
                .ok_or_else(|| format!("在您的管理范围内未找到组织代码“{code}”，请填写组织代码、全称或唯一的简称"));
        }
        let code = xuepei_domain::text::compact(t).to_ascii_uppercase();
        if let Some(o) = self.by_code(&code).filter(ok) {
            return Ok(o);
        }
        for (index, what) in [(&self.by_name, "全称"), (&self.by_short, "简称")] {
            let found: Vec<&OrgRef> =
                index.get(t).map(|v| v.iter().map(|&i| &self.orgs[i]).filter(ok).collect()).unwrap_or_default();
            match found.as_slice() {
                [one] => return Ok(one),
                [] => {}
                many => {
                    let shown: Vec<String> = many.iter().take(5).map(|o| format!("{}（{}）", o.name, o.code)).collect();
                    let more = if many.len() > 5 { format!("等{}个", many.len()) } else { String::new() };
                    return Err(format!("“{t}”作为{what}对应多个组织：{}{more}，请改填组织代码", shown.join("、")));
                }
            }
        }
        Err(format!("在您的管理范围内未找到组织“{t}”，请填写组织代码、全称或唯一的简称"))
    }
}
